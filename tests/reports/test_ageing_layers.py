"""Ageing from StockNow + AgeLayer (decision 0023) against ageing from the day facts, forced each way.

The March story (tests/reports/story.py: back-dated receipts, a voided delivery, a customer return, a transfer, a
write-off) and then April and May: lots, a count gain, a receipt voided 35 days after it came (its void is a
negative receipt day in another bucket), stock at the store that goes negative and back, a receipt dated back to
2025, the consumer in small batches. Both ways must give the same rows for any report day from the last fact day
on, with filters and warehouse scope; a day before the last fact day must take the day facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest

from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.reports import stockcalc
from openjxc.reports.facts.check import check_facts
from openjxc.reports.facts.consumer import consume
from openjxc.reports.kpis import ageing_kpi
from openjxc.reports.models import AgeLayer, StockNow
from openjxc.reports.query import Query
from openjxc.reports.stockcalc import ageing
from openjxc.stock.models import Location, Warehouse
from tests.conftest import assert_ledger_consistent
from tests.reports.oracle import assert_rebuild_equals_consumer
from tests.reports.story import at

pytestmark = pytest.mark.django_db(transaction=True)
LAST = dt.date(2026, 5, 10)  # the last day with a stock fact


def day(month: int, n: int) -> dt.date:
    return dt.date(2026, month, n)


def _more(s) -> None:
    shop, line = s.shop, s.line
    Warehouse.objects.filter(pk=shop.store.pk).update(allow_negative=True)
    Location.objects.filter(warehouse=shop.store).update(allow_negative=True)
    at(day(4, 3))
    s.post("purchase_receipt", [LineInput(item=shop.milk.pk, quantity=D(8), unit_price=D("3.00"), lot_code="L1",
                                          expires_on=day(6, 20))], partner=shop.supplier)
    at(day(4, 4))
    s.post("purchase_receipt", [LineInput(item=shop.milk.pk, quantity=D(5), unit_price=D("3.20"), lot_code="L2",
                                          expires_on=day(6, 30))], partner=shop.supplier)
    consume(shop.company, limit=3)
    at(day(4, 5))
    s.post("sales_delivery", [LineInput(item=shop.milk.pk, quantity=D(3), unit_price=D("5.00"), lot_code="L1")],
           partner=shop.customer)
    s.r7 = s.post("purchase_receipt", [line(shop.flour, 20, "5.50")], partner=shop.supplier)
    at(day(4, 9))
    s.post("stock_count", [line(shop.water, 7, "1.10")])  # a count gain
    at(day(4, 10))
    s.post("sales_delivery", [line(shop.flour, 5, "8.00")], partner=shop.customer, warehouse=shop.store)
    consume(shop.company, limit=4)
    at(day(4, 11))
    out = s.post("transfer_out", [line(shop.flour, 20)], to_warehouse=shop.store)
    s.post("transfer_in", [LineInput(item=shop.flour.pk, quantity=D(20), source_line=out.lines.get().pk)],
           warehouse=shop.store, source=out)
    at(day(4, 12))
    s.post("purchase_receipt", [line(s.sugar, 3, "4.20")], partner=shop.supplier, business_on=dt.date(2025, 12, 1))
    consume(shop.company, limit=5)
    at(LAST)
    docs.void_document(s.r7, by=s.by, reason="退错了")  # 35 days after: a negative receipt in another bucket
    at(day(5, 12))
    consume(shop.company, limit=2)


def _key_of(rows, shop, item):
    return {r.key: r for r in rows}[(shop.main.pk, item.pk)]


def test_ageing_from_the_layers_equals_ageing_from_the_day_facts(story, monkeypatch):
    s = story
    shop = s.shop
    _more(s)
    company = shop.company
    scopes = [
        Query(measures=[]),
        Query(measures=[], warehouse_ids=frozenset({shop.main.pk})),
        Query(measures=[], filters={"category": [s.grain.pk]}),
        Query(measures=[], filters={"store": [shop.store.pk]}),
        Query(measures=[], filters={"item": [shop.flour.pk, shop.milk.pk]}),
    ]
    for on in (LAST, day(5, 12), day(9, 1), dt.date(2027, 6, 1)):
        for q in scopes:
            for age, idle in ((180, 180), (30, 10), (400, 30), (1, 1)):
                now = ageing(company, q, on, obsolete_age=age, obsolete_idle=idle, now=True)
                then = ageing(company, q, on, obsolete_age=age, obsolete_idle=idle, now=False)
                assert now == then, (on, q, age, idle)
                assert ageing(company, q, on, obsolete_age=age, obsolete_idle=idle) == now
    # the KPI summed in the database (PostgreSQL: stockcalc.ageing_sums) equals the KPI summed from ageing()'s rows
    for on, by_list in ((LAST, (None, "warehouse", "store", "category", "item")), (day(9, 1), (None, "item"))):
        for q in scopes:
            for by in by_list:
                for age, idle in ((180, 180), (1, 1)):
                    kq = replace(q, start=on, end=on)
                    summed = ageing_kpi(company, kq, by, obsolete_age=age, obsolete_idle=idle, now=True)
                    rows_of = ageing_kpi(company, kq, by, obsolete_age=age, obsolete_idle=idle, now=True, in_sql=False)
                    assert [(r.key, r.value, r.parts) for r in summed.rows] == [
                        (r.key, r.value, r.parts) for r in rows_of.rows], (on, q, by, age, idle)
                    assert summed.extra == rows_of.extra
    # the exact NUMERIC branch of the rounding (taken by pairs of 107,000 units or ¥10.7 M and more) gives the same
    monkeypatch.setattr(stockcalc, "SMALL", 0)
    for by in (None, "item"):
        kq = replace(scopes[0], start=LAST, end=LAST)
        summed = ageing_kpi(company, kq, by, now=True)
        assert summed.rows == ageing_kpi(company, kq, by, now=True, in_sql=False).rows
    rows = ageing(company, Query(measures=[]), day(5, 12))
    assert {r.key for r in rows} >= {(shop.main.pk, shop.flour.pk), (shop.main.pk, shop.milk.pk),
                                    (shop.store.pk, shop.flour.pk)}
    # 总仓 面粉 95 kg: received 03-01 100, 03-12 10 (the return), 03-20 50, 04-05 20 voided on 05-10. The void
    # is paid by the receipt it undoes: the layers are 03-20's 50, 03-12's 10 and 35 of 03-01's, all 31–90 days
    flour = _key_of(rows, shop, shop.flour)
    assert flour.qty == 95 * 10_000
    assert flour.buckets_qty == [0, 95 * 10_000, 0, 0, 0]
    layers = AgeLayer.objects.filter(company=company, warehouse_id=shop.main.pk, item_id=shop.flour.pk)
    assert sorted(layers.values_list("day", "qty")) == [(day(3, 1), 35 * 10_000), (day(3, 12), 10 * 10_000),
                                                        (day(3, 20), 50 * 10_000)]
    assert sum(flour.buckets_value) == flour.value
    for r in rows:  # each bucket worth its share: nothing for an empty one, never below zero, adding up
        assert sum(r.buckets_value) == r.value
        assert all(v == 0 for q, v in zip(r.buckets_qty, r.buckets_value, strict=True) if q == 0), r
        assert r.value < 0 or min(r.buckets_value) >= 0, r

    # a day before the last fact day: the day facts (the layers describe 05-10, not 04-06)
    q = Query(measures=[])
    before = ageing(company, q, day(4, 6))
    assert before == ageing(company, q, day(4, 6), now=False)
    assert before != ageing(company, q, day(4, 6), now=True)
    milk = _key_of(before, shop, shop.milk)
    assert milk.qty == 10 * 10_000 and milk.buckets_qty[0] == 10 * 10_000

    assert_rebuild_equals_consumer(company)
    assert_ledger_consistent()


def test_check_facts_names_a_damaged_layer_or_balance(story):
    company = story.shop.company
    consume(company)
    assert check_facts(company).problems == []
    layer = AgeLayer.objects.filter(company=company, day__isnull=False).order_by("pk").first()
    AgeLayer.objects.filter(pk=layer.pk).update(qty=layer.qty + 1)
    codes = [p.code for p in check_facts(company).problems]
    assert codes == ["facts.age_layer"], codes
    AgeLayer.objects.filter(pk=layer.pk).update(qty=layer.qty)
    now = StockNow.objects.filter(company=company, qty__gt=0).order_by("pk").first()
    StockNow.objects.filter(pk=now.pk).update(value=now.value - 1)
    problems = check_facts(company).problems
    assert [p.code for p in problems] == ["facts.stock_now"], problems
    assert f"({now.warehouse_id}, {now.item_id})" in problems[0].detail
    StockNow.objects.filter(pk=now.pk).update(value=now.value, last_out=dt.date(2020, 1, 1))
    assert [p.code for p in check_facts(company).problems] == ["facts.last_out"]
