"""A shop with an approval chain: a keeper whose superior is a manager, two more managers, finance, a deputy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core import clock
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.stock import services as stock
from tests.conftest import Shop

SH = dt.timezone(dt.timedelta(hours=8))
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # a Monday, 10:00 in Shanghai


class Team:
    def __init__(self, shop: Shop):
        self.shop = shop
        admin = shop.admin

        def user(name, *roles, superior=None):
            return core.create_user(by=admin, username=name, password="pw-12345678", roles=list(roles),
                                    display_name=name, superior=superior, email=f"{name}@example.test")

        self.boss = user("boss", Role.ADMIN)
        self.wang = user("wang", Role.MANAGER, superior=self.boss)
        self.li = user("li", Role.MANAGER, superior=self.boss)
        self.zhou = user("zhou", Role.MANAGER, superior=self.boss)
        self.finance = user("liu", Role.FINANCE, superior=self.boss)
        self.deputy = user("deputy", Role.PURCHASER)
        self.keeper = user("zhao", Role.KEEPER, superior=self.wang)
        stock.update_warehouse(shop.main, by=admin, manager=self.wang)

    def receive(self, qty=100):
        self.shop.receive(self.shop.flour, qty, "5.00")

    def write_off(self, qty="2", *, by=None, submit=True, **kw):
        doc = docs.create_document(by=by or self.keeper, kind="write_off", warehouse=self.shop.main,
                                   lines=[LineInput(item=self.shop.flour.pk, quantity=Decimal(qty))], **kw)
        return docs.submit_document(doc, by=by or self.keeper) if submit else doc

    def order(self, amount, *, by=None):
        doc = docs.create_document(by=by or self.shop.admin, kind="purchase_order", warehouse=self.shop.main,
                                   partner=self.shop.supplier,
                                   lines=[LineInput(item=self.shop.flour.pk, quantity=Decimal("1"),
                                                    unit_price=Decimal(str(amount)), tax_rate=Decimal("0"))])
        return docs.submit_document(doc, by=by or self.shop.admin)


@pytest.fixture
def frozen():
    """The fake clock, starting Monday 10:00 Shanghai; `frozen.move(minutes=…)` moves it."""

    class Clock:
        now = MONDAY_10

        def set(self, at):
            self.now = at
            clock.freeze(at.astimezone(dt.UTC))

        def move(self, **delta):
            self.set(self.now + dt.timedelta(**delta))

    c = Clock()
    c.set(MONDAY_10)
    yield c
    clock.freeze(None)


@pytest.fixture
def team(shop, frozen):
    t = Team(shop)
    t.receive()
    return t
