"""Subscriptions to the weekly and monthly report: services that write them (audited) and the reads of the
subscriptions page and API. Sending is reports/subscription_send.py (the worker's periodic task)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openjxc.alerts.models import Channel, ChannelKind
from openjxc.core import clock
from openjxc.core.errors import Conflict, NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.reports.access import require_reader
from openjxc.reports.models import ReportDelivery, ReportSubscription
from openjxc.reports.periods import check_kind

DELIVERY_KINDS = (ChannelKind.EMAIL, ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)


def delivery_channels(user):
    """The company's enabled channels a report can go through (email, WeCom, DingTalk, Feishu), by name."""
    return Channel.objects.filter(company_id=user.company_id, enabled=True, kind__in=DELIVERY_KINDS).order_by("name")


def my_subscriptions(user):
    return ReportSubscription.objects.filter(user=user).select_related("channel").order_by("kind", "id")


def my_deliveries(user, limit: int = 50):
    return (ReportDelivery.objects.filter(subscription__user=user).select_related("subscription__channel")
            .order_by("-period_start", "-id")[:limit])


def _snapshot(sub: ReportSubscription) -> dict:
    return {"kind": sub.kind, "channel": sub.channel_id, "channel_name": sub.channel.name,
            "channel_kind": sub.channel.kind, "user": sub.user_id, "is_active": sub.is_active}


def subscribe_report(*, by, kind: str, channel: int) -> ReportSubscription:
    """Subscribe `by` to the weekly or monthly report through one of the company's delivery channels."""
    require_reader(by)
    check_kind(kind)
    ch = delivery_channels(by).filter(pk=channel).first()
    if ch is None:
        raise NotFound("channel", channel)
    if ch.kind == ChannelKind.EMAIL and not (by.email or "").strip():
        raise ValidationFailed(field="channel", reason=_("is email, but your account has no email address"))
    with transaction.atomic():
        if ReportSubscription.objects.filter(user=by, kind=kind, channel=ch).exists():
            raise Conflict("reports.subscription_exists", _("You already receive this report through %(name)s.")
                           % {"name": ch.name}, channel=ch.pk)
        try:
            with transaction.atomic():
                sub = ReportSubscription.objects.create(company_id=by.company_id, user=by, kind=kind, channel=ch,
                                                        created_at=clock.now())
        except IntegrityError:
            raise Conflict("reports.subscription_exists", _("You already receive this report through %(name)s.")
                           % {"name": ch.name}, channel=ch.pk) from None
        record_event(company=by.company_id, topic="report_subscription.created", by=by, obj=sub,
                     payload={"subscription": sub.pk, "kind": kind, "channel": ch.pk})
        record_audit(company=by.company_id, action="report_subscription.create", obj=sub, by=by,
                     after=_snapshot(sub))
    return sub


def _switch(*, by, pk: int, active: bool) -> ReportSubscription:
    """Lock one of `by`'s subscriptions and set it active or paused, with its event and audit record; nothing is
    written when it already was."""
    with transaction.atomic():
        sub = (ReportSubscription.objects.select_for_update().select_related("channel")
               .filter(pk=pk, user=by, company_id=by.company_id).first())
        if sub is None:
            raise NotFound("subscription", pk, code="reports.subscription_not_found")
        if sub.is_active == active:
            return sub
        before = _snapshot(sub)
        sub.is_active = active
        if active:
            sub.resumed_at = clock.now()
        sub.save(update_fields=["is_active", "resumed_at"])
        topic, action = ("resumed", "resume") if active else ("paused", "pause")
        record_event(company=by.company_id, topic=f"report_subscription.{topic}", by=by, obj=sub,
                     payload={"subscription": sub.pk, "kind": sub.kind})
        record_audit(company=by.company_id, action=f"report_subscription.{action}", obj=sub, by=by, before=before,
                     after=_snapshot(sub))
    return sub


def pause_subscription(*, by, pk: int) -> ReportSubscription:
    """Stop sending one of `by`'s subscriptions until resumed (nothing is sent for the periods in between)."""
    return _switch(by=by, pk=pk, active=False)


def resume_subscription(*, by, pk: int) -> ReportSubscription:
    """Send a paused subscription again, from the next period due after now."""
    return _switch(by=by, pk=pk, active=True)


def unsubscribe_report(*, by, pk: int) -> None:
    """Delete one of `by`'s own subscriptions (and its delivery log)."""
    with transaction.atomic():
        sub = (ReportSubscription.objects.select_for_update().select_related("channel")
               .filter(pk=pk, user=by, company_id=by.company_id).first())
        if sub is None:
            raise NotFound("subscription", pk, code="reports.subscription_not_found")
        record_event(company=by.company_id, topic="report_subscription.deleted", by=by, obj=sub,
                     payload={"subscription": sub.pk, "kind": sub.kind})
        record_audit(company=by.company_id, action="report_subscription.delete", obj=sub, by=by,
                     before=_snapshot(sub))
        sub.delete()
