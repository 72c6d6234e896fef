"""The in-app inbox: what a user reads (selectors) and marking notifications read (services)."""

from __future__ import annotations

from django.db import transaction

from openjxc.alerts.models import Notification
from openjxc.core import clock
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
