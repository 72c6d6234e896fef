"""The pivot page (多维交叉分析), its saved views, its Excel export (a background job when long) and the drill-down
page every report links its figures to."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django import forms
from django.contrib import messages
from django.http import HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.documents.models import Status
from openjxc.reports import drill as drilling
from openjxc.reports.access import may_read_balances, shows_cost, warehouse_scope
from openjxc.reports.export import download, filename, pivot_workbook
from openjxc.reports.labels import labels_for
from openjxc.reports.pages import ReportForm, require_page
from openjxc.reports.pivot import layout, pivot_query
from openjxc.reports.query import Query, Row, run
from openjxc.reports.saved_views import delete_view, save_view, saved_views
from openjxc.reports.semantic import DIMENSIONS, FAMILIES, MEASURES, label_of, parts_of
from openjxc.web import jobs
from openjxc.web.pages import company_page

INLINE_ROWS = 2000  # a pivot with more lines than this is exported by a background job with a progress bar
PAGE = "pivot"
DIM_CHOICES = [(name, d.label) for name, d in DIMENSIONS.items()]


class PivotForm(ReportForm):
    row1 = forms.ChoiceField(label=gettext_lazy("Rows"), choices=DIM_CHOICES, initial="region_1")
    row2 = forms.ChoiceField(label=gettext_lazy("Then by"), required=False,
                             choices=[("", "—")] + DIM_CHOICES)
    col = forms.ChoiceField(label=gettext_lazy("Columns"), required=False, choices=[("", "—")] + DIM_CHOICES)
    measures = forms.MultipleChoiceField(label=gettext_lazy("Measures"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    subtotals = forms.BooleanField(label=gettext_lazy("Subtotals"), required=False)
    top = forms.IntegerField(label=gettext_lazy("Top N of the first row dimension"), required=False, min_value=1,
                             max_value=1000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, omit=("by", "grain", "order"), **kwargs)
        may_balances = may_read_balances(user)
        self.fields["measures"].choices = [(name, m.label) for name, m in MEASURES.items()
                                           if may_balances or m.family != "partner"]

    def clean(self):
        data = super().clean()
        dims = [d for d in (data.get("row1"), data.get("row2"), data.get("col")) if d]
        if len(set(dims)) != len(dims):
            self.add_error("row2", _("Choose different dimensions."))
        return data


def _wanted(params: QueryDict, user) -> tuple[PivotForm, dict]:
    form = PivotForm(params or None, user=user)
    data = form.cleaned_data if form.is_valid() else {}
    if not params:  # the first visit: revenue and gross profit by region and category, this month
        data = {"row1": "region_1", "row2": "category_1", "col": "", "measures": ["revenue", "gross_profit", "margin"],
                "subtotals": True}
    return form, data


def build(user, params: QueryDict):
    """The pivot `params` ask for, for `user` (period, scope, cost): the form, the query and the laid-out pivot."""
    form, data = _wanted(params, user)
    base = ask_from(user, data)
    rows = [d for d in (data.get("row1"), data.get("row2")) if d]
    col = data.get("col") or None
    measures = data.get("measures") or ["revenue"]
    families = {MEASURES[p].family for m in measures for p in parts_of(m)}
    q = pivot_query(base, rows or ["category"], col, measures, bool(data.get("subtotals")))
    q = replace(q, top=data.get("top"), warehouse_ids=warehouse_scope(user, families))
    result = run(user.company, q)
    return form, q, layout(result, q, rows or ["category"], col, bool(data.get("subtotals")),
                           reverse("web:report_drill"))


def ask_from(user, data: dict) -> Query:
    today = clock.today(user.company.time_zone)
    end = data.get("end") or today
    start = data.get("start") or end.replace(day=1)
    filters = {"warehouse": [data["warehouse"]]} if data.get("warehouse") else {}
    return Query(measures=[], start=min(start, end), end=end, filters=filters, show_cost=shows_cost(user))


def export_job(user, params: dict, progress):
    """The background export of a long pivot: rebuilt from the saved parameters in the worker."""
    qd = QueryDict(mutable=True)
    for k, vs in params.items():
        qd.setlist(k, vs)
    _form, q, pivot = build(user, qd)
    progress(0, len(pivot.lines), force=True)
    data = pivot_workbook(str(_("Pivot")), pivot, f"{q.start:%Y-%m-%d} – {q.end:%Y-%m-%d}", progress)
    return data, filename("pivot")


@company_page
def pivot(request):
    user = request.user
    require_page(user)
    error = None
    try:
        form, q, table = build(user, request.GET)
    except DomainError as err:
        form, _data = _wanted(request.GET, user)
        return render(request, "reports/pivot.html", {"form": form, "error": err.render_message(),
                                                      "views": saved_views(user, PAGE)})
    if request.GET.get("export") == "xlsx":
        if len(table.lines) > INLINE_ROWS:
            params = {k: request.GET.getlist(k) for k in request.GET if k != "export"}
            job = jobs.start_built_export(by=user, target="pivot", params=params)
            return redirect("web:job", pk=job.pk)
        period = f"{q.start:%Y-%m-%d} – {q.end:%Y-%m-%d}"
        return download(pivot_workbook(str(_("Pivot")), table, period), filename("pivot"))
    query = request.GET.copy()
    query.pop("export", None)
    return render(request, "reports/pivot.html", {
        "form": form, "pivot": table, "q": q, "error": error, "views": saved_views(user, PAGE),
        "query": query.urlencode(), "span": len(table.measures)})


@company_page
def pivot_save(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_page(request.user)
    params = {k: request.POST.getlist(k) for k in request.POST}
    try:
        view = save_view(by=request.user, page=PAGE, name=request.POST.get("name", ""), params=params)
    except DomainError as err:
        messages.error(request, err.render_message())
        return redirect(reverse("web:report_pivot"))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_view_url(view))


@company_page
def pivot_delete(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_page(request.user)
    try:
        delete_view(by=request.user, view_id=pk)
    except DomainError as err:
        messages.error(request, err.render_message())
    return redirect(reverse("web:report_pivot"))


def _view_url(view) -> str:
    qd = QueryDict(mutable=True)
    for k, vs in view.params.items():
        qd.setlist(k, vs)
    return reverse("web:report_pivot") + "?" + qd.urlencode()


# ---------------------------------------------------------------- drill-down


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()][:1000]


@company_page
def drill(request):
    """The documents behind one figure of a report: its cell (`c_<dimension>`), period and filters (`f_…`)."""
    user = request.user
    require_page(user)
    g = request.GET
    family = g.get("family", "")
    form = ReportForm(g, user=user, omit=("by", "grain", "order", "top", "warehouse"))
    form.is_valid()
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    error, docs, cell_text = None, [], []
    try:
        if family not in FAMILIES or start is None or end is None:
            raise DomainError("reports.drill_bad", _("This link does not name a report cell."), http_status=422)
        cell = {}
        for key in g:
            if key.startswith("c_") and key[2:] in DIMENSIONS:
                name, value = key[2:], g[key]
                if DIMENSIONS[name].grain:
                    cell[name] = dt.date.fromisoformat(value)
                elif value.lstrip("-").isdigit():
                    cell[name] = int(value)
        filters = {k[2:]: _ids(g.getlist(k)) for k in g if k.startswith("f_") and k[2:] in DIMENSIONS}
        q = Query(measures=[], start=start, end=end, filters=filters,
                  warehouse_ids=warehouse_scope(user, {family}), show_cost=shows_cost(user))
        docs = drilling.drill(user.company, q, family, cell)
        statuses = dict(Status.choices)
        for d in docs:
            d["status_label"] = statuses.get(d["status"], d["status"])
        labels = labels_for(user.company, list(cell), [Row(keys=tuple(cell.values()), values={})])
        cell_text = [f"{label_of(n)}: {labels[i].get(v, v)}" for i, (n, v) in enumerate(cell.items())]
    except (DomainError, ValueError) as err:
        error = err.render_message() if isinstance(err, DomainError) else _("This link does not name a report cell.")
    return render(request, "reports/drill.html", {"docs": docs, "error": error, "cell": cell_text,
                                                  "start": start, "end": end, "show_amount": shows_cost(user)
                                                  or family in ("sales", "tickets", "partner")})

