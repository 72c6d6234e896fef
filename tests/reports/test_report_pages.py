"""The report pages over the March story (tests/reports/story.py): each shows exactly the figures the KPI functions
and the query layer return (read back from the page's `data-value`s), its Excel export holds the same figures as
the page, costs are masked for roles without stock.cost and a store keeper sees their store only."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from openjxc.core.models import Role
from openjxc.reports.kpi_run import compute
from openjxc.reports.query import Query
from tests.reports.pagefigs import figures
from tests.reports.story import march

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = "start=2026-03-01&end=2026-03-31"


def kpi(s, name, by=None, **params):
    return compute(s.shop.company, name, Query(measures=[], start=march(1), end=march(31)), by=by,
                   params=params or None)


def page(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.content[-2000:])
    return figures(r.content)


def same_as_page(client, url) -> int:
    """The workbook of `url` holds, sheet by sheet, the page's tables: same rows, same figures. Returns the cells
    compared."""
    shown = page(client, url)
    r = client.get(url + "&export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(r.content))
    sheets = wb.worksheets[1:]
    assert len(sheets) == len(shown.tables)
    compared = 0
    for ws, (name, rows) in zip(sheets, shown.tables.items(), strict=True):
        heads = [c.value for c in ws[1]][1:]
        cols = list(next(iter(rows.values()), {}).keys())
        assert len(heads) == len(cols), name
        body = {row[0].value: row[1:] for row in ws.iter_rows(min_row=2)}
        assert set(body) == set(rows), (name, set(body) ^ set(rows))
        for label, values in rows.items():
            for cell, col in zip(body[label], cols, strict=True):
                want = values[col]
                got = cell.value
                if got == "***":
                    assert want == "", (name, label, col)
                elif isinstance(got, int | float | D):
                    assert D(str(got)) == D(want), (name, label, col, got, want)
                else:
                    assert (got or "") == want or want == "", (name, label, col, got, want)
                compared += 1
    # the cards: figure and formula on the first sheet
    cards = {row[0].value: row[1].value for row in wb.worksheets[0].iter_rows(min_row=5) if row[0].value}
    assert len(cards) == len(shown.cards)
    return compared


def test_each_page_shows_the_kpi_functions_figures_and_exports_the_same(story, client):
    s = story
    shop = s.shop
    main, store = shop.main.pk, shop.store.pk
    client.force_login(shop.admin)

    # 1. sales by item: revenue, gross profit, margin; the cards are the KPI functions' values
    sales = page(client, f"/reports/sales/?by=item&{MARCH}")
    assert sales.cards["revenue"] == "306.00"
    for name in ("gross_profit", "gross_margin", "tickets", "average_ticket", "returns_rate"):
        assert sales.cards[name] == str(kpi(s, name).total.value), name
    ranking = sales.tables["ranking"]
    assert ranking["F001 面粉"]["revenue"] == "216.00" and ranking["F001 面粉"]["margin"] == "30.5556"
    assert ranking["W001 矿泉水"]["revenue"] == "90.00" and ranking["Total"]["gross_profit"] == "121.20"
    assert list(ranking)[:2] == ["F001 面粉", "W001 矿泉水"]  # ranked by revenue
    bottom = page(client, f"/reports/sales/?by=item&order=bottom&top=1&{MARCH}").tables["ranking"]
    assert list(bottom) == ["W001 矿泉水", "Total"]
    assert same_as_page(client, f"/reports/sales/?by=category&{MARCH}") > 20

    # 2. gross margin by category: the rows of gross_margin / gross_profit by category
    margin = page(client, f"/reports/margin/?by=category&{MARCH}").tables["margin"]
    gm = {r.label or "Total": r.value for r in kpi(s, "gross_margin", by="category").rows}
    gp = {r.label or "Total": r.value for r in kpi(s, "gross_profit", by="category").rows}
    assert {k: D(v["margin"]) for k, v in margin.items()} == gm
    assert {k: D(v["gross_profit"]) for k, v in margin.items()} == gp
    assert margin["Total"]["markup"] == str(kpi(s, "markup").total.value)
    assert same_as_page(client, f"/reports/margin/?by=store&{MARCH}") > 5

    # 3. inventory: stock on 03-31, turnover days by warehouse, ageing and 呆滞, days of supply
    stock = page(client, "/reports/inventory/?view=stock&by=item&end=2026-03-31").tables["stock"]
    assert {k: (v["stock_qty"], v["stock_value"]) for k, v in stock.items()} == {
        "S001 白糖": ("35.0000", "145.00"), "F001 面粉": ("115.0000", "625.00"), "W001 矿泉水": ("270.0000", "313.20"),
        "Total": ("420.0000", "1083.20")}
    turnover = page(client, f"/reports/inventory/?view=turnover&by=warehouse&{MARCH}")
    days = {r.label or "Total": str(r.value) for r in kpi(s, "turnover_days", by="warehouse").rows}
    assert {k: v["days"] for k, v in turnover.tables["turnover"].items()} == days
    assert turnover.cards["turnover"] == "0.2108"
    ageing = page(client, f"/reports/inventory/?view=ageing&by=warehouse&{MARCH}")
    age = kpi(s, "ageing").total
    assert ageing.tables["ageing"]["Total"]["value"] == "1083.20" == str(age.value)
    assert {b: ageing.tables["ageing"]["Total"][b] for b in age.parts["buckets"]} == {
        b: str(v) for b, v in age.parts["buckets"].items()}
    assert ageing.tables["obsolete"] == {"S001 白糖": {"warehouse": "总仓", "qty": "35.0000", "value": "145.00",
                                                      "obsolete_qty": "20.0000", "obsolete_value": "82.86"}}
    assert ageing.cards["ageing"] == "1083.20" and ageing.cards["obsolete_value"] == "82.86"
    assert ageing.cards["obsolete_rate"] == "7.6496" and ageing.cards["slow_moving"] == "13.3863"
    assert "S001 白糖" in ageing.tables["slow"]
    supply = page(client, f"/reports/inventory/?view=supply&by=item&{MARCH}")
    assert supply.cards["days_of_supply"] == "196.0000" and supply.cards["stock_to_sales"] == "7.0000"
    assert supply.tables["supply"]["Total"]["days"] == "196.0000"
    assert same_as_page(client, f"/reports/inventory/?view=ageing&by=warehouse&{MARCH}") > 20

    # 4. sell-through by store: 动销率 100 %, 售罄率 50 % (30 sold of 60 in)
    st = page(client, f"/reports/sell-through/?by=store&{MARCH}")
    assert st.tables["sell_through"]["人民路门店"]["breadth"] == "100.0000"
    assert st.tables["sell_through"]["人民路门店"]["rate"] == "50.0000"
    assert st.cards["sell_through_breadth"] == "66.6667" and st.cards["sell_through"] == "12.3711"
    assert same_as_page(client, f"/reports/sell-through/?by=warehouse&{MARCH}") > 10

    # 5. purchasing: on-time rate per supplier (the new definition), spend, the price trend of flour
    pur = page(client, f"/reports/purchasing/?by=supplier&item={shop.flour.pk}&{MARCH}")
    assert pur.cards["on_time_rate"] == "33.3333"
    assert pur.tables["on_time"]["Total"]["rate"] == "33.3333" and pur.tables["on_time"]["Total"]["lines"] == "3"
    assert pur.tables["price"]["2026-03"]["purchase_price"] == "5.3333"  # (500 + 300) ÷ 150
    assert same_as_page(client, f"/reports/purchasing/?by=category&{MARCH}") > 10

    # 6. receivables and payables: balances, overdue, DSO
    ar = page(client, f"/reports/receivables/?{MARCH}")
    assert ar.cards["receivables"] == "155.14" and ar.cards["dso"] == "11.2594"
    assert ar.tables["receivables"]["好运超市"]["balance"] == "53.44"
    assert ar.tables["receivables"]["Total"]["overdue"] == "155.14"  # never above the balance
    assert same_as_page(client, f"/reports/receivables/?{MARCH}") > 10
    del main, store


def test_costs_are_masked_and_a_store_keeper_sees_the_store_only(story, client):
    s = story
    shop = s.shop
    keeper = shop.user("store-keeper", Role.KEEPER, warehouses=[shop.store])
    client.force_login(keeper)
    by_wh = page(client, f"/reports/sales/?by=warehouse&{MARCH}").tables["ranking"]
    assert {k: v["revenue"] for k, v in by_wh.items()} == {"人民路门店": "90.00", "Total": "90.00"}
    assert by_wh["Total"]["gross_profit"] == "55.20"  # a keeper may see costs
    stock = page(client, "/reports/inventory/?view=stock&by=warehouse&end=2026-03-31").tables["stock"]
    assert set(stock) == {"人民路门店", "Total"}
    r = client.get(f"/reports/receivables/?{MARCH}")  # balances are kept for the whole company only
    assert r.status_code == 200 and 'role="alert"' in r.content.decode() and not figures(r.content).cards
    r = client.get(f"/reports/sales/?by=warehouse&warehouse={shop.main.pk}&{MARCH}")  # not theirs: not a choice
    assert "has-error" in r.content.decode()
    assert figures(r.content).tables["ranking"]["Total"]["revenue"] == "90.00"

    cashier = shop.user("till", Role.CASHIER)
    client.force_login(cashier)
    margin = page(client, f"/reports/margin/?by=category&{MARCH}")
    assert margin.cards["gross_profit"] == "" and margin.cards["gross_margin"] == ""
    assert margin.tables["margin"]["Total"]["revenue"] == "306.00"
    assert margin.tables["margin"]["Total"]["gross_profit"] == "" and margin.tables["margin"]["Total"]["cogs"] == ""
    html = client.get(f"/reports/margin/?by=category&{MARCH}").content.decode()
    assert "121.20" not in html and "***" in html
    r = client.get(f"/reports/margin/?by=category&{MARCH}&export=xlsx")
    text = [c.value for ws in load_workbook(io.BytesIO(r.content)).worksheets for row in ws.iter_rows()
            for c in row]
    assert "***" in text and not any(v in (D("121.20"), 121.2, D("184.80"), 184.8) for v in text)
    pivot = client.get(f"/reports/pivot/?row1=category&measures=revenue&measures=gross_profit&subtotals=on&{MARCH}")
    assert "121.20" not in pivot.content.decode() and "306.00" in pivot.content.decode()

    client.force_login(shop.user("nobody"))
    assert client.get(f"/reports/sales/?{MARCH}").status_code == 403
    assert client.get(f"/reports/pivot/?{MARCH}").status_code == 403


def test_every_breakdown_a_report_page_offers_answers_and_refused_input_says_why(story, client):
    """Each page answers for each breakdown its form offers (the inventory page offered turnover by top category,
    which the KPI refused: a 500), and input the query layer refuses is a 422 page naming the reason."""
    from openjxc.reports.analysis_views import MARGIN_DIMS, PURCHASE_DIMS, SALES_DIMS, SELL_DIMS
    from openjxc.reports.inventory_views import DIMS

    client.force_login(story.shop.admin)
    pages = [("/reports/sales/?", SALES_DIMS), ("/reports/margin/?", MARGIN_DIMS),
             ("/reports/purchasing/?", PURCHASE_DIMS), ("/reports/sell-through/?", SELL_DIMS)]
    pages += [(f"/reports/inventory/?view={view}&", dims) for view, dims in DIMS.items()]
    answered = 0
    for prefix, dims in pages:
        for by in dims:
            r = client.get(f"{prefix}by={by}&{MARCH}")
            assert r.status_code == 200, (prefix, by, r.content[-1500:])
            answered += 1
    assert answered >= 30
    r = client.get("/reports/sales/?by=item&start=2019-01-01&end=2026-03-31")
    assert r.status_code == 422
    assert b"five years" in r.content and b'data-code="validation.failed"' in r.content
