"""Sending the subscribed weekly and monthly reports: the worker's periodic task.

`schedule_due` gives each active subscription one ReportDelivery row for each period due (the latest, and the ones
a worker that was down missed, within LOOK_BACK; oldest sent first); the unique key on subscription + period makes
it idempotent: a second run, another worker or a restart adds nothing. A paused subscription gets none, and a
resumed one none for the periods that fell due while it was paused. `send_due`
claims each due row with one conditional UPDATE (a lease that expires if the sender dies), builds the report as
the subscriber may read it and sends it through the subscription's channel:

- email: the summary in the body, the PDF and the XLSX attached, through the server's SMTP (JXC_SMTP_URL) with
  the email channel's sender;
- WeCom group robot: the summary as markdown, then the XLSX uploaded (upload_media, type=file, at most 20 MB)
  and sent as a file message — each part once, remembered in the row's `steps`, so a retry resends only what failed;
- DingTalk and Feishu: the summary with a link to the report page (the channels' own message format and signing).

Each message counts against the channel's rate limit together with the alert deliveries (`reserve`: the alerts'
throttled_until, which also counts the ReportChannelCall rows), one room taken right before each message goes out;
a message with no room defers the delivery until there is (a WeCom summary already sent is not sent again).
A failure is retried with the channels' back-off (alerts.delivery.backoff, at most alerts.delivery.MAX_ATTEMPTS);
each failed attempt counts against the channel and the last one marks it failing exactly as any channel failure
does (alerts.delivery.channel_failed: event, in-app notice to the administrators, the channel-failing alert).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import urllib.parse

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from openjxc.alerts import channels as kinds
from openjxc.alerts import delivery
from openjxc.alerts.models import Channel, ChannelKind
from openjxc.alerts.notify import language_of
from openjxc.core import clock, egress
from openjxc.reports import periods
from openjxc.reports.facts.consumer import consume
from openjxc.reports.models import ReportChannelCall, ReportDelivery, ReportDeliveryStatus, ReportSubscription
from openjxc.reports.period_report import PeriodReport, build

log = logging.getLogger("openjxc.reports")
OPEN = (ReportDeliveryStatus.PENDING, ReportDeliveryStatus.RETRYING)
PAGES = {periods.WEEK: "web:report_weekly", periods.MONTH: "web:report_monthly"}
LOOK_BACK = {periods.WEEK: 4, periods.MONTH: 3}  # how many periods a worker down for long still sends
WECOM_FILE_MAX = 20 * 1024 * 1024  # upload_media: a file of 5 bytes to 20 MB
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def missed(sub: ReportSubscription, now: dt.datetime) -> list[periods.Period]:
    """The periods of `sub` due by `now`, oldest first: the latest due and those before it within the look-back
    (a worker that was down past a period sends each missed one), none whose sending time came before the
    subscription began or was resumed."""
    tz = sub.company.time_zone
    since = max(sub.created_at, sub.resumed_at or sub.created_at)
    out = []
    period = periods.due(sub.kind, now, tz)
    for _n in range(LOOK_BACK[sub.kind]):
        if period.send_at(tz) < since:
            break
        out.append(period)
        period = period.previous()
    return out[::-1]


def schedule_due(now: dt.datetime | None = None) -> int:
    """One delivery row per active subscription for each period due and not yet scheduled (see `missed`); how
    many were added. The unique key on (subscription, period) makes it idempotent."""
    now = now or clock.now()
    wanted = [(sub, period) for sub in ReportSubscription.objects.filter(is_active=True).select_related("company")
              for period in missed(sub, now)]
    have = set(ReportDelivery.objects.filter(subscription_id__in={s.pk for s, _p in wanted})
               .values_list("subscription_id", "period_start"))
    rows = [ReportDelivery(company_id=sub.company_id, subscription=sub, period_start=p.start, period_end=p.end,
                           next_attempt_at=now, created_at=now)
            for sub, p in wanted if (sub.pk, p.start) not in have]
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)  # another worker may have added one meanwhile
    return len(rows)


def due_ids(now: dt.datetime, limit: int = 50) -> list[int]:
    return list(ReportDelivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now)
                .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
                .order_by("next_attempt_at", "period_start", "id").values_list("id", flat=True)[:limit])


def claim(pk: int, now: dt.datetime) -> bool:
    return bool(ReportDelivery.objects.filter(pk=pk, status__in=OPEN, next_attempt_at__lte=now)
                .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
                .update(locked_until=now + delivery.LEASE))


def send_due(limit: int = 50) -> dict[str, int]:
    """The periodic task's work: schedule what is due, then send every due row once."""
    now = clock.now()
    schedule_due(now)
    counts: dict[str, int] = {}
    for pk in due_ids(now, limit):
        result = send_report(pk, now=now)
        counts[result] = counts.get(result, 0) + 1
    return counts


class _Ours(Exception):
    """A failure that is not the channel's (the subscriber may no longer read reports): fail without retrying and
    without counting against the channel."""


