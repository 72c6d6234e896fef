"""The weekly and monthly business report over the March story (tests/reports/story.py), on the engine of the run.

Every figure of the report must be the reports layer's figure for the same period (a KPI of the registry or a
measure of the semantic layer) — for the period and for the one before — and the key ones are worked out by hand:

March: revenue 306.00, gross profit 121.20, 毛利率 39.6078 % (test_story_kpis.py).
Week 03-09…03-15: S2 200.00 (cost 116.00 after R4's re-costing) less RT1 72.00 (cost 50.00): revenue 128.00,
gross profit 62.00, 毛利率 48.4375 %. Week 03-02…03-08: S1 288.00, cost 200.00: 88.00, 30.5556 %.
The 毛利率 change, +17.8819 pt, split by category: 饮料 84 ÷ 128 − 0 ÷ 288 = +65.6250 pt, 粮油 (−72 + 50) ÷ 128 −
88 ÷ 288 = −47.7431 pt.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.reports import period_report, periods
from openjxc.reports.kpi_run import compute
from openjxc.reports.period_summary import contributions
from openjxc.reports.query import Query, run
from tests.reports.story import march

STORY = pytest.mark.django_db(transaction=True)


def layer(company, source: str, start, end, scope=None):
    """The reports layer's own figure for a report figure's source."""
    kind, _sep, name = source.partition(":")
    q = Query(measures=[], start=start, end=end, warehouse_ids=scope)
    if kind == "kpi":
        return compute(company, name, q).total.value
    res = run(company, Query(measures=[name], start=start, end=end, warehouse_ids=scope))
    return res.rows[0].values[name] if res.rows else D(0)


def assert_equal_to_layer(report, company, scope=None):
    checked = 0
    for sd in period_report.SECTIONS:
        for fd in sd.figures:
            if fd.source == "own":
                continue
            f = report.figure(fd.key)
            for value, p in ((f.value, report.period), (f.previous, report.previous)):
                assert value == layer(company, fd.source, p.start, p.end, scope), (fd.key, p)
                checked += 1
    receivables = compute(company, "receivables", Query(measures=[], start=report.period.start,
                                                        end=report.period.end)).total
    assert report.figure("receivables").value == receivables.value
    assert report.figure("overdue").value == receivables.parts["overdue"]
    return checked


@STORY
def test_month_report_equals_the_reports_layer(story):
    s = story
    month = periods.containing("month", march(10))
    assert (month.start, month.end) == (march(1), march(31))
    report = period_report.build(s.shop.admin, month)
    assert (report.previous.start, report.previous.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert assert_equal_to_layer(report, s.shop.company) == 2 * 10
    assert report.figure("revenue").value == D("306.00")
    assert report.figure("gross_profit").value == D("121.20")
    assert report.figure("gross_margin").value == D("39.6078")
    assert report.figure("revenue").previous == D("0.00")
    # the one posting of February: R5 (sugar 5 @ 4.00, dated back) — purchases 20.00 then
    assert report.figure("purchase_amount").previous == D("20.00")
    assert [m.label for m in report.movers[0].rows] == ["粮油", "饮料"]  # revenue by category: 216 vs 90


@STORY
def test_week_report_equals_the_reports_layer_and_explains_the_margin(story):
    s = story
    week = periods.containing("week", march(12))
    assert (week.start, week.end) == (march(9), march(15))
    report = period_report.build(s.shop.admin, week)
    assert (report.previous.start, report.previous.end) == (march(2), march(8))
    assert assert_equal_to_layer(report, s.shop.company) == 2 * 10
    margin = report.figure("gross_margin")
    assert (margin.value, margin.previous, margin.change) == (D("48.4375"), D("30.5556"), D("17.8819"))
    rev = report.figure("revenue")
    assert (rev.value, rev.previous, rev.change_pct) == (D("128.00"), D("288.00"), D("-55.6"))
    r = period_report.reader_of(s.shop.admin)
    split = dict(contributions(r, "margin", "category", week, report.previous))
    assert {k: v.quantize(D("0.0001")) for k, v in split.items()} == {"饮料": D("65.6250"), "粮油": D("-47.7431")}
    assert sum(split.values()).quantize(D("0.0001")) == margin.change
    zh = "\n".join(report.summary["zh"])
    en = "\n".join(report.summary["en"])
    assert "毛利率 +17.9 pt：饮料 分类，总仓" in zh, zh
    assert "Gross margin (毛利率) +17.9 pt: 饮料 category, 总仓" in en, en
    assert "−160.00 (−55.6%)" in en  # revenue, down


@STORY
def test_a_store_salesperson_reads_their_store_without_costs(story):
    s = story
    keeper = s.shop.user("store-seller", "salesperson", warehouses=[s.shop.store])
    month = periods.containing("month", march(1))
    report = period_report.build(keeper, month)
    assert report.masked
    assert report.figure("gross_margin").masked and report.figure("gross_margin").value is None
    assert not [f for sec in report.sections for f in sec.figures if f.key == "receivables"]
    # S3 at the store: 30 × 3.00
    assert report.figure("revenue").value == D("90.00")
    assert report.figure("revenue").value == layer(s.shop.company, "measure:revenue", month.start, month.end,
                                                   frozenset({s.shop.store.pk}))
    assert not any(m.measure == "gross_profit" for m in report.movers)


def test_periods():
    assert periods.containing("week", dt.date(2026, 3, 1)) == periods.Period("week", dt.date(2026, 2, 23),
                                                                             dt.date(2026, 3, 1))
    assert periods.containing("month", dt.date(2024, 2, 10)).end == dt.date(2024, 2, 29)
    sent = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # Monday 08:00 in Shanghai
    assert periods.due("week", sent, "Asia/Shanghai").start == dt.date(2026, 2, 23)
    assert periods.due("week", sent - dt.timedelta(seconds=1), "Asia/Shanghai").start == dt.date(2026, 2, 16)
    assert periods.due("month", sent, "Asia/Shanghai").start == dt.date(2026, 2, 1)
    assert periods.due("month", dt.datetime(2026, 2, 28, 23, 59, tzinfo=dt.UTC), "Asia/Shanghai").start == \
        dt.date(2026, 1, 1)  # 07:59 on 1 March in Shanghai: February's goes out at 08:00
