"""Two companies with a few days of trade, posted through the services and caught up by the facts consumer, and an
API token for each reader the OData tests need."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.bi.dates import fill_dates
from openjxc.core import clock
from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners
from openjxc.reports.facts.consumer import consume
from tests.conftest import Shop


def on(day: int) -> None:
    clock.freeze(dt.datetime(2026, 3, day, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai


def basic(raw: str, user: str = "powerbi") -> str:
    return "Basic " + base64.b64encode(f"{user}:{raw}".encode()).decode()


class Trade:
    """ACME: a region, a purchase order, receipts into 总仓 and the store, sales on three days from both; BETA: one
    receipt and one sale."""

    def __init__(self):
        self.shop = shop = Shop("ACME")
        on(1)
        region = partners.create_region(by=shop.admin, code="E", name="华东")
        partners.update_partner(shop.customer, by=shop.admin, region=region)
        shop.post("purchase_order", [
            LineInput(item=shop.flour.pk, quantity=D("50"), unit_price=D("6"), promised_on=dt.date(2026, 3, 19)),
            LineInput(item=shop.water.pk, quantity=D("60"), unit_price=D("1"), promised_on=dt.date(2026, 3, 5))],
            partner=shop.supplier)
        shop.receive(shop.flour, 100, "5.00")
        shop.receive(shop.water, 240, "1.20")
        shop.receive(shop.water, 120, "1.10", warehouse=shop.store)
        on(2)
        shop.sell(shop.flour, 10, price="8.00")
        shop.sell(shop.water, 24, price="2.00")
        on(3)
        shop.sell(shop.flour, 5, price="8.50")
        shop.sell(shop.water, 12, price="3.00", warehouse=shop.store)
        on(4)
        shop.sell(shop.water, 6, price="3.00", warehouse=shop.store)
        shop.receive(shop.flour, 20, "5.50", warehouse=shop.second)
        consume(shop.company)
        self.other = other = Shop("BETA")
        on(2)
        other.receive(other.flour, 7, "9.00")
        other.sell(other.flour, 3, price="12.00")
        consume(other.company)
        clock.freeze(None)
        fill_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 10))  # dim_date: shared by every company
        self.cashier = shop.user("acme-cashier", Role.CASHIER, warehouses=[shop.store])
        self.seller = shop.user("acme-seller", Role.SALESPERSON)
        self.tokens = {name: create_token(by=user, name="bi")[1] for name, user in (
            ("admin", shop.admin), ("cashier", self.cashier), ("seller", self.seller), ("other", other.admin))}

    def auth(self, who: str = "admin") -> dict:
        return {"HTTP_AUTHORIZATION": basic(self.tokens[who])}


@pytest.fixture
def trade(db):
    try:
        yield Trade()
    finally:
        clock.freeze(None)


@pytest.fixture
def live_trade(wipeable_ledger, live_server):
    """The same trade, committed, behind a real HTTP server (pytest-django's live_server)."""
    try:
        yield Trade()
    finally:
        clock.freeze(None)
