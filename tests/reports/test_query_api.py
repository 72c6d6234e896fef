"""The query layer and its JSON API over the March story: a pivot with subtotals (GROUPING SETS on PostgreSQL,
on SQLite the finest level summed up — the same rows), Top N + 其他, drill-down to documents, the KPI endpoint,
cost masking, warehouse scope and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.core.models import Role
from openjxc.reports.drill import drill
from openjxc.reports.query import Query, run
from tests.api.conftest import Api
from tests.reports.story import march

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = {"start": march(1), "end": march(31)}


def test_pivot_region_by_category_by_month_with_subtotals(story):
    s = story
    q = Query(measures=["revenue", "gross_profit", "margin"], dimensions=["region_1", "category", "month"],
              subtotals="rollup", **MARCH)
    res = run(s.shop.company, q)
    got = {(r.labels, r.subtotal): (r.values["revenue"], r.values["gross_profit"], r.values["margin"])
           for r in res.rows}
    assert got == {
        (("华东", "粮油", "2026-03"), False): (D("216.00"), D("66.00"), D("30.5556")),
        (("华东", "饮料", "2026-03"), False): (D("90.00"), D("55.20"), D("61.3333")),
        (("华东", "粮油", ""), True): (D("216.00"), D("66.00"), D("30.5556")),
        (("华东", "饮料", ""), True): (D("90.00"), D("55.20"), D("61.3333")),
        (("华东", "", ""), True): (D("306.00"), D("121.20"), D("39.6078")),
        (("", "", ""), True): (D("306.00"), D("121.20"), D("39.6078")),
    }
    # by the second level of regions and every combination (cube): 上海 has the flour, 浙江 the store's water
    cube = run(s.shop.company, Query(measures=["revenue"], dimensions=["region_2", "category"], subtotals="cube",
                                     **MARCH))
    assert {r.labels: r.values["revenue"] for r in cube.rows} == {
        ("上海", "粮油"): D("216.00"), ("浙江", "饮料"): D("90.00"), ("上海", ""): D("216.00"),
        ("浙江", ""): D("90.00"), ("", "粮油"): D("216.00"), ("", "饮料"): D("90.00"), ("", ""): D("306.00")}
    # by day: S2 on the 10th and its void on the 28th stay apart
    days = run(s.shop.company, Query(measures=["sales_qty"], dimensions=["day"],
                                     filters={"item": [s.shop.water.pk]}, **MARCH))
    assert {r.keys[0]: r.values["sales_qty"] for r in days.rows} == {
        march(10): D("100.0000"), march(25): D("30.0000"), march(28): D("-100.0000")}


def test_top_n_folds_the_rest_into_others_and_stock_balances_by_month(story):
    s = story
    res = run(s.shop.company, Query(measures=["revenue", "margin"], dimensions=["item"], top=1, **MARCH))
    assert [(r.labels[0], r.values["revenue"], r.values["margin"]) for r in res.rows] == [
        ("F001 面粉", D("216.00"), D("30.5556")), ("Others", D("90.00"), D("61.3333"))]
    # a balance is the value at the end of each month, never a sum over time
    months = run(s.shop.company, Query(measures=["stock_value"], dimensions=["month"], start=dt.date(2026, 1, 1),
                                       end=march(31)))
    assert {r.labels[0]: r.values["stock_value"] for r in months.rows} == {
        "2026-01": D("125.00"), "2026-02": D("145.00"), "2026-03": D("1083.20")}


def test_drill_down_lists_the_documents_of_a_cell(story):
    s = story
    q = Query(measures=[], **MARCH)
    water = drill(s.shop.company, q, "sales", {"category": s.drinks.pk, "month": march(1)})
    assert [d["number"] for d in water] == [s.s2.number, s.s3.number]  # S2 counts twice: posted and voided
    flour = drill(s.shop.company, q, "sales", {"item": s.shop.flour.pk})
    assert [d["number"] for d in flour] == [s.s1.number, s.rt1.number]
    store = drill(s.shop.company, q, "stock", {"warehouse": s.shop.store.pk})
    assert {d["number"] for d in store} == {s.into.number, s.s3.number}


def test_costs_are_masked_without_the_cost_right(story):
    s = story
    res = run(s.shop.company, Query(measures=["revenue", "gross_profit"], show_cost=False, **MARCH))
    assert res.masked == ["gross_profit"] and res.rows[0].values == {"revenue": D("306.00"), "gross_profit": None}


def test_api_query_kpis_semantic_scope_and_bad_input(story):
    s = story
    api = Api(s.shop.admin)
    r = api.post("/reports/query", {"measures": ["revenue", "margin"], "dimensions": ["warehouse"],
                                    "start": "2026-03-01", "end": "2026-03-31", "subtotals": "rollup"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(row["keys"], row["values"]["revenue"]) for row in body["rows"]] == [
        ([s.shop.main.pk], "216.00"), ([s.shop.store.pk], "90.00"), ([None], "306.00")]
    assert body["measures"][1]["formula_zh"].startswith("毛利率 = 毛利 ÷ 销售收入")

    r = api.get("/reports/kpis/turnover_days", {"start": "2026-03-01", "end": "2026-03-31", "by": "warehouse"})
    assert r.status_code == 200, r.content
    assert {row["key"]: row["value"] for row in r.json()["rows"]}[None] == "147.0855"
    assert "周转天数" in r.json()["kpi"]["formula_zh"]
    r = api.get("/reports/kpis/on_time_rate", {"start": "2026-03-01", "end": "2026-03-31", "grace_days": 1})
    assert r.json()["rows"][-1]["value"] == "66.6667"
    semantic = api.get("/reports/semantic").json()
    assert {k["name"] for k in semantic["kpis"]} >= {"sell_through_breadth", "obsolete_rate", "dso"}
    assert all(m["formula_zh"] and m["formula_en"] for m in semantic["measures"])
    drilled = api.post("/reports/drill", {"family": "sales", "cell": {"item": s.shop.flour.pk},
                                          "start": "2026-03-01", "end": "2026-03-31"})
    assert [d["number"] for d in drilled.json()] == [s.s1.number, s.rt1.number]

    # a store manager sees the store only, and no partner balances (they are not kept per warehouse)
    manager = Api(s.shop.user("store-boss", Role.MANAGER, warehouses=[s.shop.store]))
    r = manager.post("/reports/query", {"measures": ["revenue"], "dimensions": ["warehouse"],
                                        "start": "2026-03-01", "end": "2026-03-31"})
    assert [(row["keys"], row["values"]["revenue"]) for row in r.json()["rows"]] == [([s.shop.store.pk], "90.00")]
    assert manager.get("/reports/kpis/receivables", {"end": "2026-03-31"}).status_code == 403
    # a cashier reads the analyses of their warehouses without costs, and no partner balances; a user with no
    # reporting role reads nothing
    till = Api(s.shop.user("till", Role.CASHIER))
    r = till.post("/reports/query", {"measures": ["revenue", "gross_profit"], "start": "2026-03-01",
                                     "end": "2026-03-31"})
    assert r.status_code == 200 and r.json()["masked"] == ["gross_profit"], r.content
    assert r.json()["rows"][0]["values"] == {"revenue": "306.00", "gross_profit": None}
    assert till.get("/reports/kpis/receivables", {"end": "2026-03-31"}).status_code == 403
    assert Api(s.shop.user("nobody")).post("/reports/query", {"measures": ["revenue"]}).status_code == 403

    for bad in ({"measures": ["nope"]}, {"measures": ["revenue"], "dimensions": ["nope"]},
                {"measures": ["revenue"], "start": "2026-03-31", "end": "2026-03-01"},
                {"measures": ["revenue"], "top": 0}, {"measures": ["revenue"], "subtotals": "all"},
                {"measures": ["revenue"], "dimensions": ["supplier"]}, {"measures": ["revenue"], "filters": {"x": [1]}}):
        r = api.post("/reports/query", bad)
        assert r.status_code == 422 and r.json()["code"], (bad, r.content)
    assert api.get("/reports/kpis/nope").status_code == 404
    assert api.get("/reports/kpis/gross_margin", {"by": "supplier"}).status_code == 422
