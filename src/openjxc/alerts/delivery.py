"""Sending deliveries: claim, rate limit, send, record; retries with back-off; failing channels.

Safe with several workers and app servers: a delivery is claimed by one conditional UPDATE (the claim
expires if its sender dies), and the per-channel rate limit counts the channel's recent attempts in the
database while holding the channel row's lock, so two processes cannot both take the last slot.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from openjxc.alerts import channels as kinds
from openjxc.alerts.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from openjxc.core import clock
from openjxc.core.events import record_event
from openjxc.core.models import Company, Role, User

log = logging.getLogger("openjxc.alerts")

MAX_ATTEMPTS = 8
BASE_DELAY = 30  # seconds before the first retry; doubles each time
MAX_DELAY = 3600
LEASE = dt.timedelta(minutes=5)  # longer than any one send (HTTP/SMTP time out after 10 s)
FAILING_AFTER = 3  # consecutive failed attempts that mark a channel failing
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 30, 60, 120, … capped at an hour."""
    return min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


def due_ids(limit: int = 200) -> list[int]:
    now = clock.now()
    return list(
        Delivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now, is_test=False)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
    )


def dispatch_due(limit: int = 200) -> dict[str, int]:
    """Send every delivery that is due (the periodic task); returns counts by result."""
    counts: dict[str, int] = {}
    for pk in due_ids(limit):
        try:
            result = send_delivery(pk)
        except (Delivery.DoesNotExist, Channel.DoesNotExist):
            result = "skipped"  # its channel was deleted meanwhile (the delivery goes with it)
        counts[result] = counts.get(result, 0) + 1
    return counts


def claim(pk: int) -> bool:
    """Take delivery `pk` for this process, or learn that another one has it (or it is not due)."""
    now = clock.now()
    return bool(
        Delivery.objects.filter(pk=pk, status__in=OPEN, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + LEASE)
    )


def send_delivery(pk: int, *, claimed: bool = False) -> str:
    """One attempt at delivery `pk`: "sent", "retrying", "failed", "throttled" or "skipped" (not ours/not due)."""
    if not claimed and not claim(pk):
        return "skipped"
    delivery = Delivery.objects.select_related("channel").get(pk=pk)
    now = clock.now()
    with transaction.atomic():
        # the lock serialises rate-limit checks of this channel across processes
        channel = Channel.objects.select_for_update().get(pk=delivery.channel_id)
        if not channel.enabled and not delivery.is_test:
            Delivery.objects.filter(pk=pk).update(status=DeliveryStatus.FAILED, locked_until=None,
                                                  last_error=_("the channel is disabled"))
            return "failed"
        wait_until = throttled_until(channel, now)
        if wait_until is not None:
            # deferred, never dropped: it goes out when the window has room
            Delivery.objects.filter(pk=pk).update(next_attempt_at=wait_until, locked_until=None)
            return "throttled"
        attempt = DeliveryAttempt.objects.create(company_id=channel.company_id, channel=channel,
                                                 delivery=delivery, at=now)
    company = Company.objects.only("code").get(pk=delivery.company_id)
    msg = kinds.Message(delivery_id=delivery.pk, topic=delivery.topic, title=delivery.title, body=delivery.body,
                        link=absolute(delivery.link), data=delivery.data, company_code=company.code,
                        address=delivery.address)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            outcome = kinds.send(channel, msg, now_ts=now.timestamp())
    except Exception as exc:  # a bug must not leave the row claimed forever: record it like any failure
        log.exception("sending delivery %s failed", pk)
        outcome = kinds.Outcome(False, f"{type(exc).__name__}: {exc}"[: kinds.SNIPPET])
    return record_outcome(delivery, attempt, outcome)


# Other sends through a channel (report subscriptions, reports/subscription_send.py): functions
# (channel, since, most) → the times of their calls after `since`, at most `most`; counted with the delivery attempts
# against the channel's rate limits, so both kinds of message share one window. Registered by their app's ready().
OTHER_CALLS: list = []


def throttled_until(channel, now) -> dt.datetime | None:
    """When the channel's rate limit has room again, or None if it has room now."""
    latest = None
    for seconds, most in kinds.rate_limits(channel):
        since = now - dt.timedelta(seconds=seconds)
        recent = list(DeliveryAttempt.objects.filter(channel=channel, at__gt=since)
                      .order_by("-at").values_list("at", flat=True)[:most])
        for calls in OTHER_CALLS:
            recent = sorted([*recent, *calls(channel, since, most)], reverse=True)[:most]
        if len(recent) >= most:
            free_at = recent[-1] + dt.timedelta(seconds=seconds)  # when the oldest of them leaves the window
            latest = free_at if latest is None or free_at > latest else latest
    return latest


