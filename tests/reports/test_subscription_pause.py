"""Report subscriptions: paused and resumed (page button and API, audited), a worker that was down past several
periods sending each missed one once, oldest first, within the look-back, and report messages counted against the
channel's rate limit with the alert deliveries — through the worker's periodic
task and a real HTTP server on loopback standing in for the DingTalk robot (tests/reports/test_period_subscriptions)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from openjxc.alerts import channel_services
from openjxc.alerts.delivery import dispatch_due
from openjxc.alerts.models import Delivery
from openjxc.alerts.notify import notify
from openjxc.core import clock
from openjxc.core.errors import NotFound
from openjxc.core.models import AuditRecord, Event
from openjxc.reports.models import ReportDelivery, ReportSubscription
from openjxc.reports.subscription_send import missed
from openjxc.reports.subscriptions import pause_subscription, resume_subscription, subscribe_report
from openjxc.reports.tasks import send_period_reports
from tests.alerts.conftest import DING_SECRET
from tests.api.conftest import Api
from tests.conftest import Shop
from tests.reports.test_period_subscriptions import robots, utc  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    yield
    clock.freeze(None)


def ding(shop, robots):  # noqa: F811
    return channel_services.create_channel(by=shop.admin, kind="dingtalk", name="钉钉群", config={
        "url": robots.url("dingtalk"), "secret": DING_SECRET, "robot_confirmed": True})


def sent_weeks(robots) -> list[str]:  # noqa: F811
    """The periods the robot received, in the order it received them (from the report link in each message)."""
    texts = [h["payload"]["markdown"]["text"] for h in robots.accepted("dingtalk")]
    return [t.split("/reports/weekly/?start=")[1][:10] for t in texts if "/reports/weekly/?start=" in t]


def test_a_worker_down_for_weeks_sends_each_missed_week_once_oldest_first(robots, frozen):  # noqa: F811
    shop = Shop()
    clock.freeze(utc(2026, 3, 4, 4))  # a Wednesday
    sub = subscribe_report(by=shop.admin, kind="week", channel=ding(shop, robots).pk)
    # the worker is down from before the first Monday (9 March) until Monday 6 April, 08:00 in Shanghai: five
    # weeks fell due; the last four (the look-back) are sent, the oldest first, the week of 2 March is not
    clock.freeze(utc(2026, 4, 6, 0, 0))
    send_period_reports.call_local()
    assert sent_weeks(robots) == ["2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
    assert sorted(ReportDelivery.objects.filter(subscription=sub).values_list("period_start", "status")) == [
        (dt.date(2026, 3, day), "sent") for day in (9, 16, 23, 30)]
    # run again, and a week later: each period once, the new one added
    send_period_reports.call_local()
    assert len(robots.accepted("dingtalk")) == 4
    clock.freeze(utc(2026, 4, 13, 0, 5))
    send_period_reports.call_local()
    assert sent_weeks(robots)[4:] == ["2026-04-06"]


def test_the_monthly_look_back_is_three_months_and_never_before_the_subscription(robots, frozen):  # noqa: F811
    shop = Shop()
    clock.freeze(utc(2026, 1, 5, 4))
    sub = subscribe_report(by=shop.admin, kind="month", channel=ding(shop, robots).pk)
    sub = ReportSubscription.objects.select_related("company").get(pk=sub.pk)
    june = utc(2026, 6, 1, 0, 0)  # 08:00 on 1 June in Shanghai: January to May are due
    assert [(p.start, p.end) for p in missed(sub, june)] == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31)), (dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 31))]
    # down only until 1 March: January's (sent on 1 February) and February's; December's came before it began
    assert [p.start for p in missed(sub, utc(2026, 3, 1, 0, 0))] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert missed(sub, utc(2026, 1, 31, 23, 59)) == []


def test_pause_and_resume_by_page_and_api_audited_and_nothing_sent_for_the_paused_weeks(
        robots, client, frozen):  # noqa: F811
    shop = Shop()
    admin = shop.admin
    clock.freeze(utc(2026, 3, 4, 4))
    sub = subscribe_report(by=admin, kind="week", channel=ding(shop, robots).pk)
    clock.freeze(utc(2026, 3, 9, 0, 0))
    send_period_reports.call_local()
    assert sent_weeks(robots) == ["2026-03-02"]

    # paused on the page (the button): nothing is sent on the following Mondays
    client.force_login(admin)
    clock.freeze(utc(2026, 3, 10, 2))
    page = client.get("/reports/subscriptions/").content.decode()
    assert f'data-subscription="{sub.pk}" data-active="1"' in page and "data-pause" in page
    r = client.post(f"/reports/subscriptions/{sub.pk}/pause/")
    assert r.status_code == 302
    page = client.get("/reports/subscriptions/").content.decode()
    assert f'data-subscription="{sub.pk}" data-active="0"' in page and "data-resume" in page
    client.post(f"/reports/subscriptions/{sub.pk}/pause/")  # again: nothing changes, nothing written
    for day in (16, 23):
        clock.freeze(utc(2026, 3, day, 0, 0))
        send_period_reports.call_local()
    assert sent_weeks(robots) == ["2026-03-02"] and ReportDelivery.objects.count() == 1

    # resumed through the API on Tuesday 24 March: the weeks due while paused are not sent, the next one is
    api = Api(admin)
    clock.freeze(utc(2026, 3, 24, 2))
    r = api.post(f"/reports/subscriptions/{sub.pk}/resume")
    assert r.status_code == 200 and r.json()["is_active"] is True
    send_period_reports.call_local()
    assert sent_weeks(robots) == ["2026-03-02"]
    clock.freeze(utc(2026, 3, 30, 0, 0))
    send_period_reports.call_local()
    assert sent_weeks(robots) == ["2026-03-02", "2026-03-23"]

    # paused through the API; another user's subscription cannot be paused
    assert api.post(f"/reports/subscriptions/{sub.pk}/pause").json()["is_active"] is False
    other = Shop("OTHER")
    assert Api(other.admin).post(f"/reports/subscriptions/{sub.pk}/resume").status_code == 404
    with pytest.raises(NotFound):
        resume_subscription(by=other.admin, pk=sub.pk)

    audits = list(AuditRecord.objects.filter(object_id=str(sub.pk), action__startswith="report_subscription.")
                  .order_by("id").values_list("action", "before__is_active", "after__is_active"))
    assert audits == [("report_subscription.create", None, True), ("report_subscription.pause", True, False),
                      ("report_subscription.resume", False, True), ("report_subscription.pause", True, False)]
    assert list(Event.objects.filter(topic__in=("report_subscription.paused", "report_subscription.resumed"))
                .order_by("id").values_list("topic", flat=True)) == [
        "report_subscription.paused", "report_subscription.resumed", "report_subscription.paused"]


def test_a_delivery_retrying_when_paused_is_given_up_without_counting_against_the_channel(
        robots, frozen):  # noqa: F811
    shop = Shop()
    clock.freeze(utc(2026, 3, 4, 4))
    channel = ding(shop, robots)
    sub = subscribe_report(by=shop.admin, kind="week", channel=channel.pk)
    robots.forced = [(500, {})]
    clock.freeze(utc(2026, 3, 9, 0, 0))
    send_period_reports.call_local()
    row = ReportDelivery.objects.get(subscription=sub)
    assert row.status == "retrying"
    pause_subscription(by=shop.admin, pk=sub.pk)
    clock.freeze(row.next_attempt_at)
    send_period_reports.call_local()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "the subscription is paused")
    assert len(robots.hits) == 1  # the paused attempt sent nothing
    channel.refresh_from_db()
    assert not channel.is_failing


def test_report_messages_share_the_channels_rate_limit_with_alert_deliveries(robots, frozen):  # noqa: F811
    """DingTalk takes 20 messages a minute (alerts/channels.RATE_LIMITS): alerts and reports count together."""
    shop = Shop()
    clock.freeze(utc(2026, 3, 4, 4))
    sub = subscribe_report(by=shop.admin, kind="week", channel=ding(shop, robots).pk)
    monday = utc(2026, 3, 9, 0, 0)  # 08:00 in Shanghai: the week of 2 March is due
    clock.freeze(monday)
    with transaction.atomic():
        for i in range(20):
            notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title=f"消息 {i}")
    assert dispatch_due() == {"sent": 20}
    # the report finds the minute full: deferred (not an attempt, nothing sent) until the window has room
    assert send_period_reports.call_local() == {"throttled": 1}
    row = ReportDelivery.objects.get(subscription=sub)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, monday + dt.timedelta(seconds=60))
    assert len(robots.accepted("dingtalk")) == 20 and sent_weeks(robots) == []
    clock.freeze(monday + dt.timedelta(seconds=59))
    assert send_period_reports.call_local() == {}
    clock.freeze(monday + dt.timedelta(seconds=60))
    assert send_period_reports.call_local() == {"sent": 1}
    assert sent_weeks(robots) == ["2026-03-02"]
    # and the report's message counts for the alerts: 19 of 20 go out in this minute, the 20th waits
    with transaction.atomic():
        for i in range(20):
            notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title=f"再 {i}")
    assert dispatch_due() == {"sent": 19, "throttled": 1}
    assert Delivery.objects.get(status="pending").next_attempt_at == monday + dt.timedelta(seconds=120)


def test_a_wecom_report_takes_one_room_per_message_it_sends(robots, frozen):  # noqa: F811
    """A WeCom report is two messages (the summary, the file): each takes its room in the robot's 20 a minute when
    it goes out. With 19 alert messages in the minute the summary goes, the file waits for the window (not sent,
    not an attempt), then goes alone: the channel never carries more than 20 messages a minute."""
    from openjxc.reports.models import ReportChannelCall

    shop = Shop()
    clock.freeze(utc(2026, 3, 4, 4))
    wecom = channel_services.create_channel(by=shop.admin, kind="wecom", name="老板群",
                                            config={"url": robots.url("wecom")})
    sub = subscribe_report(by=shop.admin, kind="week", channel=wecom.pk)
    monday = utc(2026, 3, 9, 0, 0)
    clock.freeze(monday)
    with transaction.atomic():
        for i in range(19):
            notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title=f"消息 {i}")
    assert dispatch_due() == {"sent": 19}

    def messages():  # what reached the robot's send address (the upload is not a message)
        return [h["payload"].get("msgtype") for h in robots.accepted("wecom")]

    assert send_period_reports.call_local() == {"throttled": 1}
    row = ReportDelivery.objects.get(subscription=sub)
    assert (row.status, row.attempts, row.steps) == ("pending", 0, ["summary"])
    assert row.next_attempt_at == monday + dt.timedelta(seconds=60)
    assert messages() == ["markdown"] * 20 and ReportChannelCall.objects.count() == 1
    clock.freeze(monday + dt.timedelta(seconds=60))
    assert send_period_reports.call_local() == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.steps) == ("sent", 1, ["summary", "file"])
    assert messages() == ["markdown"] * 20 + ["file"]  # the summary is not sent twice
    assert ReportChannelCall.objects.count() == 2  # one room per message sent, no more
    # the minute after: 19 more alert messages fit beside the file message, the 20th waits
    with transaction.atomic():
        for i in range(20):
            notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title=f"再 {i}")
    assert dispatch_due() == {"sent": 19, "throttled": 1}
