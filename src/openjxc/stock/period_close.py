"""Closing a month (月末结账) and reopening it (反结账).

Before a month closes, `blockers` lists what stands in the way; the apps that know fill the registry
(documents: drafts and transfers still in transit; counts: counts not finished). Closing then locks
every valuation row of the company (postings in flight finish first, later ones see the month closed),
replays the moving average from the month's first day (stock/recost.py: normally nothing to correct,
since back-dated entries re-cost as they are posted), keeps the month-end quantity and value of every
item in every warehouse (PeriodSnapshot, which reports read) and marks the month closed. Months close
in order and reopen in reverse order; reopening is for administrators, with a reason, and audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, User
from openjxc.core.quantities import ZERO, money, qty
from openjxc.stock.models import Period, PeriodSnapshot, PeriodStatus, StockMove
from openjxc.stock.periods import closed_through, month_end, month_start
from openjxc.stock.recost import Recost, stocked_locations


@dataclass(frozen=True)
class Blocker:
    """Something that must be finished before a month can close."""

    kind: str  # "draft", "in_transit", "count", ...
    label: str  # what it is, in the user's language
    number: str
    link: str = ""
    data: dict = field(default_factory=dict, hash=False, compare=False)


# fn(company, first day, last day) -> blockers
_blockers: list[Callable[[Company, dt.date, dt.date], list[Blocker]]] = []


def parse_month(value: str) -> dt.date:
    """A month written YYYY-MM, as its first day; ValidationFailed otherwise (the API and the page)."""
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise ValidationFailed(field="month", reason=_("must be a month as YYYY-MM")) from None


def register_blocker(fn: Callable[[Company, dt.date, dt.date], list[Blocker]]) -> None:
    if fn not in _blockers:
        _blockers.append(fn)


def blockers(company: Company, month: dt.date) -> list[Blocker]:
    """What keeps `month` from closing, from every registered app."""
    first, last = month_start(month), month_end(month)
    return [b for fn in _blockers for b in fn(company, first, last)]


@dataclass
class MonthStatus:
    month: dt.date
    status: str
    period: Period | None
    can_close: bool
    can_reopen: bool

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


def months(company: Company, *, at_least: int = 12) -> list[MonthStatus]:
    """The company's months, newest first: from the first month with stock moves (at least `at_least`
    months back) to the current month, with their status and what may be done with them."""
    today = clock.today(company.time_zone)
    current = month_start(today)
    first_move = StockMove.objects.filter(company_id=company.pk).order_by("business_on").values_list(
        "business_on", flat=True).first()
    periods = {p.month: p for p in Period.objects.filter(company_id=company.pk).select_related(
        "closed_by", "reopened_by")}
    earliest = _add_months(current, -at_least)
    for day in [first_move, *periods]:
        if day is not None and month_start(day) < earliest:
            earliest = month_start(day)
    end = closed_through(company)
    # months close in order: the one after the latest closed, or the first with stock moves
    next_open = _add_months(month_start(end), 1) if end else (month_start(first_move) if first_move else None)
    out, month = [], current
    while month >= earliest:
        p = periods.get(month)
        closed = p is not None and p.status == PeriodStatus.CLOSED
        out.append(MonthStatus(
            month=month, status=PeriodStatus.CLOSED if closed else PeriodStatus.OPEN, period=p,
            can_close=not closed and month_end(month) < today and (next_open is None or month == next_open),
            can_reopen=closed and end is not None and month == month_start(end),
        ))
        month = _add_months(month, -1)
    return out


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _locked_company(by: User) -> Company:
    # the company row serialises closing and reopening
    return Company.objects.select_for_update().get(pk=permissions.company_id_of(by))


@transaction.atomic
def close_period(*, by: User, month: dt.date) -> Period:
    """Close `month` (any day of it): refused while something blocks it; keeps the month-end snapshot."""
    permissions.require(by, "period.close")
    company = _locked_company(by)
    first, last = month_start(month), month_end(month)
    today = clock.today(company.time_zone)
    if last >= today:
        raise DomainError("period.not_ended", _("%(month)s has not ended yet: it can be closed from %(day)s."),
                          http_status=409, month=first.strftime("%Y-%m"), day=str(last + dt.timedelta(days=1)))
    end = closed_through(company)
    if end is not None and first <= end:
        raise DomainError("period.already_closed", _("%(month)s is already closed."), http_status=409,
                          month=first.strftime("%Y-%m"))
    previous = _add_months(month_start(end), 1) if end else _first_unclosed(company, first)
    if previous is not None and previous < first:
        raise DomainError("period.previous_open", _("Close %(previous)s first: months close in order."),
                          http_status=409, previous=previous.strftime("%Y-%m"), month=first.strftime("%Y-%m"))
    found = blockers(company, first)
    if found:
        raise DomainError(
            "period.blocked", _("%(month)s cannot be closed yet: %(count)s document(s) or count(s) to finish first."),
            http_status=409, month=first.strftime("%Y-%m"), count=len(found),
            blockers=[{"kind": b.kind, "label": str(b.label), "number": b.number, "link": b.link} for b in found],
        )
    _lock_all_valuations(company.pk)
    corrected = recost_from(company, first, by=by)
    period, _created = Period.objects.get_or_create(company=company, month=first)
    period.status, period.closed_at, period.closed_by = PeriodStatus.CLOSED, clock.now(), by
    period.save(update_fields=["status", "closed_at", "closed_by"])
    snapshot = take_snapshot(company, period, last)
    payload = {"month": first.strftime("%Y-%m"), "closed_through": str(last), "snapshot_rows": len(snapshot),
               "recost_corrections": corrected}
    record_event(company=company, topic="period.closed", by=by, obj=period, payload=payload)
    record_audit(company=company, action="close", obj=period, by=by, before={"status": PeriodStatus.OPEN},
                 after=payload)
    return period


def _first_unclosed(company: Company, first: dt.date) -> dt.date | None:
    """With no month closed yet: the first month with stock moves, if it is before `first`."""
    day = StockMove.objects.filter(company_id=company.pk, business_on__lt=first).order_by(
        "business_on").values_list("business_on", flat=True).first()
    return month_start(day) if day else None


@transaction.atomic
def reopen_period(*, by: User, month: dt.date, reason: str) -> Period:
    """Reopen the latest closed month (administrators only): its snapshot is dropped until it closes again."""
    permissions.require(by, "period.reopen")
    if not reason or not reason.strip():
        raise ValidationFailed(field="reason", reason=_("is required to reopen a month"))
    company = _locked_company(by)
    first = month_start(month)
    end = closed_through(company)
    if end is None or first > end:
        raise DomainError("period.not_closed", _("%(month)s is not closed."), http_status=409,
                          month=first.strftime("%Y-%m"))
    if first != month_start(end):
        raise DomainError("period.later_closed", _("Reopen %(later)s first: months reopen from the latest."),
                          http_status=409, later=month_start(end).strftime("%Y-%m"), month=first.strftime("%Y-%m"))
    period = Period.objects.get(company=company, month=first)
    PeriodSnapshot.objects.filter(period=period).delete()
    period.status, period.reopened_at, period.reopened_by = PeriodStatus.OPEN, clock.now(), by
    period.reopen_reason = reason.strip()[:500]
    period.save(update_fields=["status", "reopened_at", "reopened_by", "reopen_reason"])
    payload = {"month": first.strftime("%Y-%m"), "reason": period.reopen_reason}
    record_event(company=company, topic="period.reopened", by=by, obj=period, payload=payload)
    record_audit(company=company, action="reopen", obj=period, by=by, before={"status": PeriodStatus.CLOSED},
                 after=payload)
    return period


def _lock_all_valuations(company_id: int) -> None:
    """Every valuation row of the company, in the postings' order: postings in flight finish first, and
    the ones after see the month closed (they check after taking their locks)."""
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM stock_itemvaluation WHERE company_id = %s ORDER BY item_id, warehouse_id "
                    "FOR UPDATE", [company_id])


def recost_from(company: Company, on: dt.date, *, by: User | None) -> int:
    """Replay every item in every warehouse from business day `on`; return the corrections posted."""
    where = stocked_locations(company.pk)
    pairs: dict[int, set[int]] = {}
    for item, frm, to in (StockMove.objects.filter(company_id=company.pk, business_on__gte=on)
                          .values_list("item_id", "from_location_id", "to_location_id").distinct()):
        for loc in (frm, to):
            if loc in where:
                pairs.setdefault(item, set()).add(where[loc])
    total = 0
    for item_id in sorted(pairs):
        total += Recost(company, item_id, by=by).run({w: (on, None) for w in sorted(pairs[item_id])})
    return total


def take_snapshot(company: Company, period: Period, last: dt.date) -> list[PeriodSnapshot]:
    """The quantity and value of every item in every warehouse at the end of business day `last`."""
    where = stocked_locations(company.pk)
    totals: dict[tuple[int, int], list[Decimal]] = {}
    moves = StockMove.objects.filter(company_id=company.pk, business_on__lte=last)
    for column, sign in (("to_location_id", 1), ("from_location_id", -1)):
        for item, loc, q, v in (moves.filter(**{f"{column}__in": list(where)}).values_list("item_id", column)
                                .annotate(q=Sum("quantity"), v=Sum("value")).order_by()):
            acc = totals.setdefault((item, where[loc]), [ZERO, ZERO])
            acc[0] += sign * qty(q or 0)
            acc[1] += sign * money(v or 0)
    rows = [PeriodSnapshot(company=company, period=period, item_id=i, warehouse_id=w, quantity=q, value=v)
            for (i, w), (q, v) in sorted(totals.items()) if q or v]
    PeriodSnapshot.objects.bulk_create(rows, batch_size=1000)
    return rows


def snapshot_of(company_id: int, month: dt.date) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """The closed month's (item, warehouse) -> (quantity, value); empty when the month is not closed."""
    return {
        (i, w): (q, v)
        for i, w, q, v in PeriodSnapshot.objects.filter(
            company_id=company_id, period__month=month_start(month), period__status=PeriodStatus.CLOSED,
        ).values_list("item_id", "warehouse_id", "quantity", "value")
    }
