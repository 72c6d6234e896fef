"""Two companies with a few days of trade, posted through the services and caught up by the facts consumer, and an
API token for each reader the OData tests need."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from openjxc.core import clock
from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from openjxc.reports.facts.consumer import consume
from tests.conftest import Shop


def on(day: int) -> None:
    clock.freeze(dt.datetime(2026, 3, day, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai


def basic(raw: str, user: str = "powerbi") -> str:
    return "Basic " + base64.b64encode(f"{user}:{raw}".encode()).decode()


class Trade:
    """ACME: receipts into 总仓 and the store, sales on three days from both; BETA: one receipt and one sale."""

    def __init__(self):
        self.shop = shop = Shop("ACME")
        on(1)
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
