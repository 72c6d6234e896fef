"""Retries with back-off, rate limits, failing channels and their recovery — driven by a fake clock."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.delivery import MAX_ATTEMPTS, dispatch_due
from openjxc.alerts.models import Delivery, DeliveryAttempt, Notification
from openjxc.alerts.notify import notify
from openjxc.core.models import Event, Role
from tests.alerts.conftest import WEBHOOK_SECRET

WECOM_RATE_LIMITED = (200, {"errcode": 45009, "errmsg": "api freq out of limit"})
DING_RATE_LIMITED = (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
SERVER_ERROR = (502, {"error": "bad gateway"})


def _send(shop, n=1, topic="alert.low_stock"):
    with transaction.atomic():
        for i in range(n):
            notify(company=shop.company, recipients=[shop.admin], topic=topic, title=f"消息 {i}")


def test_server_errors_are_retried_with_exponential_back_off_then_given_up(shop, platforms, fake_clock):
    channel = create_channel(by=shop.admin, kind="webhook", name="erp",
                             config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    _send(shop)
    platforms.forced = [SERVER_ERROR] * MAX_ATTEMPTS
    start = fake_clock.at
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert dispatch_due() == {("failed" if attempt == MAX_ATTEMPTS else "retrying"): 1}
        d = Delivery.objects.get()
        assert d.attempts == attempt and d.last_error == "HTTP 502"
        if attempt < MAX_ATTEMPTS:
            waits.append(int((d.next_attempt_at - fake_clock.at).total_seconds()))
            fake_clock.advance(seconds=waits[-1] - 1)
            assert dispatch_due() == {}  # not due a second early
            fake_clock.advance(seconds=1)
    assert waits == [30, 60, 120, 240, 480, 960, 1920]
    assert d.status == "failed" and d.sent_at is None
    assert DeliveryAttempt.objects.filter(delivery=d).count() == MAX_ATTEMPTS
    assert len(platforms.hits) == MAX_ATTEMPTS
    assert fake_clock.at - start == dt.timedelta(seconds=sum(waits))
    channel.refresh_from_db()
    assert channel.is_failing


def test_a_retry_that_succeeds_sends_once(shop, platforms, fake_clock):
    create_channel(by=shop.admin, kind="webhook", name="erp",
                   config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    _send(shop)
    platforms.forced = [SERVER_ERROR]
    assert dispatch_due() == {"retrying": 1}
    fake_clock.advance(seconds=30)
    assert dispatch_due() == {"sent": 1}
    fake_clock.advance(hours=3)
    assert dispatch_due() == {}
    assert len(platforms.accepted()) == 1


def test_network_error_is_retried(shop, platforms, fake_clock):
    create_channel(by=shop.admin, kind="webhook", name="erp",
                   config={"url": "http://127.0.0.1:1/nothing-listens", "secret": WEBHOOK_SECRET})
    _send(shop)
    assert dispatch_due() == {"retrying": 1}
    assert Delivery.objects.get().last_error == "could not connect"  # no detail: the same for every failure


def test_rate_limit_codes_back_off_at_least_a_minute_and_dingtalk_ten(shop, platforms, fake_clock):
    from tests.alerts.conftest import DING_SECRET

    create_channel(by=shop.admin, kind="wecom", name="wecom", config={"url": platforms.url("wecom")})
    create_channel(by=shop.admin, kind="dingtalk", name="ding",
                   config={"url": platforms.url("dingtalk"), "secret": DING_SECRET, "robot_confirmed": True})
    _send(shop)
    platforms.forced = [WECOM_RATE_LIMITED, DING_RATE_LIMITED]
    assert dispatch_due() == {"retrying": 2}
    waits = {d.channel.kind: (d.next_attempt_at - fake_clock.at).total_seconds() for d in Delivery.objects.all()}
    assert waits == {"wecom": 60, "dingtalk": 600}


def test_wecom_rate_limit_defers_the_21st_message_in_a_minute_and_sends_it_later(shop, platforms, fake_clock):
    create_channel(by=shop.admin, kind="wecom", name="wecom", config={"url": platforms.url("wecom")})
    _send(shop, n=25)
    assert dispatch_due() == {"sent": 20, "throttled": 5}
    assert len(platforms.hits) == 20
    deferred = Delivery.objects.filter(status="pending")
    assert deferred.count() == 5 and all(d.next_attempt_at == fake_clock.at + dt.timedelta(seconds=60)
                                         for d in deferred)
    fake_clock.advance(seconds=59)
    assert dispatch_due() == {}
    fake_clock.advance(seconds=1)
    assert dispatch_due() == {"sent": 5}
    assert Delivery.objects.filter(status="sent").count() == 25 and len(platforms.accepted()) == 25


def test_feishu_five_per_second(shop, platforms, fake_clock):
    from tests.alerts.conftest import FEISHU_SECRET

    create_channel(by=shop.admin, kind="feishu", name="fs",
                   config={"url": platforms.url("feishu"), "secret": FEISHU_SECRET})
    _send(shop, n=12)
    assert dispatch_due() == {"sent": 5, "throttled": 7}
    fake_clock.advance(seconds=1)
    assert dispatch_due() == {"sent": 5, "throttled": 2}
    fake_clock.advance(seconds=1)
    assert dispatch_due() == {"sent": 2}
    assert len(platforms.accepted("feishu")) == 12


def test_failing_channel_raises_an_event_and_tells_admins_then_recovers(shop, platforms, fake_clock):
    other_admin = shop.user("admin2", Role.ADMIN)
    keeper = shop.user("keeper1", Role.KEEPER)
    channel = create_channel(by=shop.admin, kind="webhook", name="erp",
                             config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    _send(shop, n=3)
    platforms.forced = [SERVER_ERROR] * 3
    assert dispatch_due() == {"retrying": 3}
    channel.refresh_from_db()
    assert channel.is_failing and channel.consecutive_failures == 3
    [failing] = Event.objects.filter(topic="channel.failing")
    assert failing.payload["channel"] == channel.pk and failing.payload["error"] == "HTTP 502"
    told = Notification.objects.filter(topic="channel.failing")
    assert sorted(n.recipient_id for n in told) == sorted([shop.admin.pk, other_admin.pk])
    assert not told.filter(recipient=keeper).exists()
    assert Delivery.objects.filter(topic="channel.failing").count() == 0  # in-app only, not via the channels

    fake_clock.advance(seconds=30)
    assert dispatch_due() == {"sent": 3}
    channel.refresh_from_db()
    assert not channel.is_failing and channel.consecutive_failures == 0
    assert Event.objects.filter(topic="channel.recovered").count() == 1
    assert Event.objects.filter(topic="channel.failing").count() == 1  # raised once, not per failure
    assert Notification.objects.filter(topic="channel.recovered").count() == 2


def test_a_delivery_given_up_marks_the_channel_failing_at_once(shop, smtp_server):
    shop.admin.email = "gone@nowhere.invalid"  # the SMTP server refuses this mailbox: no point retrying
    shop.admin.save()
    channel = create_channel(by=shop.admin, kind="email", name="mail", config={})
    _send(shop)
    assert dispatch_due() == {"failed": 1}
    d = Delivery.objects.get()
    assert d.attempts == 1 and "refused" in d.last_error and smtp_server.messages == []
    channel.refresh_from_db()
    assert channel.is_failing and channel.consecutive_failures == 1
    assert Event.objects.filter(topic="channel.failing").count() == 1
    assert Notification.objects.filter(topic="channel.failing", recipient=shop.admin).count() == 1
