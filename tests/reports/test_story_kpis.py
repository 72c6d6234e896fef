"""Every KPI of the registry against a hand-computed month (tests/reports/story.py), on the engine of the run.

The facts are kept by the consumer from the change feed, as in production (it ran on 2025-09-01, 03-01 and 03-16
and runs once more at the end); the figures are worked out by hand from the story's documents (the working is in
the comments) and must come out exactly.

R4, posted on 03-22 but dated 03-03, makes the moving average re-costed from 03-03 (stock/recost.py): water at
总仓 costs (288 + 60) / 300 = 1.16 from then on, so S2 is corrected from 120.00 to 116.00, the transfer from 72.00 to
69.60 (and with it the store's water), and S3 at the store costs 30 × 1.16 = 34.80.

Stock cost per day in March (business dates; R4 counts from 03-03, R5's sugar from 02-10):
    day    flour 总仓  water 总仓  water 门店  sugar 总仓   total
    1–2        500      288.00        –        145      933.00
    3–4        500      348.00        –        145      993.00
    5–9        300      348.00        –        145      793.00
    10–11      300      232.00        –        145      677.00
    12–14      350      232.00        –        145      727.00
    15–17      350      162.40      69.60      145      727.00
    18–19      325      162.40      69.60      145      702.00
    20–24      625      162.40      69.60      145     1002.00
    25–27      625      162.40      34.80      145      967.20
    28–31      625      278.40      34.80      145     1083.20
Σ over the 31 days = 27,181.40 (总仓 26,241.80, 门店 939.60); COGS = 184.80 (总仓 150.00, 门店 34.80).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.documents.on_time import on_time_rate
from openjxc.reports.facts.check import check_facts
from openjxc.reports.kpi_run import compute
from openjxc.reports.query import Query, run
from tests.conftest import assert_ledger_consistent
from tests.reports.story import march

pytestmark = pytest.mark.django_db(transaction=True)


def kpi(s, name, by=None, start=march(1), end=march(31), **params):
    q = Query(measures=[], start=start, end=end)
    return compute(s.shop.company, name, q, by=by, params=params or None)


def rows(result) -> dict:
    return {r.key: r.value for r in result.rows}


def test_march_story(story):
    s = story
    shop = s.shop
    main, store = shop.main.pk, shop.store.pk
    assert_ledger_consistent()
    report = check_facts(shop.company)
    assert report.problems == [] and report.caught_up == 0

    # 毛利: revenue = S1 288.00 (320 − 10 %) + S2 200.00 − S2 voided 200.00 + S3 90.00 − RT1 72.00 (10/40 of 288)
    # = 306.00; COGS = S1 200.00 (40 × 5) + S2 116.00 − 116.00 (void) + S3 34.80 − RT1 50.00 = 184.80
    gp = kpi(s, "gross_profit")
    assert gp.total.value == D("121.20")
    assert gp.total.parts == {"revenue": D("306.00"), "cogs": D("184.80")}
    assert kpi(s, "gross_margin").total.value == D("39.6078")  # 121.20 / 306
    assert kpi(s, "markup").total.value == D("65.5844")  # 121.20 / 184.80, labelled apart
    assert rows(kpi(s, "gross_profit", by="warehouse")) == {main: D("66.00"), store: D("55.20"), None: D("121.20")}
    assert rows(kpi(s, "gross_margin", by="category")) == {
        s.grain.pk: D("30.5556"),  # flour: (288 − 72) − (200 − 50) = 66 on 216
        s.drinks.pk: D("61.3333"),  # water: 90 − 34.80 = 55.20 on 90 (S2 and its void cancel)
        None: D("39.6078")}

    # returns rate = returns 72.00 ÷ gross sales (288 + 200 − 200 + 90 = 378.00)
    assert kpi(s, "returns_rate").total.value == D("19.0476")
    # tickets: S1, S2, S3 − S2's void = 2; average ticket = 306 / 2
    assert kpi(s, "tickets").total.value == D(2)
    assert kpi(s, "average_ticket").total.value == D("153.0000")
    assert rows(kpi(s, "average_ticket", by="store")) == {store: D("90.0000"), None: D("90.0000")}  # stores only

    # 周转: average stock = 27,181.40 / 31; turnover = 184.80 / (27,181.40 / 31) = 0.2108; days = 27,181.40 / 184.80
    t = kpi(s, "turnover")
    assert t.total.value == D("0.2108") and t.total.parts["average_stock"] == D("876.82")
    days = rows(kpi(s, "turnover_days", by="warehouse"))
    assert days[main] == D("174.9453") and days[store] == D("27.0000") and days[None] == D("147.0855")
    # by category: 粮油 = flour + sugar at 总仓 (Σ 18,845.00, COGS 150.00), 饮料 = water at both (Σ 8,336.40, COGS
    # 34.80); by item sugar sold nothing (no days); a store breakdown counts the stores only (939.60 / 34.80)
    assert rows(kpi(s, "turnover_days", by="category")) == {s.grain.pk: D("125.6333"), s.drinks.pk: D("239.5517"),
                                                            None: D("147.0855")}
    assert rows(kpi(s, "turnover_days", by="item")) == {shop.flour.pk: D("95.6667"), s.sugar.pk: None,
                                                        shop.water.pk: D("239.5517"), None: D("147.0855")}
    assert rows(kpi(s, "turnover_days", by="store")) == {store: D("27.0000"), None: D("27.0000")}
    assert rows(kpi(s, "turnover_days", by="category_1")) == {shop.food.pk: D("147.0855"), None: D("147.0855")}
    # a period that is not whole months: 03-05 … 03-20, 16 days, Σ = 12,087.00, COGS 200 + 116 − 50 = 266
    part = kpi(s, "turnover_days", start=march(5), end=march(20)).total
    assert part.value == D("45.4398") and part.parts["turnover"] == D("0.3521")

    # 售罄率 = net sold 60 (40 + 100 − 100 + 30 − 10) ÷ (opening 35 sugar + received 100 + 240 + 60 + 50)
    assert kpi(s, "sell_through").total.value == D("12.3711")
    assert rows(kpi(s, "sell_through", by="store")) == {store: D("50.0000"), None: D("50.0000")}  # 30 ÷ 60 in
    # 动销率: on sale flour, water, sugar (stock); net sold > 0: flour, water (总仓: flour only; 门店: water)
    b = kpi(s, "sell_through_breadth", by="warehouse")
    assert b.total.value == D("66.6667") and b.total.parts == {"skus_sold": 2, "skus_on_sale": 3}
    assert rows(b)[main] == D("33.3333") and rows(b)[store] == D("100.0000")
    # 可售天数 = 420 on hand ÷ (60 net sold in 03-04 … 03-31 ÷ 28); 库销比 = 420 ÷ 60
    assert kpi(s, "days_of_supply").total.value == D("196.0000")
    assert kpi(s, "stock_to_sales").total.value == D("7.0000")

    # 滞销 (90 days): sugar was never sold: 145 of 1,083.20; with 10 days also flour (last sale 03-05) and water
    # at 总仓 (03-10): (625 + 278.40 + 145) ÷ 1,083.20
    assert kpi(s, "slow_moving").total.value == D("13.3863")
    slow = kpi(s, "slow_moving", days=10)
    assert slow.total.value == D("96.7873")
    assert {(r["warehouse"], r["item"]) for r in slow.extra["items"]} == {
        (main, shop.flour.pk), (main, shop.water.pk), (main, s.sugar.pk)}

    # 库龄 on 03-31: all of March's stock is 0–30 days old (938.20); sugar 35 kg = 145.00: 10 (01-10) + 5 (02-10)
    # are 31–90 days old, 20 (2025-09-01) 181–365; at 145/35 per kg: 62.14 and 82.86
    age = kpi(s, "ageing").total
    assert age.value == D("1083.20")
    assert age.parts["buckets"] == {"0-30": D("938.20"), "31-90": D("62.14"), "91-180": D("0.00"),
                                    "181-365": D("82.86"), "365+": D("0.00")}
    # 呆滞: older than 180 days and no outbound move in 180 days: the 20 kg of sugar, 82.86 of 1,083.20
    assert age.parts["obsolete_value"] == D("82.86")
    assert kpi(s, "obsolete_rate").total.value == D("7.6496")

    # 采购到货准时率: lines promised in March: water (03-05, 60 by 03-03: on time), flour (03-19, came 03-20),
    # milk (03-25, never) → 1 of 3; by quantity 60 of 130; a day's grace makes the flour on time
    ot = kpi(s, "on_time_rate").total
    assert ot.value == D("33.3333") and ot.parts["qty_rate"] == D("46.1538")
    assert kpi(s, "on_time_rate", grace_days=1).total.value == D("66.6667")
    assert rows(kpi(s, "on_time_rate", by="supplier")) == {shop.supplier.pk: D("33.3333"), None: D("33.3333")}
    # the same from the documents (the orders API's figure)
    assert on_time_rate(shop.company.pk, date_from=march(1), date_to=march(31)) == [{
        "supplier": shop.supplier.pk, "lines": 3, "on_time": 1, "rate": D("0.3333"), "ordered": D("130.0000"),
        "received_on_time": D("60.0000"), "qty_rate": D("0.4615")}]

    # 应收: 好运超市 S1 325.44 (288 + 13 %) + S2 226.00 − 226.00 (void) − RT1 72.00 − receipt 200.00 = 53.44;
    # 街坊便利 S3 101.70; open: S1 253.44 (72 applied) due 03-05, S3 101.70 due 03-25, both overdue on 03-31;
    # 好运超市's unapplied receipt of 200.00 settles its oldest document first: overdue 53.44 + 101.70
    ar = kpi(s, "receivables").total
    assert ar.value == D("155.14")
    assert ar.parts["overdue"] == D("155.14") and ar.parts["unapplied_credits"] == D("-200.00")
    assert ar.parts["open_documents"] == D("355.14")
    assert ar.parts["buckets"] == {"0-30": D("155.14"), "31-60": D("0.00"), "61-90": D("0.00"), "90+": D("0.00")}
    assert rows(kpi(s, "receivables", by="customer")) == {shop.customer.pk: D("53.44"), s.walk_in.pk: D("101.70"),
                                                          None: D("155.14")}
    for row in kpi(s, "receivables", by="customer").rows:  # each row reconciles: ages + credits left = balance
        assert sum(row.parts["buckets"].values()) + row.parts["credit_balance"] == row.value
        assert row.parts["overdue"] <= max(row.value, 0)
    # DSO = 155.14 ÷ invoiced (325.44 + 226.00 − 226.00 + 101.70 = 427.14) × 31
    assert kpi(s, "dso").total.value == D("11.2594")

    # 同比 / 环比: nothing a year before; February's revenue was 0
    g = kpi(s, "growth").total
    assert g.parts["revenue"] == D("306.00") and g.parts["year_on_year"] is None


def test_stock_as_of_a_day_reads_checkpoint_and_days_and_sees_back_dated_receipts(story):
    s = story
    company = s.shop.company

    def stock_on(day):
        q = Query(measures=["stock_qty", "stock_value"], dimensions=["item"], start=day.replace(day=1), end=day)
        return {r.keys[0]: (r.values["stock_qty"], r.values["stock_value"]) for r in run(company, q).rows}

    # sugar: 20 @ 4.00 (2025-09-01), 10 @ 4.50 (01-10), and R5's 5 @ 4.00 counted from 02-10 though posted 03-21
    assert stock_on(dt.date(2026, 2, 5))[s.sugar.pk] == (D("30.0000"), D("125.00"))
    assert stock_on(dt.date(2026, 2, 20))[s.sugar.pk] == (D("35.0000"), D("145.00"))
    assert stock_on(march(31)) == {s.sugar.pk: (D("35.0000"), D("145.00")),
                                  s.shop.flour.pk: (D("115.0000"), D("625.00")),
                                  s.shop.water.pk: (D("270.0000"), D("313.20"))}
