"""The entity registry (bi/entities.py): every entity's SQL runs on the engine of the run and gives the columns it
declares; its figures equal the reports layer's (query.run, the KPIs) for the same period; one company sees only
its rows; the calendar carries the Chinese calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.db import connection

from openjxc.bi.entities import ENTITIES, TYPES, VERSION
from openjxc.bi.read import Scope, rows
from openjxc.reports.kpi_run import compute
from openjxc.reports.query import Query, run
from tests.reports.story import march

pytestmark = pytest.mark.django_db(transaction=True)
START, END = march(1), march(31)


def by_key(entity, scope, *keys, start=START, end=END):
    """Rows of `entity` in March as dicts, summed by `keys` over every decimal column."""
    e = ENTITIES[entity]
    names = [c.name for c in e.columns]
    out: dict = defaultdict(lambda: defaultdict(D))
    for row in rows(e, scope, start=start, end=end):
        r = dict(zip(names, row, strict=True))
        acc = out[tuple(r[k] for k in keys)]
        for c in e.columns:
            if c.type == "decimal" and r[c.name] is not None:
                acc[c.name] += r[c.name]
    return out


def report(company, measures, dims, start=START, end=END):
    res = run(company, Query(measures=measures, dimensions=dims, start=start, end=end))
    return {r.keys: r.values for r in res.rows if not r.subtotal}


def test_registry_declares_what_the_sql_gives(companies):
    assert VERSION >= 1
    assert list(ENTITIES)[:4] == ["fact_sales_line", "fact_stock_day", "fact_purchase_line", "fact_purchase_day"]
    assert {"fact_partner_day", "dim_item", "dim_category", "dim_partner", "dim_region", "dim_warehouse",
            "dim_date"} <= set(ENTITIES)
    for e in ENTITIES.values():
        assert all(c.type in TYPES and c.label_zh and c.label_en for c in e.columns), e.name
        assert "company_id" not in {c.name for c in e.columns}
        assert e.company_scoped == (e.name != "dim_date")
        sql = e.sql(connection.vendor)
        assert not sql.rstrip().endswith(";") and "order by" not in sql.lower()
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM ({sql}) e WHERE 1 = 0")
            got = [d[0] for d in cur.description]
        assert got == [c.name for c in e.columns] + (["company_id"] if e.company_scoped else []), e.name
        # the key is unique over every company's rows
        keys = ", ".join(e.key)
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM (SELECT {keys}, {'company_id' if e.company_scoped else '0'} AS c "
                        f"FROM ({sql}) e GROUP BY {keys}, c HAVING COUNT(*) > 1) d")
            assert cur.fetchone()[0] == 0, e.name
        assert list(rows(e, Scope(companies.acme.company.pk))), f"{e.name} has no rows in the story"


def test_figures_equal_the_reports_layer(companies):
    s, acme = companies.story, companies.acme
    company = acme.company
    scope = Scope(company.pk)

    sales = by_key("fact_sales_line", scope, "item_id")
    measures = ["sales_qty", "return_qty", "net_qty", "gross_sales", "returns", "revenue", "sales_tax", "discount",
                "cogs", "gross_profit"]
    rep = report(company, measures, ["item"])
    assert set(sales) == set(rep)
    for key, values in rep.items():
        for m in measures:
            assert sales[key][m] == values[m], (key, m)
    total = {m: sum(v[m] for v in sales.values()) for m in ("revenue", "cogs", "gross_profit")}
    assert total == {"revenue": D("306.00"), "cogs": D("184.80"), "gross_profit": D("121.20")}  # the story's

    # stock on hand at the end of March per warehouse and item = the running sum of the days up to it
    stock = by_key("fact_stock_day", scope, "warehouse_id", "item_id", start=None, end=END)
    rep = report(company, ["stock_qty", "stock_value"], ["warehouse", "item"])
    held = {k: v for k, v in stock.items() if v["net_qty"] or v["net_value"]}
    assert set(held) == {k for k, v in rep.items() if v["stock_qty"] or v["stock_value"]}
    for key, values in held.items():
        assert (values["net_qty"], values["net_value"]) == (rep[key]["stock_qty"], rep[key]["stock_value"])
    flows = by_key("fact_stock_day", scope, "flow")
    rep = report(company, ["qty_in", "qty_out", "value_in", "value_out"], ["flow"])
    names = {1: "purchase", 2: "sale", 3: "transfer", 7: "write_off", 10: "adjustment"}
    for (flow,), values in rep.items():
        for m in ("qty_in", "qty_out", "value_in", "value_out"):
            assert flows[(names[flow],)][m] == values[m], (flow, m)

    purchases = by_key("fact_purchase_day", scope, "supplier_id")
    rep = report(company, ["purchase_qty", "purchase_amount", "purchase_returns"], ["supplier"])
    assert {k: (v["purchase_qty"], v["purchase_amount"], v["return_amount"]) for k, v in purchases.items()} == {
        k: (v["purchase_qty"], v["purchase_amount"], v["purchase_returns"]) for k, v in rep.items()}

    # receivables at the end of March per customer: the running sum of the partner days
    partner = by_key("fact_partner_day", scope, "book", "partner_id", start=None, end=END)
    rep = report(company, ["receivable_balance", "receipts"], ["customer"])
    assert {k[1]: v["balance_change"] for k, v in partner.items() if k[0] == "receivable"} == {
        k[0]: v["receivable_balance"] for k, v in rep.items()} == {acme.customer.pk: D("53.44"),
                                                                    s.walk_in.pk: D("101.70")}

    # the on-time rate: lines promised in March, not closed before their date
    lines = [dict(zip([c.name for c in ENTITIES["fact_purchase_line"].columns], r, strict=True))
             for r in rows(ENTITIES["fact_purchase_line"], scope, start=START, end=END)]
    lines = [r for r in lines if r["closed_on"] is None or r["closed_on"] >= r["promised_on"]]
    kpi = compute(company, "on_time_rate", Query(measures=[], start=START, end=END)).total.parts
    assert (len(lines), sum(r["is_on_time"] for r in lines)) == (kpi["lines"], kpi["on_time"]) == (3, 1)
    assert sum(r["ordered_qty"] for r in lines) == kpi["ordered"] == D("130")
    assert {r["order_number"] for r in lines} == {s.po1.number, s.po2.number}


def test_dimensions(companies):
    s, acme = companies.story, companies.acme
    scope = Scope(acme.company.pk)

    def table(name):
        e = ENTITIES[name]
        return {r[0]: dict(zip([c.name for c in e.columns], r, strict=True)) for r in rows(e, scope)}

    cats = table("dim_category")
    assert cats[s.grain.pk]["level"] == 2
    assert (cats[s.grain.pk]["category_1"], cats[s.grain.pk]["category_2"], cats[s.grain.pk]["category_3"]) == (
        "食品", "粮油", None)
    assert cats[acme.food.pk]["parent_id"] is None and cats[acme.food.pk]["level"] == 1
    regions = table("dim_region")
    assert (regions[s.shanghai.pk]["region_1"], regions[s.shanghai.pk]["region_2"]) == ("华东", "上海")
    items = table("dim_item")
    assert items[acme.flour.pk]["name"] == "面粉" and items[acme.flour.pk]["category_id"] == s.grain.pk
    assert items[acme.flour.pk]["purchase_price"] == D("5") and items[acme.flour.pk]["is_active"] is True
    assert table("dim_warehouse")[acme.store.pk]["is_store"] is True
    assert table("dim_warehouse")[acme.main.pk]["is_store"] is False
    assert table("dim_partner")[s.walk_in.pk]["region_id"] == s.zhejiang.pk
    # another company's master data is not there
    other = companies.other
    assert other.flour.pk not in items and other.main.pk not in table("dim_warehouse")

    days = {r[0]: dict(zip([c.name for c in ENTITIES["dim_date"].columns], r, strict=True))
            for r in rows(ENTITIES["dim_date"], Scope(None), start=dt.date(2026, 2, 1), end=dt.date(2026, 4, 30))}
    new_year = days[dt.date(2026, 2, 17)]  # 春节 2026: 丙午 year of the horse, a Tuesday
    assert (new_year["lunar_year"], new_year["lunar_month"], new_year["lunar_day"]) == (2026, 1, 1)
    assert (new_year["lunar_month_zh"], new_year["lunar_day_zh"], new_year["festival_zh"]) == ("正月", "初一", "春节")
    assert (new_year["lunar_year_zh"], new_year["zodiac_zh"], new_year["weekday_zh"]) == ("丙午", "马", "星期二")
    assert (new_year["weekday"], new_year["is_weekend"], new_year["iso_week"], new_year["quarter"]) == (2, False, 8, 1)
    assert days[dt.date(2026, 2, 16)]["festival_zh"] == "除夕"
    assert days[dt.date(2026, 4, 5)]["solar_term_zh"] == "清明" and days[dt.date(2026, 4, 5)]["festival_zh"] is None
    assert days[dt.date(2026, 3, 1)]["month_zh"] == "2026年3月" and days[dt.date(2026, 3, 1)]["is_weekend"] is True


def test_company_and_warehouse_scope_and_costs(companies):
    acme, other = companies.acme, companies.other
    mine = list(rows(ENTITIES["fact_sales_line"], Scope(other.company.pk), start=None, end=None))
    e = ENTITIES["fact_sales_line"]
    item = [c.name for c in e.columns].index("item_id")
    assert {r[item] for r in mine} == {other.flour.pk}
    wh = [c.name for c in e.columns].index("warehouse_id")
    store_only = list(rows(e, Scope(acme.company.pk, frozenset({acme.store.pk}))))
    assert store_only and {r[wh] for r in store_only} == {acme.store.pk}
    masked = list(rows(e, Scope(acme.company.pk, show_cost=False)))
    costs = [i for i, c in enumerate(e.columns) if c.cost]
    assert costs and all(r[i] is None for r in masked for i in costs)
    assert any(r[[c.name for c in e.columns].index("revenue")] for r in masked)


@pytest.mark.django_db
def test_bi_role_needs_postgresql(shop):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    if connection.vendor == "postgresql":
        pytest.skip("the roles themselves: tests/bi/test_pg_roles.py")
    with pytest.raises(CommandError, match="bi.postgresql_only"):
        call_command("bi_role", "create", "--company", shop.company.code)


@pytest.mark.django_db
def test_bi_schema_command_fills_the_calendar_idempotently():
    import io

    from django.core.management import call_command

    from openjxc.bi.models import DateDim

    out = io.StringIO()
    call_command("bi_schema", "--from-year", "2024", "--to-year", "2024", stdout=out)
    assert "366 days added" in out.getvalue()  # a leap year
    assert ("bi schema version" in out.getvalue()) == (connection.vendor == "postgresql")
    call_command("bi_schema", "--from-year", "2024", "--to-year", "2024", stdout=out)
    assert "(0 days added)" in out.getvalue()
    assert DateDim.objects.filter(day__year=2024).count() == 366
    assert DateDim.objects.get(day=dt.date(2024, 2, 10)).festival_zh == "春节"
