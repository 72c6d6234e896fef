"""The narrow monthly sales roll-ups and the aggregate navigator over the March story (decision 0024): whole months
come from the narrowest roll-up that has what a query reads, with the same rows as SalesMonth gives; a
re-categorised item never gives a wrong figure; check-facts finds a damaged roll-up row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openjxc.catalog import services as catalog
from openjxc.reports import rollups
from openjxc.reports.facts import rollups as facts_rollups
from openjxc.reports.facts.check import check_facts
from openjxc.reports.facts.consumer import consume
from openjxc.reports.kpi_run import compute
from openjxc.reports.models import SalesCategoryItem, SalesCategoryMonth, SalesItemMonth
from openjxc.reports.query import Query, run
from tests.reports.oracle import assert_rebuild_equals_consumer
from tests.reports.story import march

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = {"start": march(1), "end": march(31)}
TABLES = ("reports_salesday", "reports_salesmonth", "reports_salesitemmonth", "reports_salescategorymonth")


def read(company, q: Query):
    """(the result's rows as comparable tuples, the sales tables its statements read)."""
    with CaptureQueriesContext(connection) as ctx:
        res = run(company, q)
    sql = " ".join(x["sql"] for x in ctx.captured_queries)
    rows = [(r.keys, r.labels, r.subtotal, r.values) for r in res.rows]
    return rows, {t for t in TABLES if f"{t} " in sql or f"{t}\n" in sql}


def from_salesmonth(monkeypatch, company, q: Query):
    """The same query with no narrower roll-up registered: what SalesMonth and SalesDay alone answer."""
    with monkeypatch.context() as m:
        m.setitem(rollups.ROLLUPS, "sales", ())
        return read(company, q)


def queries(s) -> dict[str, tuple[Query, str]]:
    """Name -> (query, the monthly table it must read)."""
    scope = frozenset({s.shop.main.pk})
    return {
        "pivot region × category × month, rollup": (
            Query(measures=["revenue", "gross_profit", "margin"], dimensions=["region_1", "category", "month"],
                  subtotals="rollup", **MARCH), "reports_salescategorymonth"),
        "pivot, category subtree filter": (
            Query(measures=["revenue", "margin"], dimensions=["region_2", "category_1", "month"], subtotals="rollup",
                  filters={"category": [s.shop.food.pk]}, **MARCH), "reports_salescategorymonth"),
        "pivot, one leaf category": (
            Query(measures=["revenue"], dimensions=["region", "category"], filters={"category": [s.drinks.pk]},
                  **MARCH), "reports_salescategorymonth"),
        "pivot, warehouse scope": (
            Query(measures=["revenue", "cogs"], dimensions=["region_1", "category", "month"], subtotals="cube",
                  warehouse_ids=scope, **MARCH), "reports_salescategorymonth"),
        "pivot, store": (
            Query(measures=["revenue"], dimensions=["store", "category"], **MARCH), "reports_salescategorymonth"),
        "top 1 category + others": (
            Query(measures=["revenue", "margin"], dimensions=["category", "region"], top=1, subtotals="rollup",
                  **MARCH), "reports_salescategorymonth"),
        "category × month": (
            Query(measures=["revenue", "net_qty"], dimensions=["category", "month"], start=dt.date(2026, 1, 1),
                  end=march(31)), "reports_salescategorymonth"),
        "customer group × month": (
            Query(measures=["revenue"], dimensions=["customer_group", "month"], **MARCH),
            "reports_salescategorymonth"),
        "top 100 items by margin": (
            Query(measures=["revenue", "gross_profit", "margin"], dimensions=["item"], top=100, top_by="margin",
                  **MARCH), "reports_salesitemmonth"),
        "items in a category, scoped": (
            Query(measures=["sales_qty", "skus_sold"], dimensions=["warehouse", "category"],
                  filters={"item": [s.shop.water.pk]}, warehouse_ids=frozenset({s.shop.store.pk}), **MARCH),
            "reports_salesitemmonth"),
        "customer × item: SalesMonth": (
            Query(measures=["revenue"], dimensions=["customer", "item"], **MARCH), "reports_salesmonth"),
        "salesperson × category: SalesMonth": (
            Query(measures=["revenue"], dimensions=["salesperson", "category"], **MARCH), "reports_salesmonth"),
        "channel filter: SalesMonth": (
            Query(measures=["revenue"], dimensions=["category"], filters={"channel": [1]}, **MARCH),
            "reports_salesmonth"),
    }


def test_the_navigator_reads_the_narrowest_rollup_and_gives_salesmonths_rows(story, monkeypatch):
    s = story
    for name, (q, table) in queries(s).items():
        rows, tables = read(s.shop.company, q)
        reference, ref_tables = from_salesmonth(monkeypatch, s.shop.company, q)
        assert rows == reference, name
        assert rows, name
        assert tables == {table}, (name, tables)  # March is one whole month: no day rows at all
        assert ref_tables == {"reports_salesmonth"}, name
    # the story's figures through the category roll-up (test_query_api holds them through SalesMonth before)
    rows, _ = read(s.shop.company, queries(s)["pivot region × category × month, rollup"][0])
    assert {(r[1], r[2]): r[3]["revenue"] for r in rows} == {
        (("华东", "粮油", "2026-03"), False): D("216.00"), (("华东", "饮料", "2026-03"), False): D("90.00"),
        (("华东", "粮油", ""), True): D("216.00"), (("华东", "饮料", ""), True): D("90.00"),
        (("华东", "", ""), True): D("306.00"), (("", "", ""), True): D("306.00")}


def test_partial_months_come_from_the_days_week_grains_from_the_days_only(story, monkeypatch):
    s = story
    # 10 Feb – 31 Mar: February's days from SalesDay, projected onto the category roll-up's columns, March whole
    q = Query(measures=["revenue", "cogs"], dimensions=["category", "region_1"], subtotals="cube",
              start=dt.date(2026, 2, 10), end=march(31))
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salesday", "reports_salescategorymonth"}
    assert rows == from_salesmonth(monkeypatch, s.shop.company, q)[0]
    # 3 – 20 March: days only, whatever is registered
    q = Query(measures=["revenue"], dimensions=["category"], start=march(3), end=march(20))
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salesday"} and rows == from_salesmonth(monkeypatch, s.shop.company, q)[0]
    q = Query(measures=["revenue"], dimensions=["category", "week"], **MARCH)
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salesday"} and rows == from_salesmonth(monkeypatch, s.shop.company, q)[0]


def test_turnover_reads_cogs_from_the_item_rollup(story):
    s = story
    q = Query(measures=[], **MARCH)
    with CaptureQueriesContext(connection) as ctx:
        res = compute(s.shop.company, "turnover_days", q, by="item")
    sql = " ".join(x["sql"] for x in ctx.captured_queries)
    assert "reports_salesitemmonth" in sql and "reports_salesmonth " not in sql
    assert res.rows


def test_a_recategorised_item_reads_salesmonth_until_the_consumer_has_moved_its_sums(story, monkeypatch):
    s = story
    q = Query(measures=["revenue", "gross_profit"], dimensions=["category", "month"], subtotals="rollup", **MARCH)
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salescategorymonth"}
    assert {r[1]: r[3]["revenue"] for r in rows} == {("粮油", "2026-03"): D("216.00"), ("饮料", "2026-03"): D("90.00"),
                                                    ("粮油", ""): D("216.00"), ("饮料", ""): D("90.00"),
                                                    ("", ""): D("306.00")}
    catalog.update_item(s.shop.flour, by=s.by, category=s.drinks)  # 面粉 now counts as a drink, March included
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salesitemmonth"}  # the category roll-up still has 面粉 under 粮油: not read
    expected = {("饮料", "2026-03"): D("306.00"), ("饮料", ""): D("306.00"), ("", ""): D("306.00")}
    assert {r[1]: r[3]["revenue"] for r in rows} == expected
    # the ledger's answer: the lines of the posted deliveries less returns, by the items' categories now
    assert SalesCategoryItem.objects.get(item_id=s.shop.flour.pk).category_id == s.grain.pk
    consume(s.shop.company)  # the next batch (the item.updated event's, or an empty one) moves 面粉's sums
    assert SalesCategoryItem.objects.get(item_id=s.shop.flour.pk).category_id == s.drinks.pk
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salescategorymonth"}
    assert {r[1]: r[3]["revenue"] for r in rows} == expected
    assert not SalesCategoryMonth.objects.filter(company=s.shop.company, category_id=s.grain.pk).exists()
    assert check_facts(s.shop.company).problems == []
    assert_rebuild_equals_consumer(s.shop.company)
    # two items at once, moved in chunks of one; an item without a category (0 in the roll-up) groups as
    # SalesMonth's items without one do (None)
    catalog.update_item(s.shop.water, by=s.by, category=None)
    catalog.update_item(s.shop.flour, by=s.by, category=s.grain)
    monkeypatch.setattr(facts_rollups, "CHUNK", 1)
    consume(s.shop.company)
    rows, tables = read(s.shop.company, q)
    assert tables == {"reports_salescategorymonth"}
    assert {r[0]: r[3]["revenue"] for r in rows if not r[2]} == {(s.grain.pk, march(1)): D("216.00"),
                                                                   (None, march(1)): D("90.00")}
    assert check_facts(s.shop.company).problems == []


def test_check_facts_reports_a_damaged_rollup_row(story):
    s = story
    assert check_facts(s.shop.company).problems == []
    SalesItemMonth.objects.filter(company=s.shop.company, item_id=s.shop.water.pk).update(revenue=1)
    codes = {p.code for p in check_facts(s.shop.company).problems}
    assert codes == {"facts.sales_item_month"}
    SalesItemMonth.objects.filter(company=s.shop.company).delete()
    SalesCategoryMonth.objects.filter(company=s.shop.company, category_id=s.grain.pk).update(cogs=7)
    codes = {p.code for p in check_facts(s.shop.company).problems}
    assert codes == {"facts.sales_item_month", "facts.sales_category_month"}
