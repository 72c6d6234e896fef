"""The set-based rebuild (reports/facts/rebuild*.py) against the consumer (reports/facts/consumer.py), row for row.

The March story (tests/reports/story.py: receipts, sales with discounts and tax, a return, a back-dated receipt
into a closed month, a re-costing, a transfer, a write-off, a void, purchase orders, money received) and then
April: a sales order delivered by someone else (the salesperson is the order's creator) at tax-inclusive prices
with a discount, an order closed short and another voided, a payment to the supplier applied to a receipt, lots,
a sale back-dated into a closed month, and till sales and a till return pushed by a POS terminal. The consumer
builds the facts from the change feed in small batches; the rebuild must write exactly the same rows."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal as D

import pytest
from django.test import Client

from openjxc.core import clock
from openjxc.core.models import Role, User
from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance import services as finance
from openjxc.partners import services as partners
from openjxc.reports.facts.consumer import consume
from openjxc.reports.facts.rebuild import rebuild
from openjxc.reports.models import Book, Channel, PartnerDay, PurchaseLine, SalesDay, StockClose, StockDay
from openjxc.sync import terminals
from tests.conftest import assert_ledger_consistent
from tests.reports.oracle import assert_rebuild_equals_consumer, fact_rows
from tests.reports.story import at

pytestmark = pytest.mark.django_db(transaction=True)


def april(n: int) -> dt.date:
    return dt.date(2026, 4, n)


def _push(raw: str, ops: list[dict]) -> list[dict]:
    body = {"client_time": clock.now().isoformat(), "ops": ops}
    r = Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    return r.json()["results"]


def _op(kind: str, **data) -> dict:
    return {"id": str(uuid.uuid4()), "seq": 1, "type": kind, "created_at": clock.now().isoformat(), "data": data}


def _april(s) -> None:
    shop, by = s.shop, s.by
    seller = shop.user("seller", Role.ADMIN)
    at(april(3))
    so = docs.create_document(by=seller, kind="sales_order", warehouse=shop.main, partner=shop.customer,
                              lines=[s.line(shop.flour, 20, "9.04", tax=D("0.13"), discount="0.05")],
                              prices_include_tax=True)
    so = docs.advance_document(so, by=seller, to="posted")
    s.post("sales_delivery", [LineInput(item=shop.flour.pk, quantity=D(12), unit_price=D("9.04"), tax_rate=D("0.13"),
                                        discount_rate=D("0.05"), source_line=so.lines.get().pk)],
           partner=shop.customer, source=so, prices_include_tax=True)
    consume(shop.company, limit=5)
    at(april(4))
    orders.close_order(s.po1, by=by, reason="牛奶不要了")
    po3 = s.post("purchase_order", [s.line(shop.water, 10, "1.00", promised_on=april(9))], partner=shop.supplier)
    docs.void_document(po3, by=by, reason="下错了")
    finance.create_settlement(by=by, kind="payment", partner=shop.supplier, amount=D("300.00"), post=True,
                              allocations=[finance.AllocationInput(document=s.r1, amount=D("300.00"))])
    at(april(5))
    s.post("purchase_receipt", [LineInput(item=shop.milk.pk, quantity=D(8), unit_price=D("3.00"), lot_code="L1",
                                          expires_on=april(20))], partner=shop.supplier)
    s.post("sales_delivery", [LineInput(item=shop.milk.pk, quantity=D(3), unit_price=D("5.00"), lot_code="L1")],
           partner=shop.customer)
    s.post("sales_delivery", [s.line(s.sugar, 2, "6.00", tax=D("0.13"))], partner=shop.customer,
           business_on=dt.date(2026, 2, 20))  # into a closed month: its checkpoints change
    consume(shop.company, limit=3)
    at(april(6))
    walk_in = partners.create_partner(by=by, code="C000", name="门店散客", kind="customer", is_walk_in=True)
    _terminal, raw = terminals.register_terminal(by=by, code="POS1", name="一号收银台", kind="pos",
                                                 warehouse=shop.store, customer=walk_in)
    sale = _op("sale", lines=[{"item": "W001", "qty": "4", "price": "3.00"}],
               payment={"method": "cash", "amount": "12.00", "tendered": "20.00", "change": "8.00"})
    other = _op("sale", lines=[{"item": "W001", "qty": "2", "price": "3.00"}], payments=[
        {"method": "wechat", "amount": "6.00"}])
    back = _op("return", sale_op=sale["id"], lines=[{"item": "W001", "qty": "1"}],
               payment={"method": "cash", "amount": "3.00", "refund": True})
    assert [x["status"] for x in _push(raw, [sale, other, back])] == ["accepted"] * 3
    at(dt.date(2026, 5, 2))  # April is over: its checkpoints are written too


def test_the_rebuild_writes_what_the_consumer_wrote(story):
    s = story
    _april(s)
    assert_ledger_consistent(s.shop.company.pk)
    rows = assert_rebuild_equals_consumer(s.shop.company)
    assert all(rows[table] for table in rows), [t for t in rows if not rows[t]]  # every table has rows to compare
    # what the April part is there for, as the rebuilt facts show it
    c = s.shop.company
    assert SalesDay.objects.filter(company=c, channel=Channel.TILL, return_qty__gt=0).exists()
    seller = User.objects.get(username="seller")
    assert SalesDay.objects.filter(company=c, salesperson_id=seller.pk, discount__gt=0).exists()
    assert PurchaseLine.objects.filter(company=c, closed_on__isnull=False).count() == 3  # PO1's two, PO3's one
    assert StockDay.objects.filter(company=c, lot_key__gt=0).exists()
    assert StockClose.objects.filter(company=c).order_by("-month").values_list("month", flat=True)[0] == april(1)
    payable = PartnerDay.objects.filter(company=c, book=Book.PAYABLE)
    assert payable.filter(settled__gt=0).exists() and payable.filter(applied__gt=0).exists()


def test_a_rebuild_of_a_rebuild_changes_nothing(story):
    company = story.shop.company
    rebuild(company)
    first = fact_rows(company)
    rebuild(company)
    assert fact_rows(company) == first
    clock.freeze(None)
