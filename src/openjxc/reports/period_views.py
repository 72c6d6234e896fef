"""The weekly and monthly report pages (经营周报 / 月报): choose the period, previous / next, and the same report
as a PDF or an XLSX workbook in one click (`?format=pdf|xlsx`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.reports import periods
from openjxc.reports.export import download
from openjxc.reports.pages import require_page
from openjxc.reports.period_report import build
from openjxc.web.pages import company_page

PAGES = {periods.WEEK: "web:report_weekly", periods.MONTH: "web:report_monthly"}


def _page(request, kind: str):
    from openjxc.reports import period_files  # here: reportlab's charts and openpyxl load when a file is made

    user = request.user
    require_page(user)
    today = clock.today(user.company.time_zone)
    try:
        period = periods.parse(kind, request.GET.get("start"), today)
    except DomainError as err:
        return render(request, "reports/period_report.html", {"kind": kind, "error": err.render_message(),
                                                              "title": periods.KINDS[kind]}, status=400)
    report = build(user, period)
    wanted = request.GET.get("format")
    if wanted == "pdf":
        response = HttpResponse(period_files.pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{period_files.slug(report)}.pdf"'
        return response
    if wanted == "xlsx":
        return download(period_files.xlsx(report), f"{period_files.slug(report)}.xlsx")
    here = reverse(PAGES[kind])
    following = period.next()
    charts = [s.chart for s in report.sections]  # by section index (None: no chart)
    return render(request, "reports/period_report.html", {
        "kind": kind, "title": periods.KINDS[kind], "report": report, "charts": charts,
        "summary": report.summary_in(get_language()),
        "here": f"{here}?start={period.start.isoformat()}",
        "previous_url": f"{here}?start={report.previous.start.isoformat()}",
        "next_url": f"{here}?start={following.start.isoformat()}" if following.start <= today else "",
        "other_url": reverse(PAGES[periods.MONTH if kind == periods.WEEK else periods.WEEK]),
    })


@company_page
def weekly(request):
    return _page(request, periods.WEEK)


@company_page
def monthly(request):
    return _page(request, periods.MONTH)
