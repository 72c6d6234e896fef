"""Working time: a company's working hours per weekday and its holidays, in the company's time zone.

`add_working_minutes(cal, start, minutes)` is what turns "4 working hours" into a due time: time
outside working hours, on weekends and on holidays does not count. `set_calendar` is the service that
changes a company's hours and holidays (administrators and managers).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.permissions import company_id_of
from openjxc.workflow.flows import require_manage
from openjxc.workflow.models import Holiday, WorkCalendar

DEFAULT_HOURS: dict[str, list[list[str]]] = {str(d): [["09:00", "18:00"]] for d in range(5)}  # Mon–Fri
MAX_DAYS = 3 * 366  # a due time further than this means the calendar has (almost) no working time


@dataclass
class Calendar:
    time_zone: str
    hours: dict[str, list[list[str]]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)  # weekends made working days (调休)

    def intervals(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        if day in self.holidays:
            return []
        key = str(day.weekday())
        spans = self.hours.get(key) or []
        if day in self.workdays and not spans:
            spans = next((self.hours[str(d)] for d in range(7) if self.hours.get(str(d))), DEFAULT_HOURS["0"])
        return [(_time(a), _time(b)) for a, b in spans]


def _time(text: str) -> dt.time:
    h, m = text.split(":")
    return dt.time(int(h), int(m)) if h != "24" else dt.time(23, 59, 59, 999999)


def check_hours(hours) -> dict[str, list[list[str]]]:
    """Validate working hours {"0": [["09:00", "12:00"], ...]}; refuse with the bad weekday named."""
    if not isinstance(hours, dict):
        raise ValidationFailed(field="hours", reason=_("must be an object of weekday -> intervals"))
    clean: dict[str, list[list[str]]] = {}
    for key, spans in hours.items():
        if str(key) not in {str(d) for d in range(7)}:
            raise ValidationFailed(field=f"hours.{key}", reason=_("must be a weekday 0 (Monday) to 6 (Sunday)"))
        if not isinstance(spans, list):
            raise ValidationFailed(field=f"hours.{key}", reason=_("must be a list of [start, end]"))
        last = None
        out = []
        for n, span in enumerate(spans):
            where = f"hours.{key}[{n}]"
            try:
                a, b = span
                ta, tb = _time(a), _time(b)
            except (TypeError, ValueError, AttributeError):
                raise ValidationFailed(field=where, reason=_("must be [\"HH:MM\", \"HH:MM\"]")) from None
            if ta >= tb:
                raise ValidationFailed(field=where, reason=_("must end after it starts"))
            if last is not None and ta < last:
                raise ValidationFailed(field=where, reason=_("overlaps or precedes the interval before it"))
            last = tb
            out.append([a, b])
        if out:
            clean[str(key)] = out
    if not clean:
        raise ValidationFailed(field="hours", reason=_("must have at least one working interval"))
    return clean


def add_working_minutes(cal: Calendar, start: dt.datetime, minutes: float) -> dt.datetime:
    """The moment `minutes` of working time after `start` (UTC in, UTC out)."""
    tz = zoneinfo.ZoneInfo(cal.time_zone)
    local = start.astimezone(tz)
    left = dt.timedelta(minutes=float(minutes))
    day = local.date()
    for _n in range(MAX_DAYS):
        for a, b in cal.intervals(day):
            begin = dt.datetime.combine(day, a, tzinfo=tz)
            end = dt.datetime.combine(day, b, tzinfo=tz)
            if end <= local:
                continue
            begin = max(begin, local)
            span = end - begin
            if left <= span:
                if left == dt.timedelta(0) and begin > local:
                    return local.astimezone(dt.UTC)  # no time to add: due at once
                return (begin + left).astimezone(dt.UTC)
            left -= span
        day += dt.timedelta(days=1)
    raise ValidationFailed(field="calendar", reason=_("has no working time in the next three years"))


def working_minutes_between(cal: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working minutes from `start` to `end` (0 when end is before start); for the timeline's figures."""
    if end <= start:
        return 0.0
    tz = zoneinfo.ZoneInfo(cal.time_zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    total = dt.timedelta(0)
    day = s.date()
    while day <= e.date():
        for a, b in cal.intervals(day):
            begin = max(dt.datetime.combine(day, a, tzinfo=tz), s)
            stop = min(dt.datetime.combine(day, b, tzinfo=tz), e)
            if stop > begin:
                total += stop - begin
        day += dt.timedelta(days=1)
    return total.total_seconds() / 60


def calendar_of(company) -> Calendar:
    """The company's calendar (defaults when none is saved), holidays included."""
    row = WorkCalendar.objects.filter(company_id=company.pk).first()
    cal = Calendar(time_zone=company.time_zone or "Asia/Shanghai", hours=row.hours if row and row.hours else
                   dict(DEFAULT_HOURS))
    for day, is_workday in Holiday.objects.filter(company_id=company.pk).values_list("day", "is_workday"):
        (cal.workdays if is_workday else cal.holidays).add(day)
    return cal


@transaction.atomic
def set_calendar(*, by, hours: dict | None = None, holidays: list[dict] | None = None) -> WorkCalendar:
    """Set the company's working hours and/or replace its holidays ({day, name, is_workday})."""
    require_manage(by)
    company_id = company_id_of(by)
    now = clock.now()
    cal, _created = WorkCalendar.objects.select_for_update().get_or_create(
        company_id=company_id, defaults={"hours": {}, "updated_at": now})
    before = {"hours": cal.hours}
    if hours is not None:
        cal.hours = check_hours(hours)
    cal.updated_at = now
    cal.save()
    if holidays is not None:
        rows, seen = [], set()
        for n, h in enumerate(holidays):
            try:
                day = h["day"] if isinstance(h["day"], dt.date) else dt.date.fromisoformat(str(h["day"]))
            except (KeyError, TypeError, ValueError):
                raise ValidationFailed(field=f"holidays[{n}].day", reason=_("must be a date YYYY-MM-DD")) from None
            if day in seen:
                raise ValidationFailed(field=f"holidays[{n}].day", reason=_("is listed twice"))
            seen.add(day)
            rows.append(Holiday(company_id=company_id, day=day, name=str(h.get("name") or "")[:100],
                                is_workday=bool(h.get("is_workday"))))
        Holiday.objects.filter(company_id=company_id).delete()
        Holiday.objects.bulk_create(rows)
    after = {"hours": cal.hours, "holidays": len(holidays) if holidays is not None else None}
    record_event(company=company_id, topic="workflow.calendar_updated", by=by, obj=cal, payload=after)
    record_audit(company=company_id, action="update", obj=cal, by=by, before=before, after=after)
    return cal