def send_report(pk: int, *, now: dt.datetime | None = None) -> str:
    """One attempt at delivery row `pk`: "sent", "retrying", "failed", "throttled" (the channel's rate limit is
    reached: deferred) or "skipped" (another sender has it)."""
    now = now or clock.now()
    if not claim(pk, now):
        return "skipped"
    row = ReportDelivery.objects.select_related("subscription__user", "subscription__channel",
                                                "subscription__company").get(pk=pk)
    sub = row.subscription
    ours = False
    try:
        if not sub.is_active:
            raise _Ours(_("the subscription is paused"))
        if not sub.channel.enabled:
            raise _Ours(_("the channel is disabled"))
        if not sub.user.is_active:
            raise _Ours(_("the subscriber's account is disabled"))
        with translation.override(language_of(sub.user)):
            consume(sub.company)  # the facts up to the change feed before reading them
            try:
                report = build(sub.user, periods.containing(sub.kind, row.period_start))
            except DjangoPermissionDenied:
                raise _Ours(_("the subscriber may no longer read reports")) from None
            try:
                outcome = deliver(row, sub.channel, sub.user, report)
            except _Throttled as full:
                # deferred, never dropped, not an attempt: it goes out when the window has room; the parts already
                # sent (a WeCom summary) are kept in its steps and not sent again
                ReportDelivery.objects.filter(pk=pk).update(next_attempt_at=full.until, locked_until=None,
                                                            steps=row.steps)
                return "throttled"
    except _Ours as exc:
        ours = True
        outcome = kinds.Outcome(False, str(exc), permanent=True)
    except Exception as exc:  # a bug must not leave the row claimed: recorded like any failure
        log.exception("sending report delivery %s failed", pk)
        outcome = kinds.Outcome(False, f"{type(exc).__name__}: {exc}"[: kinds.SNIPPET])
    return record(row, outcome, channel_fault=not ours)


def recent_calls(channel, since: dt.datetime, most: int) -> list[dt.datetime]:
    """The times of the report messages sent to `channel` after `since` (alerts.delivery.OTHER_CALLS)."""
    return list(ReportChannelCall.objects.filter(channel=channel, at__gt=since).order_by("-at")
                .values_list("at", flat=True)[:most])


class _Throttled(Exception):
    """The channel's rate limit has no room for the next message: the delivery waits until `until`."""

    def __init__(self, until: dt.datetime):
        super().__init__(until)
        self.until = until


def reserve(row: ReportDelivery, channel_id: int) -> dt.datetime | None:
    """Take room for one message in the channel's rate limit, shared with the alert deliveries
    (alerts.delivery.throttled_until): None when taken, else when the window has room again. Called right before
    each message goes out (a WeCom report sends two: the summary, the file), so what is reserved is what is sent.
    The channel's lock serialises it with other senders."""
    now = clock.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        wait = delivery.throttled_until(channel, now)
        if wait is not None:
            return wait
        ReportChannelCall.objects.create(company_id=row.company_id, channel=channel, delivery=row, at=now)
    return None


def _take_room(row: ReportDelivery, channel_id: int) -> None:
    """Reserve one message's room or defer the delivery (_Throttled)."""
    wait = reserve(row, channel_id)
    if wait is not None:
        raise _Throttled(wait)


def record(row: ReportDelivery, outcome: kinds.Outcome, *, channel_fault: bool = True) -> str:
    now = clock.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=row.subscription.channel_id)
        attempts = row.attempts + 1
        fields = dict(attempts=attempts, locked_until=None, response=outcome.response, last_error=outcome.error,
                      steps=row.steps)
        if outcome.ok:
            fields.update(status=ReportDeliveryStatus.SENT, sent_at=now, last_error="")
            result = "sent"
        elif outcome.permanent or attempts >= delivery.MAX_ATTEMPTS:
            fields["status"] = ReportDeliveryStatus.FAILED
            result = "failed"
        else:
            wait = max(delivery.backoff(attempts), outcome.min_delay)
            fields.update(status=ReportDeliveryStatus.RETRYING, next_attempt_at=now + dt.timedelta(seconds=wait))
            result = "retrying"
        ReportDelivery.objects.filter(pk=row.pk).update(**fields)
        if outcome.ok:
            delivery.channel_succeeded(channel, now)
        elif channel_fault:
            delivery.channel_failed(channel, now, outcome.error, gave_up=result == "failed")
    return result


# ---------------------------------------------------------------- one delivery per channel kind


def link_of(report: PeriodReport) -> str:
    return delivery.absolute(f"{reverse(PAGES[report.period.kind])}?start={report.period.start.isoformat()}")


def _summary(report: PeriodReport) -> str:
    return "\n".join(f"- {line}" for line in report.summary_in(translation.get_language()))


