"""What every report page shares: the filter form, KPI cards carrying their formulas, tables, charts, drill links.

A page reads `query.run` and `kpi_run.compute` only (never the ledgers), turns their results into `Table`s,
`Card`s and chart payloads, renders `reports/analysis.html`, and answers `?export=xlsx` with the same tables
(reports/export.py), so the file and the page cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import ValidationFailed
from openjxc.reports.access import may_read, shows_cost, warehouse_scope
from openjxc.reports.kpi_run import compute
from openjxc.reports.labels import OTHER, labels_for
from openjxc.reports.query import Query, Result, Row
from openjxc.reports.semantic import DIMENSIONS, KPIS, MEASURES, formula, label_of, parts_of
from openjxc.stock.access import visible_warehouses
from openjxc.stock.models import Warehouse, WarehouseKind

GRAINS = (("month", _("Month")), ("week", _("Week")), ("day", _("Day")), ("quarter", _("Quarter")),
          ("year", _("Year")))
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


# ---------------------------------------------------------------- what a page shows


@dataclass
class Col:
    key: str
    label: str
    unit: str = "money"  # money, qty, count, percent, days, times, price, text
    formula: str = ""
    masked: bool = False


@dataclass
class Line:
    label: str
    values: dict
    key: object = None
    drill: str = ""
    total: bool = False


@dataclass
class Table:
    name: str  # the section's id on the page and the sheet's name in the export
    title: str
    head: str  # the first column: what the rows are
    cols: list[Col]
    lines: list[Line] = field(default_factory=list)
    note: str = ""


@dataclass
class Card:
    name: str
    label: str
    value: Decimal | None
    unit: str
    formula: str
    masked: bool = False


def measure_col(name: str, q: Query, label=None) -> Col:
    m = MEASURES[name]
    return Col(name, str(label or m.label), m.unit, formula(m, get_language()), masked=m.cost and not q.show_cost)


def kpi_card(company, name: str, q: Query, *, by=None, params=None, pick=None, label=None, unit=None,
             key=None) -> Card:
    """A KPI of the registry as a card: its value exactly as kpi_run.compute returns it (or `pick(result)`)."""
    k = KPIS[name]
    masked = k.cost and not q.show_cost
    value = None
    if not masked:
        try:
            res = compute(company, name, q, by=by, params=params)
        except ValidationFailed:
            if not set(q.filters) - {"warehouse"}:
                raise
            res = None  # the page is narrowed to what this figure has no breakdown by (the tickets of one item)
        value = None if res is None else pick(res) if pick else res.total.value
    return Card(key or name, str(label or k.label), value, unit or k.unit, formula(k, get_language()), masked)


def measure_card(name: str, result: Result, q: Query) -> Card:
    """A measure's grand total (the row whose keys are all None) as a card."""
    m = MEASURES[name]
    total = next((r for r in result.rows if all(k is None for k in r.keys)), None)
    masked = name in result.masked
    return Card(name, str(m.label), None if total is None else total.values.get(name), m.unit,
                formula(m, get_language()), masked)


def query_table(result: Result, q: Query, *, name: str, title, family: str, order_by: str | None = None,
                descending: bool = True, limit: int | None = None, extra_cols=(), extra=None) -> Table:
    """One row per value of the result's single dimension (or its total), ranked by `order_by`; drill links."""
    dim = result.dimensions[0]
    cols = [measure_col(m, q) for m in result.measures] + list(extra_cols)
    detail = [r for r in result.rows if not r.subtotal]
    total = [r for r in result.rows if r.subtotal]
    if order_by:
        known = [r for r in detail if r.values.get(order_by) is not None]
        unknown = [r for r in detail if r.values.get(order_by) is None]
        known.sort(key=lambda r: r.values[order_by], reverse=descending)
        detail = known + unknown
    if limit:
        detail = detail[:limit]
    lines = []
    for r in detail:
        key = r.keys[0]
        values = dict(r.values)
        if extra:
            values.update(extra.get(key, {}))
        link = drill_url(family, {dim: key}, q) if key != OTHER else ""
        lines.append(Line(r.labels[0], values, key, link))
    for r in total:
        values = dict(r.values)
        if extra:
            values.update(extra.get(None, {}))
        lines.append(Line(str(_("Total")), values, None, drill_url(family, {}, q), total=True))
    return Table(name, str(title), label_of(dim), cols, lines)


def kpi_table(result, *, name: str, title, head, cols: list[Col], values, masked=False) -> Table:
    """A KPI's rows (one per breakdown value, then the total) as a table; `values(row)` the columns' values."""
    lines = [Line(r.label if r.key is not None else str(_("Total")),
                  {c.key: None for c in cols} if masked else values(r), r.key, total=r.key is None)
             for r in result.rows]
    return Table(name, str(title), str(head), cols, lines)


def chart(kind: str, title, categories, series, unit: str = "money", **more) -> dict:
    """An ECharts payload rendered by reports/charts.js: kind bar, hbar, line, barline, stacked, pie, donut."""
    return {"kind": kind, "title": str(title), "categories": [str(c) for c in categories],
            "series": [{**s, "name": str(s["name"]), "data": [_plain(v) for v in s["data"]]} for s in series],
            "unit": unit, **more}


