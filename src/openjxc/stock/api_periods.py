"""Periods: the months and their status, what blocks closing one, close and reopen; the posting-date rules."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Path, Query, Router, Schema

from openjxc.core import clock
from openjxc.core.company_settings import MAX_FUTURE_DAYS, future_date_tolerance, set_future_date_tolerance
from openjxc.core.schemas import company_id, text
from openjxc.stock import period_close, periods

router = Router(tags=["periods"])
MONTH = Path(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the month, YYYY-MM")


class MonthOut(Schema):
    month: str
    status: str
    closed_at: dt.datetime | None
    closed_by: str | None
    reopened_at: dt.datetime | None
    reopened_by: str | None
    reopen_reason: str
    can_close: bool
    can_reopen: bool


def _month_out(m: period_close.MonthStatus) -> dict:
    p = m.period
    return {
        "month": m.label, "status": m.status, "can_close": m.can_close, "can_reopen": m.can_reopen,
        "closed_at": p.closed_at if p and m.status == "closed" else None,
        "closed_by": p.closed_by.username if p and p.closed_by and m.status == "closed" else None,
        "reopened_at": p.reopened_at if p else None,
        "reopened_by": p.reopened_by.username if p and p.reopened_by else None,
        "reopen_reason": p.reopen_reason if p else "",
    }


class BlockerOut(Schema):
    kind: str
    label: str
    number: str
    link: str


class PeriodsOut(Schema):
    closed_through: dt.date | None
    months: list[MonthOut]


@router.get("", response=PeriodsOut, summary="The months, newest first, with their status (月末结账)")
def list_periods(request):
    company_id(request, "document.view")
    company = request.auth.company
    return {"closed_through": periods.closed_through(company),
            "months": [_month_out(m) for m in period_close.months(company)]}


@router.get("/{month}/blockers", response=list[BlockerOut], summary="What must be finished before the month closes")
def month_blockers(request, month: str = MONTH):
    company_id(request, "document.view")
    return [{"kind": b.kind, "label": str(b.label), "number": b.number, "link": b.link}
            for b in period_close.blockers(request.auth.company, period_close.parse_month(month))]


@router.post("/{month}/close", response=MonthOut, summary="Close the month (refused while something blocks it)")
def close_month(request, month: str = MONTH):
    period_close.close_period(by=request.auth, month=period_close.parse_month(month))
    return _status_of(request, period_close.parse_month(month))


class ReopenIn(Schema):
    reason: text(500, min_length=1)


@router.post("/{month}/reopen", response=MonthOut, summary="Reopen the latest closed month (administrators)")
def reopen_month(request, payload: ReopenIn, month: str = MONTH):
    period_close.reopen_period(by=request.auth, month=period_close.parse_month(month), reason=payload.reason)
    return _status_of(request, period_close.parse_month(month))


def _status_of(request, month: dt.date) -> dict:
    found = next(m for m in period_close.months(request.auth.company) if m.month == month)
    return _month_out(found)


class ClosedOut(Schema):
    date: dt.date
    closed: bool


class ClosedQuery(Schema):
    date: dt.date | None = Field(None, description="a business date; default today")


@router.get("/closed", response=ClosedOut, summary="Whether a business date lies in a closed month")
def date_closed(request, params: Query[ClosedQuery]):
    company_id(request, "document.view")
    company = request.auth.company
    day = params.date or clock.today(company.time_zone)
    return {"date": day, "closed": periods.is_closed(company, day)}


class FutureDaysOut(Schema):
    future_days: int


class FutureDaysIn(Schema):
    future_days: int = Field(..., ge=0, le=MAX_FUTURE_DAYS)


@router.get("/future-days", response=FutureDaysOut,
            summary="How many days ahead of today a document may be dated and still be posted")
def get_future_days(request):
    company_id(request, "document.view")
    return {"future_days": future_date_tolerance(request.auth.company)}


@router.put("/future-days", response=FutureDaysOut, summary="Set the posting tolerance for future dates (days)")
def put_future_days(request, payload: FutureDaysIn):
    company = set_future_date_tolerance(by=request.auth, days=payload.future_days)
    return {"future_days": future_date_tolerance(company)}
