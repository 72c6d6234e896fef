"""The weekly / monthly report and my report subscriptions over the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import get_language
from ninja import Router, Schema
from ninja import Status as HttpStatus

from openjxc.core import clock
from openjxc.reports import periods
from openjxc.reports.access import require_reader
from openjxc.reports.period_report import build
from openjxc.reports.subscriptions import (
    my_deliveries,
    my_subscriptions,
    pause_subscription,
    resume_subscription,
    subscribe_report,
    unsubscribe_report,
)

router = Router(tags=["reports"])


class PeriodFigureOut(Schema):
    key: str
    label: str
    unit: str
    value: str | None
    previous: str | None
    change: str | None
    change_pct: str | None
    masked: bool


class PeriodSectionOut(Schema):
    key: str
    title: str
    figures: list[PeriodFigureOut]


class PeriodMoverOut(Schema):
    label: str
    value: str | None
    previous: str | None
    change: str | None


class PeriodMoversOut(Schema):
    dimension: str
    measure: str
    title: str
    rows: list[PeriodMoverOut]


class PeriodReportOut(Schema):
    kind: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    summary: list[str]
    sections: list[PeriodSectionOut]
    movers: list[PeriodMoversOut]


class ReportSubscriptionIn(Schema):
    kind: str
    channel: int


class ReportSubscriptionOut(Schema):
    id: int
    kind: str
    channel: int
    channel_name: str
    channel_kind: str
    is_active: bool


class ReportDeliveryOut(Schema):
    id: int
    subscription: int
    period_start: dt.date
    period_end: dt.date
    status: str
    attempts: int
    last_error: str
    sent_at: dt.datetime | None


def _s(v) -> str | None:
    return None if v is None else str(v) if isinstance(v, Decimal | int) else str(v)


@router.get("/period/{kind}", response=PeriodReportOut,
            summary="The weekly or monthly report (kind week|month) of the period holding `start` (default: the "
                    "last complete one), with the previous period, for the calling user")
def period_report(request, kind: str, start: str | None = None):
    require_reader(request.auth)
    period = periods.parse(kind, start, clock.today(request.auth.company.time_zone))
    r = build(request.auth, period)
    return {"kind": kind, "start": period.start, "end": period.end, "previous_start": r.previous.start,
            "previous_end": r.previous.end, "summary": r.summary_in(get_language()),
            "sections": [{"key": s.key, "title": s.title, "figures": [
                {"key": f.key, "label": f.label, "unit": f.unit, "masked": f.masked,
                 "value": None if f.masked else _s(f.value), "previous": None if f.masked else _s(f.previous),
                 "change": _s(f.change), "change_pct": _s(f.change_pct)} for f in s.figures]} for s in r.sections],
            "movers": [{"dimension": t.dimension, "measure": t.measure, "title": t.title,
                        "rows": [{"label": m.label, "value": _s(m.value), "previous": _s(m.previous),
                                  "change": _s(m.change)} for m in t.rows]} for t in r.movers]}


def _sub(s) -> dict:
    return {"id": s.pk, "kind": s.kind, "channel": s.channel_id, "channel_name": s.channel.name,
            "channel_kind": s.channel.kind, "is_active": s.is_active}


@router.get("/subscriptions", response=list[ReportSubscriptionOut], summary="My report subscriptions")
def list_subscriptions(request):
    require_reader(request.auth)
    return [_sub(s) for s in my_subscriptions(request.auth)]


@router.post("/subscriptions", response={201: ReportSubscriptionOut},
             summary="Subscribe to the weekly or monthly report through a delivery channel")
def create_subscription(request, payload: ReportSubscriptionIn):
    sub = subscribe_report(by=request.auth, kind=payload.kind, channel=payload.channel)
    return HttpStatus(201, _sub(sub))


@router.get("/subscriptions/deliveries", response=list[ReportDeliveryOut], summary="The delivery log of my subscriptions")
def deliveries(request):
    require_reader(request.auth)
    return [{"id": d.pk, "subscription": d.subscription_id, "period_start": d.period_start,
             "period_end": d.period_end, "status": d.status, "attempts": d.attempts, "last_error": d.last_error,
             "sent_at": d.sent_at} for d in my_deliveries(request.auth)]


@router.post("/subscriptions/{pk}/pause", response=ReportSubscriptionOut,
             summary="Pause one of my subscriptions (nothing is sent until it is resumed)")
def pause(request, pk: int):
    return _sub(pause_subscription(by=request.auth, pk=pk))


@router.post("/subscriptions/{pk}/resume", response=ReportSubscriptionOut,
             summary="Resume a paused subscription (from the next period due; the paused ones are not sent)")
def resume(request, pk: int):
    return _sub(resume_subscription(by=request.auth, pk=pk))


@router.delete("/subscriptions/{pk}", response={204: None}, summary="Unsubscribe")
def delete_subscription(request, pk: int):
    unsubscribe_report(by=request.auth, pk=pk)
    return HttpStatus(204, None)