def _plain(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


# ---------------------------------------------------------------- drill-down


def drill_url(family: str, cell: dict, q: Query) -> str:
    """The address of the documents behind a cell: its dimension values, the period and the filters."""
    params = [("family", family), ("start", q.start.isoformat()), ("end", q.end.isoformat())]
    for name, value in cell.items():
        if value is None or value == OTHER:
            continue
        params.append((f"c_{name}", value.isoformat() if isinstance(value, dt.date) else value))
    for name, values in q.filters.items():
        params += [(f"f_{name}", v) for v in values]
    return reverse("web:report_drill") + "?" + urlencode(params)


def family_of_measure(name: str) -> str:
    return MEASURES[parts_of(name)[0]].family


# ---------------------------------------------------------------- the filter form and the query it asks for


def _date(label):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ReportForm(forms.Form):
    """The filters of a report page: period, breakdown, date grain, Top/Bottom N, warehouse."""

    start = _date(_("From"))
    end = _date(_("To"))
    by = forms.ChoiceField(label=_("By"), required=False)
    grain = forms.ChoiceField(label=_("Trend by"), required=False, choices=GRAINS)
    top = forms.IntegerField(label=_("Show"), required=False, min_value=1, max_value=500, initial=20)
    order = forms.ChoiceField(label=_("Ranking"), required=False,
                              choices=(("top", _("Top N")), ("bottom", _("Bottom N"))))
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user, dims=(), omit=(), **kwargs):
        super().__init__(*args, **kwargs)
        if dims:
            self.fields["by"].choices = [(d, label_of(d)) for d in dims]
        else:
            omit = (*omit, "by")
        qs = visible_warehouses(user, Warehouse.objects.filter(is_active=True)).exclude(kind=WarehouseKind.TRANSIT)
        self.fields["warehouse"].choices = [("", _("All warehouses"))] + [(w.pk, w.name) for w in qs.order_by("code")]
        for name in omit:
            self.fields.pop(name, None)

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not (EARLIEST <= day <= LATEST):
                self.add_error(name, _("is out of range"))
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("must not be before the start"))
        return data


@dataclass
class Ask:
    """What the person asked for, checked: the query (period, scope, cost) and the other choices."""

    q: Query
    by: str | None
    grain: str
    top: int
    bottom: bool
    form: ReportForm
    narrowed: list[dict] = field(default_factory=list)  # the f_<dim> filters: {"param", "value", "dim", "label"}


def require_page(user) -> None:
    if not may_read(user):
        raise DjangoPermissionDenied


def ask(request, *, dims=(), default_by=None, omit=(), families=(), default_start=None, narrow=None) -> Ask:
    """The form of a report page, read and checked, and the base query it stands for (measures empty).
    `narrow`: the dimensions an `f_<dim>` in the address may narrow the page to (default: its breakdowns)."""
    user = request.user
    require_page(user)
    form = ReportForm(request.GET or None, user=user, dims=dims, omit=omit)
    form.is_valid()  # a field in error is left out (shown beside it); the others still apply
    data = getattr(form, "cleaned_data", {})
    today = clock.today(user.company.time_zone)
    end = data.get("end") or today
    start = data.get("start") or (default_start(end) if default_start else end.replace(day=1))
    if start > end:
        start = end
    filters = {}
    if data.get("warehouse"):
        filters["warehouse"] = [data["warehouse"]]
    narrowed = _narrowed(request, user.company, dims if narrow is None else narrow, filters)
    q = Query(measures=[], start=start, end=end, filters=filters, warehouse_ids=warehouse_scope(user, families),
              show_cost=shows_cost(user))
    by = data.get("by") or default_by
    if by not in dims:
        by = default_by
    return Ask(q, by, data.get("grain") or "month", data.get("top") or 20, data.get("order") == "bottom", form,
               narrowed)


def _narrowed(request, company, dims, filters: dict) -> list[dict]:
    """`f_<dim>=<id>` in the address (a KPI alert's link, a drill-down) narrows the page to those values of one of
    its breakdowns (a category with its sub-categories); added to `filters`, described for the page."""
    out = []
    for name in dims:
        d = DIMENSIONS[name]
        if d.grain or d.level or name in ("warehouse", "store", "channel"):
            continue
        values = [int(v) for v in request.GET.getlist(f"f_{name}")[:50] if v.isdigit() and len(v) < 12]
        if not values:
            continue
        filters[name] = values
        labels = labels_for(company, [name], [Row(keys=(v,), values={}) for v in values])[0]
        out += [{"param": f"f_{name}", "value": v, "dim": d.label, "label": labels.get(v) or v} for v in values]
    return out


def with_measures(q: Query, measures, dimensions=(), **more) -> Query:
    return replace(q, measures=list(measures), dimensions=list(dimensions), **more)


def dimension_label(name: str) -> str:
    return str(DIMENSIONS[name].label)
