"""The cycle-time page: the same report as GET /api/reports/cycle-times, with charts and a comparison."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.documents.kinds import KINDS
from openjxc.reports.cycle_times import Stats
from openjxc.reports.forms import CycleTimeFilter
from openjxc.reports.selectors import previous_period, report_filters, report_for
from openjxc.web.pages import company_page


def _label(kind: str) -> str:
    return str(KINDS[kind].label) if kind in KINDS else kind


@company_page
def cycle_times(request):
    user = request.user
    if not permissions.allowed(user, "reports.view"):
        raise DjangoPermissionDenied
    form = CycleTimeFilter(request.GET or None, user=user)
    data = form.cleaned_data if form.is_valid() else {}
    error = None
    try:
        filters = report_filters(user, start=data.get("start"), end=data.get("end"), kind=data.get("kind") or None,
                                 warehouse=data.get("warehouse"))
        if data.get("compare_start") or data.get("compare_end"):
            cs = data.get("compare_start") or data.get("compare_end")
            compare_filters = report_filters(user, start=cs, end=data.get("compare_end") or cs,
                                             kind=filters.kind, warehouse=data.get("warehouse"))
        else:
            compare_filters = previous_period(filters)
        report, before = report_for(user, filters), report_for(user, compare_filters)
    except DomainError as err:
        error = err.render_message()
        return render(request, "reports/cycle_times.html", {"form": form, "error": error})

    kinds = sorted({*report.to_post, *before.to_post}, key=lambda k: -(report.to_post.get(k, Stats()).count))
    rows = []
    for k in sorted({*report.to_post, *report.to_archive}, key=_label):
        rows.append({"kind": k, "label": _label(k), "post": report.to_post.get(k, Stats()),
                     "archive": report.to_archive.get(k, Stats())})
    comparison = []
    for k in kinds:
        now, then = report.to_post.get(k, Stats()), before.to_post.get(k, Stats())
        change = None
        if now.avg is not None and then.avg:
            change = round((now.avg - then.avg) / then.avg * 100)
        comparison.append({"label": _label(k), "now": now, "then": then, "change": change})

    weeks = sorted({w for w, _k, _s in report.weekly})
    # days, unless every week's average is under two days: then hours read better
    in_days = any((s.avg or 0) >= 2 * 86400 for _w, _k, s in report.weekly)
    scale = 86400 if in_days else 3600
    series = []
    for k in sorted({k for _w, k, _s in report.weekly}, key=_label):
        points = {w: s for w, kk, s in report.weekly if kk == k}
        series.append({"name": _label(k), "data": [
            round(points[w].avg / scale, 2) if w in points else None for w in weeks]})
    weekly_chart = {"title": _("Creation to posting, average days by week") if in_days
                    else _("Creation to posting, average hours by week"),
                    "weeks": [w.isoformat() for w in weeks], "series": series,
                    "unit": _("days") if in_days else _("hours")}

    if report.steps:
        step_rows = [{"label": f"{_label(s.kind)} · {s.position + 1}. {s.name}", "stats": s.stats,
                      "overdue": s.overdue_now} for s in report.steps]
    else:
        step_rows = [{"label": f"{_label(k)} · " + (_("approval") if n < 0 else _("step %(n)s") % {"n": n + 1}),
                      "stats": s, "overdue": 0}
                     for (k, n), s in sorted(report.approval.items())]
    steps_chart = {"title": _("Waiting per approval step, hours"), "names": [r["label"] for r in step_rows],
                   "avg": [round((r["stats"].avg or 0) / 3600, 2) for r in step_rows],
                   "p90": [round((r["stats"].p90 or 0) / 3600, 2) for r in step_rows],
                   "avg_label": _("Average"), "p90_label": _("90th percentile"), "unit": _("hours")}
    approvers = report.approvers or report.log_approvers
    return render(request, "reports/cycle_times.html", {
        "form": form, "report": report, "before": before, "rows": rows, "comparison": comparison,
        "weekly_chart": weekly_chart, "steps_chart": steps_chart, "step_rows": step_rows, "approvers": approvers,
        "has_workflow_steps": bool(report.steps), "error": error,
    })
