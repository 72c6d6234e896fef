"""The in-app inbox: what a user reads (selectors) and marking notifications read (services)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import Count, Q

from openjxc.alerts.models import Notification
from openjxc.core import clock, messages
from openjxc.core.errors import NotFound


def unread_count(user) -> int:
    if user is None or not user.is_authenticated or user.company_id is None:
        return 0
    return Notification.objects.filter(recipient=user, company_id=user.company_id, read_at__isnull=True).count()


def bell(request) -> dict:
    """What the notification bell in the page header shows: the signed-in user's unread count."""
    user = getattr(request, "user", None)
    return {"unread": unread_count(user), "show": user is not None and user.is_authenticated}


def notifications_of(user, *, unread_only: bool = False, topic: str = ""):
    """The user's notifications, newest first."""
    qs = Notification.objects.filter(recipient=user, company_id=user.company_id)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if topic:
        qs = qs.filter(topic__startswith=topic)
    return qs.order_by("-created_at", "-id")


def readable(notes, user) -> list[Notification]:
    """`notes` with title, body and `topic_label` in the active language, rendered from each one's topic and data
    (core/messages.py), and `created_on`, the day in the company's time zone. Not to be saved."""
    notes = list(notes)
    if not notes:
        return notes
    tz = zoneinfo.ZoneInfo(user.company.time_zone if user.company_id else "UTC")
    for n in notes:
        n.title, n.body = messages.render(n.topic, n.data, title=n.title, body=n.body, time_zone=tz)
        n.body_lines = [line for line in n.body.splitlines() if line.strip()]
        n.topic_label = messages.label(n.topic)
        n.created_on = n.created_at.astimezone(tz).date()
    return notes


def topic_families(user) -> list[dict]:
    """The kinds of notification the user has (the topic up to its first dot: "alert.", "workflow."), with how
    many and how many unread, most first: the inbox's filter."""
    families: dict[str, dict] = {}
    rows = (Notification.objects.filter(recipient=user, company_id=user.company_id).values("topic")
            .annotate(n=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True))).order_by())
    for row in rows:
        prefix = row["topic"].split(".", 1)[0] + "."
        family = families.setdefault(prefix, {"prefix": prefix, "label": messages.label(prefix), "count": 0,
                                              "unread": 0})
        family["count"] += row["n"]
        family["unread"] += row["unread"]
    return sorted(families.values(), key=lambda f: (-f["count"], f["prefix"]))


def day_groups(notes) -> list[tuple[dt.date, list]]:
    """Consecutive notes (newest first) grouped by the day they arrived."""
    groups: list[tuple[dt.date, list]] = []
    for n in notes:
        if not groups or groups[-1][0] != n.created_on:
            groups.append((n.created_on, []))
        groups[-1][1].append(n)
    return groups


def get_notification(user, pk: int) -> Notification:
    """One of the user's own notifications; anyone else's is not found."""
    note = Notification.objects.filter(recipient=user, company_id=user.company_id, pk=pk).first()
    if note is None:
        raise NotFound("notification", pk)
    return note


def mark_read(*, by, pk: int) -> Notification:
    """Mark one of the actor's notifications read (reading it again keeps the first time)."""
    with transaction.atomic():
        note = get_notification(by, pk)
        if note.read_at is None:
            note.read_at = clock.now()
            Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=note.read_at)
    return note


def mark_all_read(*, by) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=by, company_id=by.company_id, read_at__isnull=True).update(
            read_at=clock.now())
