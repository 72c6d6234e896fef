"""The one entry point to tell people something: `notify()`.

It writes, inside the caller's transaction, one in-app Notification per recipient and one Delivery
row per external channel that applies. The external sends happen after commit (a huey task; the
periodic dispatcher picks up anything the task did not finish), so a rolled-back change never
notifies anyone and a worker that was down sends late instead of never.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import translation

from openjxc.alerts.models import Channel, ChannelKind, Delivery, Notification
from openjxc.core import clock, messages
from openjxc.core.models import Company

GROUP_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU, ChannelKind.WEBHOOK)


def notify(*, company, recipients, topic: str, title: str = "", body: str = "", link: str = "",
           data: dict | None = None, by=None, channels: list[Channel] | None = None) -> list:
    """Notify `recipients` (users) in-app and through the company's enabled channels whose topics match (or
    through `channels`, when the caller chose them); returns the created Notification rows. Must run inside
    the caller's transaction.

    A topic with a registered text (core/messages.py) is written in each recipient's language, and a group
    channel gets it in the server's language; `title` and `body` are the text of a topic without one."""
    assert transaction.get_connection().in_atomic_block, "notify() runs in the transaction of the change"
    company_id = company.pk if hasattr(company, "pk") else company
    now = clock.now()
    users = _unique_users(recipients)
    data = plain_data(data)
    link = link[:500]
    text = _Texts(company, topic, data, title, body)
    rows = _in_app(company_id, users, topic, text, link, data, by, now)
    deliveries = []
    channels = matching_channels(company_id, topic) if channels is None else [c for c in channels if c.enabled]
    common = dict(company_id=company_id, topic=topic, link=link, data=data, next_attempt_at=now, created_at=now)
    for channel in channels:
        if channel.kind == ChannelKind.EMAIL:
            for user, note in zip(users, rows, strict=True):
                if user.email:
                    deliveries.append(Delivery(channel=channel, notification=note, recipient=user,
                                               address=user.email, title=note.title, body=note.body, **common))
        elif channel.kind in GROUP_KINDS:  # a group broadcast, also with no personal recipients
            group_title, group_body = text.of(settings.LANGUAGE_CODE)
            deliveries.append(Delivery(channel=channel, title=group_title, body=group_body, **common))
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        schedule_send([d.pk for d in deliveries if d.pk is not None])
    return rows


def matching_channels(company_id: int, topic: str) -> list[Channel]:
    """The company's enabled external channels that carry `topic` (in-app is always on and not among them)."""
    return [c for c in Channel.objects.filter(company_id=company_id, enabled=True).order_by("pk") if c.matches(topic)]


def notify_in_app(*, company, recipients, topic: str, title: str = "", body: str = "", link: str = "",
                  data: dict | None = None, by=None) -> list:
    """Only the in-app inbox rows (no external channel), in the caller's transaction."""
    company_id = company.pk if hasattr(company, "pk") else company
    data = plain_data(data)
    return _in_app(company_id, _unique_users(recipients), topic, _Texts(company, topic, data, title, body),
                   link[:500], data, by, clock.now())


def language_of(user) -> str:
    """The language a user reads notifications in: their own choice, else the server's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


class _Texts:
    """A notification's title and body per language (rendered once per language)."""

    def __init__(self, company, topic, data, title, body):
        self.company, self.topic, self.data, self.title, self.body = company, topic, data, title, body
        self.done: dict[str, tuple[str, str]] = {}

    def of(self, language: str) -> tuple[str, str]:
        if language not in self.done:
            message = messages.lookup(self.topic)
            zone = self._time_zone() if message is not None and message.render is not None else "UTC"
            with translation.override(language):
                title, body = messages.render(self.topic, self.data, title=self.title, body=self.body,
                                              time_zone=zone)
            self.done[language] = (title[:200], body)
        return self.done[language]

    def _time_zone(self) -> str:
        if not hasattr(self.company, "time_zone"):
            self.company = Company.objects.only("time_zone").get(pk=self.company)
        return self.company.time_zone


def _in_app(company_id, users, topic, text: _Texts, link, data, by, now) -> list:
    rows = []
    for u in users:
        title, body = text.of(language_of(u))
        rows.append(Notification(company_id=company_id, recipient=u, topic=topic, title=title, body=body, link=link,
                                 data=data, created_by=by if (by is not None and by.pk) else None, created_at=now))
    return Notification.objects.bulk_create(rows)


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
