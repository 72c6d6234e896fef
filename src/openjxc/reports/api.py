"""Report endpoints (read-only): process cycle times."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from openjxc.core.schemas import MAX_ID, company_id
from openjxc.documents.kinds import KINDS
from openjxc.reports.cycle_times import CycleTimes, Stats
from openjxc.reports.selectors import report_filters, report_for

router = Router(tags=["reports"])


class CycleTimeParams(Schema):
    start: dt.date | None = Field(None, description="first day (company time zone); default 27 days before end")
    end: dt.date | None = Field(None, description="last day, inclusive; default today")
    kind: str | None = Field(None, max_length=32, description="document kind, e.g. purchase_request")
    warehouse: int | None = Field(None, ge=1, le=MAX_ID)
    compare_start: dt.date | None = Field(None, description="a second period to compare with (both bounds)")
    compare_end: dt.date | None = None


class StatsOut(Schema):
    count: int
    avg_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None
    breaches: int


class KindStats(Schema):
    kind: str
    label: str
    to_post: StatsOut
    to_archive: StatsOut


class ApprovalStats(Schema):
    kind: str
    step: int | None = Field(None, description="position of the flow step (0: the first); null: approved without a flow")
    waiting: StatsOut


class StepStats(Schema):
    kind: str
    position: int
    name: str
    waiting: StatsOut
    overdue_now: int


class ApproverStats(Schema):
    user: int | None
    name: str
    waiting: StatsOut


class WeekStats(Schema):
    week: dt.date
    kind: str
    to_post: StatsOut


class BreachOut(Schema):
    document: int
    number: str
    kind: str
    step: str
    approvers: str
    started_at: dt.datetime
    due_at: dt.datetime
    finished_at: dt.datetime | None
    over_seconds: float


class CycleTimesOut(Schema):
    start: dt.date
    end: dt.date
    kinds: list[KindStats]
    approval: list[ApprovalStats]
    approvers_from_log: list[ApproverStats]
    steps: list[StepStats]
    approvers: list[ApproverStats]
    weekly: list[WeekStats]
    breaches: list[BreachOut]


class CycleTimesReport(Schema):
    period: CycleTimesOut
    compare: CycleTimesOut | None


def stats_out(s: Stats) -> dict:
    return {"count": s.count, "avg_seconds": s.avg, "median_seconds": s.median, "p90_seconds": s.p90,
            "breaches": s.breaches}


def report_out(r: CycleTimes) -> dict:
    kinds = sorted({*r.to_post, *r.to_archive})
    return {
        "start": r.filters.start, "end": r.filters.end,
        "kinds": [{"kind": k, "label": str(KINDS[k].label) if k in KINDS else k,
                   "to_post": stats_out(r.to_post.get(k, Stats())),
                   "to_archive": stats_out(r.to_archive.get(k, Stats()))} for k in kinds],
        "approval": [{"kind": k, "step": n if n >= 0 else None, "waiting": stats_out(s)} for (k, n), s in sorted(r.approval.items())],
        "approvers_from_log": [{"user": a.user_id, "name": a.name, "waiting": stats_out(a.stats)}
                               for a in r.log_approvers],
        "steps": [{"kind": s.kind, "position": s.position, "name": s.name, "waiting": stats_out(s.stats),
                   "overdue_now": s.overdue_now} for s in r.steps],
        "approvers": [{"user": a.user_id, "name": a.name, "waiting": stats_out(a.stats)} for a in r.approvers],
        "weekly": [{"week": w, "kind": k, "to_post": stats_out(s)} for w, k, s in r.weekly],
        "breaches": [{"document": b.document_id, "number": b.number, "kind": b.kind, "step": b.step,
                      "approvers": b.approvers, "started_at": b.started_at, "due_at": b.due_at,
                      "finished_at": b.finished_at, "over_seconds": b.over_seconds} for b in r.breaches],
    }


@router.get("/cycle-times", response=CycleTimesReport)
def cycle_times(request, params: Query[CycleTimeParams]):
    """Cycle times per document kind and approval step (avg / median / p90 in seconds), SLA breaches, weekly trend;
    with compare_start/compare_end, the same figures for a second period."""
    company_id(request, "reports.view")
    user = request.auth
    filters = report_filters(user, start=params.start, end=params.end, kind=params.kind,
                             warehouse=params.warehouse)
    compare = None
    if params.compare_start or params.compare_end:
        compare = report_out(report_for(user, report_filters(
            user, start=params.compare_start or params.compare_end, end=params.compare_end or params.compare_start,
            kind=params.kind, warehouse=params.warehouse)))
    return {"period": report_out(report_for(user, filters)), "compare": compare}