def record_outcome(delivery, attempt, outcome: kinds.Outcome) -> str:
    now = clock.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=delivery.channel_id)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(ok=outcome.ok, error=outcome.error,
                                                             response=outcome.response)
        attempts = delivery.attempts + 1
        fields = dict(attempts=attempts, locked_until=None, response=outcome.response, last_error=outcome.error)
        if outcome.ok:
            fields.update(status=DeliveryStatus.SENT, sent_at=now, last_error="")
            result = "sent"
        elif delivery.is_test or outcome.permanent or attempts >= MAX_ATTEMPTS:
            fields["status"] = DeliveryStatus.FAILED
            result = "failed"
        else:
            delay = max(backoff(attempts), outcome.min_delay)
            fields.update(status=DeliveryStatus.RETRYING, next_attempt_at=now + dt.timedelta(seconds=delay))
            result = "retrying"
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        if not delivery.is_test:  # a test message while setting a channel up does not change its health
            if outcome.ok:
                channel_succeeded(channel, now)
            else:
                channel_failed(channel, now, outcome.error, gave_up=(result == "failed"))
    return result


def channel_succeeded(channel, now) -> None:
    was_failing = channel.is_failing
    channel.consecutive_failures = 0
    channel.last_success_at = now
    channel.is_failing = False
    channel.failing_since = None
    channel.save(update_fields=["consecutive_failures", "last_success_at", "is_failing", "failing_since",
                                "updated_at"])
    if was_failing:
        record_event(company=channel.company_id, topic="channel.recovered", obj=channel,
                     payload={"channel": channel.pk, "name": channel.name, "kind": channel.kind})
        notify_admins(channel, topic="channel.recovered", data={"channel": channel.pk, "name": channel.name})


def channel_failed(channel, now, error: str, *, gave_up: bool) -> None:
    channel.consecutive_failures += 1
    channel.last_failure_at = now
    channel.last_error = error[:1000]
    fields = ["consecutive_failures", "last_failure_at", "last_error", "updated_at"]
    if not channel.is_failing and (gave_up or channel.consecutive_failures >= FAILING_AFTER):
        channel.is_failing = True
        channel.failing_since = now
        fields += ["is_failing", "failing_since"]
        channel.save(update_fields=fields)
        record_event(company=channel.company_id, topic="channel.failing", obj=channel,
                     payload={"channel": channel.pk, "name": channel.name, "kind": channel.kind,
                              "consecutive_failures": channel.consecutive_failures, "error": error[:500]})
        notify_admins(channel, topic="channel.failing", data={
            "channel": channel.pk, "name": channel.name, "count": channel.consecutive_failures,
            "error": error[:300]})
        return
    channel.save(update_fields=fields)


def notify_admins(channel, *, topic: str, data: dict) -> None:
    """In-app only: a broken channel must not be reported through channels (it could be the broken one).
    The text comes from the topic (alerts/messages.py), in each administrator's language."""
    from openjxc.alerts.notify import notify_in_app

    admins = [u for u in User.objects.filter(company_id=channel.company_id, is_active=True).order_by("pk")
              if u.has_role(Role.ADMIN)]
    notify_in_app(company=channel.company_id, recipients=admins, topic=topic,
                  link=f"/notifications/channels/{channel.pk}/", data=data)


def absolute(link: str) -> str:
    if not link or "://" in link:
        return link
    return settings.JXC_BASE_URL + ("" if link.startswith("/") else "/") + link


def send_test(channel, *, by, address: str = "") -> Delivery:
    """Send a test message through `channel` now, in this request; returns the delivery with the answer's status
    (an email channel's only to `by`'s own address)."""
    from openjxc.alerts.channels import ChannelConfigInvalid
    from openjxc.core.errors import DomainError

    now = clock.now()
    if channel.kind == "email":
        # only to the person testing: the test must not become a way to mail anyone from the company's sender
        own = (by.email if by is not None else "").strip()
        if not own:
            raise ChannelConfigInvalid(field="address", reason=_("is required: your account has no email address"))
        if address and address.strip().lower() != own.lower():
            raise ChannelConfigInvalid(field="address", reason=_("must be your own address (%(email)s)")
                                       % {"email": own})
        address = own
        try:
            validate_email(address)
        except ValidationError:
            raise ChannelConfigInvalid(field="address", reason=_("is not an email address")) from None
    with transaction.atomic():
        delivery = Delivery.objects.create(
            company_id=channel.company_id, channel=channel, recipient=by, address=address, topic="channel.test",
            title=_("OpenJXC test message"), body=_("If you can read this, the channel %(name)s works.")
            % {"name": channel.name}, link="/notifications/", is_test=True,
            next_attempt_at=now, locked_until=now + LEASE, created_at=now)
    result = send_delivery(delivery.pk, claimed=True)
    delivery.refresh_from_db()
    if result == "throttled":
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, last_error="rate limited")
        raise DomainError("channel.rate_limited", _("The channel's rate limit is reached; try again later."),
                          http_status=429, next_attempt_at=delivery.next_attempt_at.isoformat())
    return delivery
