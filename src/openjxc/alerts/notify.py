"""The one entry point to tell people something: `notify()`.

It writes, inside the caller's transaction, one in-app Notification per recipient and one Delivery
row per external channel that applies. The external sends happen after commit (a huey task; the
periodic dispatcher picks up anything the task did not finish), so a rolled-back change never
notifies anyone and a worker that was down sends late instead of never.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from openjxc.alerts.models import Channel, ChannelKind, Delivery, Notification
from openjxc.core import clock

GROUP_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU, ChannelKind.WEBHOOK)


def notify(*, company, recipients, topic: str, title: str, body: str = "", link: str = "",
           data: dict | None = None, by=None, channels: list[Channel] | None = None) -> list:
    """Notify `recipients` (users) in-app and through the company's enabled channels whose topics match (or
    through `channels`, when the caller chose them); returns the created Notification rows. Must run inside
    the caller's transaction."""
    assert transaction.get_connection().in_atomic_block, "notify() runs in the transaction of the change"
    company_id = company.pk if hasattr(company, "pk") else company
    now = clock.now()
    users = _unique_users(recipients)
    data = plain_data(data)
    title = title[:200]
    link = link[:500]
    rows = notify_in_app(company=company_id, recipients=users, topic=topic, title=title, body=body, link=link,
                         data=data, by=by)
    deliveries = []
    channels = matching_channels(company_id, topic) if channels is None else [c for c in channels if c.enabled]
    common = dict(company_id=company_id, topic=topic, title=title, body=body, link=link, data=data,
                  next_attempt_at=now, created_at=now)
    for channel in channels:
        if channel.kind == ChannelKind.EMAIL:
            for user, note in zip(users, rows, strict=True):
                if user.email:
                    deliveries.append(Delivery(channel=channel, notification=note, recipient=user,
                                               address=user.email, **common))
        elif channel.kind in GROUP_KINDS:  # a group broadcast, also with no personal recipients
            deliveries.append(Delivery(channel=channel, **common))
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        schedule_send([d.pk for d in deliveries if d.pk is not None])
    return rows


def matching_channels(company_id: int, topic: str) -> list[Channel]:
    """The company's enabled external channels that carry `topic` (in-app is always on and not among them)."""
    return [c for c in Channel.objects.filter(company_id=company_id, enabled=True).order_by("pk") if c.matches(topic)]


def notify_in_app(*, company, recipients, topic: str, title: str, body: str = "", link: str = "",
                  data: dict | None = None, by=None) -> list:
    """Only the in-app inbox rows (no external channel), in the caller's transaction."""
    company_id = company.pk if hasattr(company, "pk") else company
    now = clock.now()
    return Notification.objects.bulk_create([
        Notification(company_id=company_id, recipient=u, topic=topic, title=title[:200], body=body,
                     link=link[:500], data=plain_data(data), created_by=by if (by is not None and by.pk) else None,
                     created_at=now)
        for u in _unique_users(recipients)
    ])


def schedule_send(delivery_ids: list[int]) -> None:
    """After commit, hand the deliveries to the worker (the periodic dispatcher is the safety net)."""
    if not delivery_ids:
        return

    def enqueue():
        from openjxc.alerts.tasks import send_deliveries

        try:
            send_deliveries(list(delivery_ids))
        except Exception:  # the queue being down must not break the caller: the dispatcher sends them
            import logging

            logging.getLogger("openjxc.alerts").exception("could not enqueue deliveries %s", delivery_ids)

    transaction.on_commit(enqueue)


def plain_data(data: dict | None) -> dict:
    """`data` as JSON values (Decimal and dates as strings), so a caller's numbers never break its transaction."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def _unique_users(recipients) -> list:
    seen, out = set(), []
    for u in recipients or ():
        if u is None or u.pk in seen or not getattr(u, "is_active", True):
            continue
        seen.add(u.pk)
        out.append(u)
    return out
