"""notify(): in-app rows per recipient, deliveries per matching channel, sent after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.models import Delivery, Notification
from openjxc.alerts.notify import notify
from openjxc.core.models import Role
from tests.alerts.conftest import WEBHOOK_SECRET


def test_notify_creates_unread_inbox_rows_for_each_recipient_once(shop):
    keeper = shop.user("keeper1", Role.KEEPER)
    with transaction.atomic():
        rows = notify(company=shop.company, recipients=[keeper, shop.admin, keeper], topic="approval.pending",
                      title="待审批: CGRK-1", body="请审批", link="/documents/1/", data={"doc": 1}, by=shop.admin)
    assert [r.recipient_id for r in rows] == [keeper.pk, shop.admin.pk]
    assert all(r.read_at is None and r.topic == "approval.pending" and r.data == {"doc": 1} for r in rows)
    assert Notification.objects.filter(recipient=keeper).count() == 1
    assert Delivery.objects.count() == 0  # no channel configured: in-app only


def test_channel_topic_filter_and_email_addresses_decide_deliveries(shop, smtp_server, platforms):
    shop.admin.email = "boss@example.com"
    shop.admin.save()
    keeper = shop.user("keeper1", Role.KEEPER)  # no email address
    email = create_channel(by=shop.admin, kind="email", name="mail", config={})
    hook = create_channel(by=shop.admin, kind="webhook", name="erp", topics=["approval.", "alert."],
                          config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    create_channel(by=shop.admin, kind="webhook", name="off", enabled=False,
                   config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    with transaction.atomic():
        notify(company=shop.company, recipients=[keeper, shop.admin], topic="approval.pending", title="t")
        notify(company=shop.company, recipients=[keeper, shop.admin], topic="stock.counted", title="t2")
    by_channel = sorted((d.channel_id, d.topic, d.address) for d in Delivery.objects.all())
    assert by_channel == sorted([
        (email.pk, "approval.pending", "boss@example.com"),
        (hook.pk, "approval.pending", ""),
        (email.pk, "stock.counted", "boss@example.com"),
    ])


def test_deliveries_are_sent_after_commit_not_on_rollback(shop, platforms, django_capture_on_commit_callbacks):
    create_channel(by=shop.admin, kind="webhook", name="erp",
                   config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            notify(company=shop.company, recipients=[shop.admin], topic="approval.pending", title="rolled back")
            raise Boom
    assert callbacks == [] and platforms.hits == [] and Notification.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(company=shop.company, recipients=[shop.admin], topic="approval.pending", title="审批",
                   link="/documents/7/")
    assert len(callbacks) == 1
    [hit] = platforms.accepted("webhook")
    assert hit["payload"]["title"] == "审批" and hit["payload"]["link"] == "http://127.0.0.1:8000/documents/7/"
    d = Delivery.objects.get()
    assert d.status == "sent" and d.attempts == 1 and d.sent_at is not None


def test_data_with_decimals_and_dates_is_stored_as_json_values(shop):
    import datetime as dt
    from decimal import Decimal

    with transaction.atomic():
        [row] = notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title="t",
                       data={"available": Decimal("3.5000"), "on": dt.date(2026, 3, 1)})
    row.refresh_from_db()
    assert row.data == {"available": "3.5000", "on": "2026-03-01"}
