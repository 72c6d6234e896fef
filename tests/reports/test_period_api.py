"""The weekly / monthly report and the report subscriptions over the API, and the page's refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.alerts import delivery, engine
from openjxc.alerts.models import Channel
from openjxc.alerts.rule_models import AlertKind
from openjxc.core import clock
from openjxc.core.models import AuditRecord
from openjxc.counts import services as counts
from openjxc.counts.selectors import accuracy_trend
from openjxc.counts.services import EntryInput
from openjxc.reports import cycle_times as ct
from openjxc.reports import period_report, periods
from openjxc.reports.facts.consumer import consume
from tests.api.conftest import Api
from tests.conftest import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    clock.freeze(dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.UTC))  # Wednesday 10:00 in Shanghai
    try:
        s = Shop()
        s.receive(s.flour, 10, "5.00")
        s.sell(s.flour, 4, price="8.00")
        consume(s.company)  # the worker (a GET reads the facts as it left them, it never brings them up to date)
        yield s
    finally:
        clock.freeze(None)


def figures(body) -> dict:
    return {f["key"]: f for s in body["sections"] for f in s["figures"]}


def test_the_week_over_the_api(shop):
    api = Api(shop.admin)
    r = api.get("/reports/period/week", {"start": "2026-03-11"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["start"], body["end"], body["previous_start"]) == ("2026-03-09", "2026-03-15", "2026-03-02")
    f = figures(body)
    assert (f["revenue"]["value"], f["revenue"]["previous"], f["revenue"]["change"]) == ("32.00", "0.00", "32.00")
    assert (f["gross_profit"]["value"], f["purchase_amount"]["value"]) == ("12.00", "50.00")
    assert D(f["gross_margin"]["value"]) == D("37.5000")
    assert body["summary"][0].startswith("Revenue (excl. VAT) +32.00")
    assert body["movers"][0]["rows"][0] == {"label": "食品", "value": "32.00", "previous": "0.00", "change": "32.00"}
    # the default is the last complete period
    assert api.get("/reports/period/month").json()["start"] == "2026-02-01"
    bad = api.get("/reports/period/day")
    assert bad.status_code == 422 and bad.json()["code"] == "validation.failed"
    assert api.get("/reports/period/week", {"start": "2026-13-01"}).status_code == 422
    cashier = Api(shop.user("till", "cashier"))
    masked = figures(cashier.get("/reports/period/week", {"start": "2026-03-11"}).json())
    assert masked["gross_margin"]["masked"] and masked["gross_margin"]["value"] is None
    assert "receivables" not in masked
    assert Api(shop.user("nobody")).get("/reports/period/week").status_code == 403


def test_subscriptions_over_the_api(shop):
    api = Api(shop.admin)
    feishu = Channel.objects.create(company=shop.company, kind="feishu", name="飞书群",
                                    config={"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"})
    hook = Channel.objects.create(company=shop.company, kind="webhook", name="ERP",
                                  config={"url": "https://example.com/h", "secret": "s" * 20})
    assert api.post("/reports/subscriptions", {"kind": "week", "channel": hook.pk}).status_code == 404
    r = api.post("/reports/subscriptions", {"kind": "month", "channel": feishu.pk})
    assert r.status_code == 201, r.content
    sub = r.json()
    assert (sub["kind"], sub["channel_name"], sub["channel_kind"]) == ("month", "飞书群", "feishu")
    again = api.post("/reports/subscriptions", {"kind": "month", "channel": feishu.pk})
    assert again.status_code == 409 and again.json()["code"] == "reports.subscription_exists"
    assert api.post("/reports/subscriptions", {"kind": "month", "channel": "x"}).status_code == 422
    assert [s["id"] for s in api.get("/reports/subscriptions").json()] == [sub["id"]]
    assert api.get("/reports/subscriptions/deliveries").json() == []
    other = Api(shop.user("manager2", "manager"))
    assert other.get("/reports/subscriptions").json() == []
    assert other.delete(f"/reports/subscriptions/{sub['id']}").status_code == 404
    assert api.delete(f"/reports/subscriptions/{sub['id']}").status_code == 204
    assert list(AuditRecord.objects.filter(action__startswith="report_subscription").order_by("id")
                .values_list("action", flat=True)) == ["report_subscription.create", "report_subscription.delete"]


def test_the_page_refuses_a_bad_period_and_a_user_without_reports(shop, client):
    client.force_login(shop.admin)
    r = client.get("/reports/weekly/", {"start": "not-a-date"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.content.decode()
    r = client.get("/reports/monthly/", {"start": "2026-03-11", "format": "xlsx"})
    assert r.status_code == 200 and r["Content-Disposition"] == 'attachment; filename="monthly-report-20260301.xlsx"'
    client.force_login(shop.user("nobody"))
    assert client.get("/reports/weekly/").status_code == 403
    assert client.get("/reports/subscriptions/").status_code == 403


def test_counts_alerts_and_cycle_times_come_from_their_selectors(shop):
    engine.save_rule(by=shop.admin, kind=AlertKind.CHANNEL_FAILING)
    hook = Channel.objects.create(company=shop.company, kind="webhook", name="ERP",
                                  config={"url": "https://example.com/h", "secret": "s" * 20})
    for _n in range(delivery.FAILING_AFTER):
        delivery.channel_failed(hook, clock.now(), "refused", gave_up=False)
    assert len(engine.scan_company(shop.company.pk).raised) == 1
    delivery.channel_succeeded(hook, clock.now())
    assert len(engine.scan_company(shop.company.pk).cleared) == 1
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False)
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.flour.pk, quantity=D("5.9"))])
    counts.finish_count(count, by=shop.admin)

    week = periods.containing("week", dt.date(2026, 3, 11))
    report = period_report.build(shop.admin, week)
    [bucket] = accuracy_trend(shop.company.pk, period="week", since=week.start, until=week.end)
    assert report.figure("counts_held").value == 1
    assert report.figure("line_accuracy").value == bucket["line_accuracy"] * 100 == D("100.00")  # −0.1 of 6: ±2 %
    assert report.figure("value_accuracy").value == bucket["value_accuracy"] * 100
    assert (report.figure("alerts_raised").value, report.figure("alerts_closed").value) == (1, 1)
    assert report.figure("alerts_raised").previous == 0
    cycle = ct.cycle_times(shop.company, ct.Filters(start=week.start, end=week.end))
    assert report.figure("documents_posted").value == cycle.total_to_post.count == 2  # the receipt and the sale
    # a salesperson of the store reads none of the main warehouse's counts
    seller = period_report.build(shop.user("seller", "salesperson", warehouses=[shop.store]), week)
    assert seller.figure("counts_held").value == 0 and seller.figure("line_accuracy").value is None
