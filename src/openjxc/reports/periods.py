"""The periods of the weekly and monthly business reports (经营周报 / 月报), in the company's time zone.

A week runs Monday to Sunday, a month from the 1st to its last day. A period's report is sent at 08:00 local time
on the day after it ends (Monday for a week, the 1st for a month).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import ValidationFailed

WEEK, MONTH = "week", "month"
KINDS = {WEEK: _("Weekly report"), MONTH: _("Monthly report")}
SEND_HOUR = 8


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return containing(self.kind, self.end + dt.timedelta(days=1))

    def label(self) -> str:
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def send_at(self, tz_name: str) -> dt.datetime:
        """When this period's report goes out: 08:00 company time on the day after it ends."""
        day = self.end + dt.timedelta(days=1)
        return dt.datetime(day.year, day.month, day.day, SEND_HOUR, tzinfo=zoneinfo.ZoneInfo(tz_name))


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed(field="kind", reason=_("must be week or month"))
    return kind


def containing(kind: str, day: dt.date) -> Period:
    """The week (Monday–Sunday) or calendar month that holds `day`."""
    check_kind(kind)
    if kind == WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return Period(WEEK, start, start + dt.timedelta(days=6))
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(MONTH, start, following - dt.timedelta(days=1))


def last_complete(kind: str, today: dt.date) -> Period:
    """The latest period that has ended before `today`."""
    return containing(kind, today).previous()


def due(kind: str, now: dt.datetime, tz_name: str) -> Period:
    """The latest period whose sending time (08:00 local the day after it ends) is not later than `now`."""
    local = now.astimezone(zoneinfo.ZoneInfo(tz_name))
    period = last_complete(kind, local.date())
    if period.send_at(tz_name) > now:
        period = period.previous()
    return period


def parse(kind: str, start: str | None, today: dt.date) -> Period:
    """The period of `kind` holding the date `start` (YYYY-MM-DD; default: the last complete one)."""
    check_kind(kind)
    if not start:
        return last_complete(kind, today)
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        raise ValidationFailed(field="start", reason=_("must be a date (YYYY-MM-DD)")) from None
    if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
        raise ValidationFailed(field="start", reason=_("is out of range"))
    return containing(kind, day)
