"""A KPI alert's link carries `f_<dim>` filters: every report page it can point to opens narrowed to the cause
(the March story, tests/reports/story.py), with figures computed by hand from the story:

- purchase order lines promised in March: PO1 面粉 (粮油, a day late), PO1 鲜牛奶 (食品, never received), PO2 矿泉水
  (饮料, on time) → 饮料 100 %, 粮油 0 %, 食品 with its sub-categories 1 of 3;
- receivables on 03-31: 好运超市 (上海) 53.44, 街坊便利 (浙江) 101.70 (S3 30 × 3.00 + 13 % VAT, nothing paid) →
  浙江 101.70 with DSO 31 days (all of it invoiced in the 31 days), 华东 (上海 + 浙江) 155.14;
- stock on 03-31 (the inventory page): 白糖 35 kg worth 145.00, of which 20 kg (82.86) obsolete.
"""

from __future__ import annotations

import pytest

from openjxc.reports.kpi_rules import report_link
from tests.reports.pagefigs import figures

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = "start=2026-03-01&end=2026-03-31"


def shown(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.content[-2000:])
    return figures(r.content), r.content.decode()


def test_the_on_time_rate_honours_a_category_or_item_filter(story, client):
    s = story
    client.force_login(s.shop.admin)
    expected = {f"f_category={s.drinks.pk}": ("100.0000", "1"), f"f_category={s.grain.pk}": ("0.0000", "1"),
                f"f_category={s.shop.food.pk}": ("33.3333", "3"), f"f_item={s.shop.flour.pk}": ("0.0000", "1"),
                f"f_item={s.shop.water.pk}": ("100.0000", "1"), "": ("33.3333", "3")}
    for narrow, (rate, lines) in expected.items():
        figs, html = shown(client, f"/reports/purchasing/?{MARCH}&{narrow}")
        assert figs.cards["on_time_rate"] == rate, narrow
        assert figs.tables["on_time"]["Total"]["rate"] == rate and figs.tables["on_time"]["Total"]["lines"] == lines
        assert ("data-narrowed" in html) == bool(narrow)
    # the category narrows the spend too: 饮料 is the water received in March, 240 @ 1.20 + 60 @ 1.00
    figs, _html = shown(client, f"/reports/purchasing/?{MARCH}&f_category={s.drinks.pk}")
    assert figs.cards["purchase_amount"] == "348.00"


def test_the_receivables_page_is_narrowed_to_a_customer_or_a_region(story, client):
    s = story
    client.force_login(s.shop.admin)
    figs, html = shown(client, f"/reports/receivables/?{MARCH}&f_customer={s.walk_in.pk}")
    assert figs.cards["receivables"] == "101.70" and figs.cards["overdue"] == "101.70"
    assert figs.cards["dso"] == "31.0000"
    assert set(figs.tables["receivables"]) == {"街坊便利", "Total"} and "data-narrowed" in html and "街坊便利" in html
    figs, _html = shown(client, f"/reports/receivables/?{MARCH}&f_region={s.zhejiang.pk}")
    assert figs.cards["receivables"] == "101.70" and set(figs.tables["receivables"]) == {"街坊便利", "Total"}
    figs, _html = shown(client, f"/reports/receivables/?{MARCH}&f_region={s.east.pk}")  # with its sub-regions
    assert figs.cards["receivables"] == "155.14" and figs.tables["receivables"]["好运超市"]["balance"] == "53.44"
    figs, _html = shown(client, f"/reports/receivables/?{MARCH}")
    assert figs.cards["receivables"] == "155.14" and figs.cards["dso"] == "11.2594"  # as before, unfiltered


def test_the_inventory_tabs_are_narrowed_to_an_item_or_a_category(story, client):
    s = story
    client.force_login(s.shop.admin)
    figs, html = shown(client, f"/reports/inventory/?view=ageing&by=warehouse&{MARCH}&f_item={s.sugar.pk}")
    assert figs.cards["ageing"] == "145.00" and figs.cards["obsolete_value"] == "82.86"
    assert figs.cards["obsolete_rate"] == "57.1448"  # 82.86 ÷ 145.00
    assert list(figs.tables["obsolete"]) == ["S001 白糖"] and set(figs.tables["slow"]) <= {"S001 白糖"}
    assert "data-narrowed" in html
    figs, _html = shown(client, f"/reports/inventory/?view=supply&{MARCH}&f_category={s.drinks.pk}")
    assert set(figs.tables["supply"]) <= {"W001 矿泉水", "Total"} and "W001 矿泉水" in figs.tables["supply"]
    figs, _html = shown(client, f"/reports/inventory/?view=stock&by=item&end=2026-03-31&f_category={s.grain.pk}")
    assert {k: v["stock_value"] for k, v in figs.tables["stock"].items()} == {
        "S001 白糖": "145.00", "F001 面粉": "625.00", "Total": "770.00"}


def test_a_kpi_alerts_link_opens_the_tab_showing_the_kpi_filtered_to_the_cause(story, client):
    s = story
    client.force_login(s.shop.admin)
    base = {"start": "2026-03-01", "end": "2026-03-31", "by": "item", "key": s.sugar.pk}
    link = report_link({**base, "kpi": "obsolete_rate", "by": "category", "key": s.grain.pk})
    assert link.startswith("/reports/inventory/?view=ageing&") and f"f_category={s.grain.pk}" in link
    figs, html = shown(client, link)
    assert figs.cards["obsolete_value"] == "82.86" and figs.cards["ageing"] == "770.00" and "data-narrowed" in html
    link = report_link({**base, "kpi": "turnover_days"})
    assert link.startswith("/reports/inventory/?view=turnover&") and f"f_item={s.sugar.pk}" in link
    figs, _html = shown(client, link)
    assert [k for k in figs.tables["turnover"] if k != "Total"] == ["S001 白糖"]
    link = report_link({**base, "kpi": "receivables", "by": "customer", "key": s.walk_in.pk})
    assert link.startswith("/reports/receivables/?") and f"f_customer={s.walk_in.pk}" in link
    figs, _html = shown(client, link)
    assert figs.cards["receivables"] == "101.70"