def deliver(row: ReportDelivery, channel, user, report: PeriodReport) -> kinds.Outcome:
    title = f"{report.company} · {report.title}"
    if channel.kind == ChannelKind.WECOM:  # two messages: each takes its room when it goes out
        return _wecom(row, channel, report, title)
    if channel.kind == ChannelKind.EMAIL:
        _take_room(row, channel.pk)
        return _email(channel, user, report, title)
    if channel.kind in (ChannelKind.DINGTALK, ChannelKind.FEISHU):
        _take_room(row, channel.pk)
        msg = kinds.Message(delivery_id=row.pk, topic=f"report.{report.period.kind}", title=title,
                            body=_summary(report), link=link_of(report), data={}, company_code="")
        return kinds.send(channel, msg, now_ts=clock.now().timestamp())
    raise _Ours(_("reports are not sent through this kind of channel"))


def _email(channel, user, report: PeriodReport, title: str) -> kinds.Outcome:
    from openjxc.reports import period_files  # here: reportlab's charts and openpyxl load when a file is made

    smtp = settings.JXC_SMTP
    if not smtp:
        return kinds.Outcome(False, str(kinds.SmtpNotConfigured().render_message()))
    if not (user.email or "").strip():
        raise _Ours(_("no email address"))
    prefix = channel.config.get("subject_prefix", "")
    subject = f"{prefix} {title}".strip() if prefix else title
    body = _summary(report) + "\n\n" + link_of(report)
    email = EmailMessage(subject=subject.replace("\n", " "), body=body,
                         from_email=channel.config.get("from_address") or smtp["from_address"], to=[user.email],
                         connection=kinds.smtp_backend(), headers={"X-OpenJXC-Topic": f"report.{report.period.kind}"})
    email.attach(f"{period_files.slug(report)}.pdf", period_files.pdf(report), "application/pdf")
    email.attach(f"{period_files.slug(report)}.xlsx", period_files.xlsx(report), XLSX_TYPE)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return kinds.Outcome(False, f"recipient refused: {exc.recipients}"[: kinds.SNIPPET], permanent=True)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return kinds.Outcome(False, f"{type(exc).__name__}: {exc}"[: kinds.SNIPPET])
    return kinds.Outcome(True, response="250 accepted")


def wecom_upload_url(send_url: str) -> str:
    """The robot's upload_media address: the send address's key, path …/webhook/upload_media, type=file."""
    parts = urllib.parse.urlsplit(send_url)
    path = parts.path.rsplit("/", 1)[0] + "/upload_media"
    query = urllib.parse.urlencode([*urllib.parse.parse_qsl(parts.query), ("type", "file")])
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _post(url: str, body: bytes, content_type: str) -> tuple[kinds.Outcome, dict]:
    try:
        answer = egress.post(url, content=body, headers={"Content-Type": content_type}, timeout=kinds.HTTP_TIMEOUT)
    except egress.AddressRefused:
        return kinds.Outcome(False, _("the address is not allowed (not a public internet address)"),
                             permanent=True), {}
    except egress.Unreachable:
        return kinds.Outcome(False, _("could not connect")), {}
    outcome = kinds.interpret(ChannelKind.WECOM, answer.status_code, answer.text)
    outcome.response = f"{outcome.response}, {answer.elapsed_ms} ms"
    try:
        data = json.loads(answer.text) if answer.text else {}
    except ValueError:
        data = {}
    return outcome, data if isinstance(data, dict) else {}


def _wecom(row: ReportDelivery, channel, report: PeriodReport, title: str) -> kinds.Outcome:
    """The summary as markdown, then the workbook as a file message; each part once (row.steps)."""
    from openjxc.reports import period_files  # here: reportlab's charts and openpyxl load when a file is made

    url = channel.config["url"]
    if "summary" not in row.steps:
        msg = kinds.Message(delivery_id=row.pk, topic=f"report.{report.period.kind}", title=title,
                            body=_summary(report), link=link_of(report), data={}, company_code="")
        send_url, headers, body = kinds.build_request(channel, msg, now_ts=clock.now().timestamp())
        _take_room(row, channel.pk)
        outcome, _data = _post(send_url, body, headers["Content-Type"])
        if not outcome.ok:
            return outcome
        row.steps = [*row.steps, "summary"]
    data = period_files.xlsx(report)
    if len(data) > WECOM_FILE_MAX:  # over the robot's limit: the summary's link is the way to the report
        return kinds.Outcome(True, response=_("summary sent; the workbook is over WeCom's 20 MB"))
    if "file" not in row.steps:
        import httpx  # only to encode the upload's multipart body

        request = httpx.Request("POST", wecom_upload_url(url),
                                files={"media": (f"{period_files.slug(report)}.xlsx", data, XLSX_TYPE)})
        outcome, answer = _post(str(request.url), request.read(), request.headers["Content-Type"])
        media = answer.get("media_id")
        if not outcome.ok or not media:
            return outcome if not outcome.ok else kinds.Outcome(False, _("the upload gave no media_id"))
        file_message = json.dumps({"msgtype": "file", "file": {"media_id": media}}).encode()
        _take_room(row, channel.pk)  # the upload is no message: the file message is
        outcome, _data = _post(url, file_message, "application/json; charset=utf-8")
        if not outcome.ok:
            return outcome
        row.steps = [*row.steps, "file"]
    return kinds.Outcome(True, response="HTTP 200")
