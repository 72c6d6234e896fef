"""The weekly and monthly business report (经营周报 / 月报) of one period, for one reader.

Every figure comes from the reports layer for the period — a KPI of the registry (`kpi_run.compute`) or a
measure of the semantic layer (`query.run`) — and the same for the previous period, never a second formula.
Counts' accuracy, alerts and approval cycle times come from their own selectors (counts.selectors,
alerts.selectors, reports.cycle_times). The reader's warehouse scope and cost permission apply throughout: a
cost figure is masked for a reader without `stock.cost`, partner balances need a reader of every warehouse.

`build(user, period)` returns a `PeriodReport`: sections of figures with their previous value and change, one
chart per section, the top movers by category and warehouse, and a summary of what changed most (zh and en,
period_summary.py). The page, the PDF, the workbook and the subscriptions all render that one object.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from openjxc.alerts.selectors import visible_alerts
from openjxc.core import permissions
from openjxc.counts.models import Count
from openjxc.counts.selectors import CLOSED, accuracy_trend
from openjxc.reports import cycle_times as ct
from openjxc.reports.access import may_read, may_read_balances, shows_cost, warehouse_scope
from openjxc.reports.kpi_run import compute
from openjxc.reports.period_summary import MoverTable, movers, summarize
from openjxc.reports.periods import KINDS, Period
from openjxc.reports.query import Query, run
from openjxc.reports.semantic import KPIS, MEASURES, formula

ONE = Decimal("0.1")


@dataclass(frozen=True)
class FigureDef:
    key: str
    label: object  # lazy: rendered in each reader's language
    unit: str
    source: str  # "kpi:<name>", "measure:<name>" or "own" (computed by the section's reader)
    cost: bool = False
    measure: str = ""  # the semantic measure whose change is split by category and warehouse (summary)


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    value: Decimal | int | None
    previous: Decimal | int | None
    formula: str = ""
    masked: bool = False
    measure: str = ""
    lazy_label: object = None

    @property
    def change(self) -> Decimal | None:
        """This period less the previous (percentage points for a percentage)."""
        if self.masked or self.value is None or self.previous is None:
            return None
        return Decimal(self.value) - Decimal(self.previous)

    @property
    def change_pct(self) -> Decimal | None:
        """The change relative to the previous period, in percent (not for percentages: their change is in pt)."""
        change = self.change
        if change is None or self.unit == "percent" or not self.previous:
            return None
        return (change / abs(Decimal(self.previous)) * 100).quantize(ONE)


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure]
    chart: dict | None = None
    note: str = ""


@dataclass
class PeriodReport:
    company: str
    period: Period
    previous: Period
    title: str
    sections: list[Section]
    movers: list[MoverTable] = field(default_factory=list)
    summary: dict[str, list[str]] = field(default_factory=dict)  # language ("zh", "en") -> lines
    masked: bool = False  # costs are masked for this reader

    def figure(self, key: str) -> Figure:
        return next(f for s in self.sections for f in s.figures if f.key == key)

    def summary_in(self, language: str | None) -> list[str]:
        return self.summary["zh" if (language or "").lower().startswith("zh") else "en"]


@dataclass
class Reader:
    """Who reads the report: their company, scope and permissions, fixed once."""

    user: object
    company: object
    scope: frozenset[int] | None
    show_cost: bool
    balances: bool
    approvals: bool

    def q(self, period: Period, **more) -> Query:
        return Query(measures=more.pop("measures", []), start=period.start, end=period.end,
                     warehouse_ids=self.scope, show_cost=self.show_cost, **more)


def reader_of(user) -> Reader:
    if not may_read(user):
        raise DjangoPermissionDenied
    return Reader(user, user.company, warehouse_scope(user), shows_cost(user), may_read_balances(user),
                  permissions.allowed(user, "reports.view"))


# ---------------------------------------------------------------- the figures of one period


def _kpi_total(r: Reader, name: str, period: Period):
    return compute(r.company, name, r.q(period)).total


def _measure_total(r: Reader, name: str, period: Period):
    res = run(r.company, r.q(period, measures=[name]))
    total = next((row for row in res.rows if all(k is None for k in row.keys)), None)
    return Decimal(0) if total is None else total.values.get(name)


def _receivables(r: Reader, period: Period) -> dict:
    total = _kpi_total(r, "receivables", period)
    return {"receivables": total.value, "overdue": total.parts.get("overdue")}


def _bounds(r: Reader, period: Period) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(r.company.time_zone)
    start = dt.datetime.combine(period.start, dt.time(), zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _counts(r: Reader, period: Period) -> dict:
    """Counts finished in the period and their accuracy (counts.selectors, per warehouse of the scope added up)."""
    start, end = _bounds(r, period)
    counts = Count.objects.filter(company_id=r.company.pk, status__in=CLOSED, finished_at__gte=start,
                                  finished_at__lt=end)
    warehouses: list[int | None] = [None]
    if r.scope is not None:
        counts = counts.filter(warehouse_id__in=r.scope)
        warehouses = sorted(r.scope)
    lines = within = 0
    book = diff = Decimal(0)
    for wh in warehouses:
        for bucket in accuracy_trend(r.company.pk, period=period.kind, since=period.start, until=period.end,
                                     warehouse_id=wh, tz=r.company.time_zone):
            lines += bucket["lines"]
            within += bucket["within"]
            book += bucket["book_value"]
            diff += bucket["difference_value"]
    line_acc = (Decimal(within) / lines * 100).quantize(Decimal("0.01")) if lines else None
    if not lines:
        value_acc = None
    elif book:
        value_acc = (max(Decimal(0), 1 - diff / book) * 100).quantize(Decimal("0.01"))
    else:
        value_acc = Decimal(100) if not diff else Decimal(0)
    return {"counts_held": counts.count(), "line_accuracy": line_acc, "value_accuracy": value_acc}


def _alerts(r: Reader, period: Period) -> dict:
    start, end = _bounds(r, period)
    qs = visible_alerts(r.user)
    return {"alerts_raised": qs.filter(raised_at__gte=start, raised_at__lt=end).count(),
            "alerts_closed": qs.filter(closed_at__gte=start, closed_at__lt=end).count()}


def _approvals(r: Reader, period: Period) -> dict:
    res = ct.cycle_times(r.company, ct.Filters(start=period.start, end=period.end, warehouse_ids=r.scope))
    total = res.total_to_post
    hours = None if total.avg is None else (Decimal(str(total.avg)) / 3600).quantize(ONE)
    return {"documents_posted": total.count, "hours_to_post": hours, "step_breaches": res.total_breaches}


@dataclass(frozen=True)
class SectionDef:
    key: str
    title: object
    figures: tuple[FigureDef, ...]
    own: Callable | None = None  # reads the "own" figures: (reader, period) -> {key: value}
    needs: str = ""  # "balances" or "approvals": left out for a reader without it
    chart: str = ""  # the measure drawn day by day, this period against the previous


SECTIONS = (
    SectionDef("sales", _("Sales and tickets"), (
        FigureDef("revenue", _("Revenue (excl. VAT)"), "money", "measure:revenue", measure="revenue"),
        FigureDef("tickets", _("Tickets"), "count", "kpi:tickets"),
        FigureDef("average_ticket", _("Average ticket"), "money", "kpi:average_ticket"),
        FigureDef("returns_rate", _("Returns rate"), "percent", "kpi:returns_rate", measure="returns_rate"),
    ), chart="revenue"),
    SectionDef("margin", _("Gross profit and margin"), (
        FigureDef("gross_profit", _("Gross profit"), "money", "kpi:gross_profit", cost=True, measure="gross_profit"),
        FigureDef("gross_margin", _("Gross margin (毛利率)"), "percent", "kpi:gross_margin", cost=True,
                  measure="margin"),
    ), chart="gross_profit"),
    SectionDef("stock", _("Stock and turnover"), (
        FigureDef("stock_value", _("Stock value at the end"), "money", "measure:stock_value", cost=True,
                  measure="stock_value"),
        FigureDef("turnover_days", _("Days of stock (周转天数)"), "days", "kpi:turnover_days", cost=True),
    ), chart="stock_value"),
    SectionDef("receivables", _("Receivables"), (
        FigureDef("receivables", _("Receivables at the end"), "money", "own"),
        FigureDef("overdue", _("Overdue"), "money", "own"),
    ), own=_receivables, needs="balances"),
    SectionDef("purchasing", _("Purchasing"), (
        FigureDef("purchase_amount", _("Purchases (excl. VAT)"), "money", "measure:purchase_amount", cost=True,
                  measure="purchase_amount"),
        FigureDef("on_time_rate", _("Purchase on-time rate"), "percent", "kpi:on_time_rate"),
    ), chart="purchase_amount"),
    SectionDef("counts", _("Stock counts"), (
        FigureDef("counts_held", _("Counts finished"), "count", "own"),
        FigureDef("line_accuracy", _("Count accuracy (lines within ±2%)"), "percent", "own"),
        FigureDef("value_accuracy", _("Count accuracy by value"), "percent", "own"),
    ), own=_counts),
    SectionDef("alerts", _("Alerts"), (
        FigureDef("alerts_raised", _("Alerts raised"), "count", "own"),
        FigureDef("alerts_closed", _("Alerts closed"), "count", "own"),
    ), own=_alerts),
    SectionDef("approvals", _("Approval cycle times"), (
        FigureDef("documents_posted", _("Documents posted"), "count", "own"),
        FigureDef("hours_to_post", _("Average hours from creation to posting"), "hours", "own"),
        FigureDef("step_breaches", _("Approval steps over their time limit"), "count", "own"),
    ), own=_approvals, needs="approvals"),
)
FORMULAS = {
    "counts_held": (_("counts finished (review, documented or posted) in the period")),
    "line_accuracy": (_("count lines whose difference is within ±2% ÷ lines counted")),
    "value_accuracy": (_("1 − |difference| value ÷ book value of the lines counted")),
    "alerts_raised": (_("alerts raised in the period (that you may see)")),
    "alerts_closed": (_("alerts closed in the period (that you may see)")),
    "documents_posted": (_("documents posted in the period (the cycle-time report)")),
    "hours_to_post": (_("mean time from creation to posting (the cycle-time report)")),
    "step_breaches": (_("approval steps that ran over their time limit, or are still waiting past it")),
    "overdue": (_("open receivables past their due date at the end of the period")),
}


def _formula(fd: FigureDef) -> str:
    kind, _sep, name = fd.source.partition(":")
    if kind == "kpi":
        return formula(KPIS[name], get_language())
    if kind == "measure":
        return formula(MEASURES[name], get_language())
    if fd.key == "receivables":
        return formula(KPIS["receivables"], get_language())
    return str(FORMULAS.get(fd.key, ""))


def _values(r: Reader, sd: SectionDef, period: Period) -> dict:
    out = sd.own(r, period) if sd.own else {}
    for fd in sd.figures:
        if fd.cost and not r.show_cost:
            out[fd.key] = None
            continue
        kind, _sep, name = fd.source.partition(":")
        if kind == "kpi":
            out[fd.key] = _kpi_total(r, name, period).value
        elif kind == "measure":
            out[fd.key] = _measure_total(r, name, period)
    return out


def daily_chart(r: Reader, measure: str, period: Period, previous: Period, title) -> dict | None:
    """`measure` day by day (a balance: at each day's end), this period against the previous, by day number."""
    if MEASURES[measure].cost and not r.show_cost:
        return None
    series = []
    for p, name in ((period, _("This period")), (previous, _("Previous period"))):
        res = run(r.company, r.q(p, measures=[measure], dimensions=["day"]))
        by_day = {row.keys[0]: row.values.get(measure) for row in res.rows if row.keys and row.keys[0] is not None}
        values, last = [], None
        for n in range(period.days):
            day = p.start + dt.timedelta(days=n)
            if day > p.end:
                values.append(None)
                continue
            if MEASURES[measure].kind == "last":  # a day without a change keeps the balance before it
                last = by_day.get(day, last)
                values.append(last)
            else:
                values.append(by_day.get(day) or Decimal(0))
        series.append({"name": str(name), "data": [None if v is None else float(v) for v in values]})
    categories = [(period.start + dt.timedelta(days=n)).strftime("%m-%d") for n in range(period.days)]
    return {"kind": "line", "title": str(title), "categories": categories, "series": series,
            "unit": MEASURES[measure].unit}


def compare_chart(section: Section) -> dict | None:
    """The section's figures, this period against the previous, as bars (counts, alerts, approvals)."""
    shown = [f for f in section.figures if not f.masked and f.unit == "count"]
    if not shown:
        return None
    return {"kind": "bar", "title": section.title, "categories": [f.label for f in shown],
            "series": [{"name": str(_("This period")), "data": [float(f.value or 0) for f in shown]},
                       {"name": str(_("Previous period")), "data": [float(f.previous or 0) for f in shown]}],
            "unit": "count"}


def build(user, period: Period) -> PeriodReport:
    """The report of `period` (and its comparison with the previous one) as `user` may read it."""
    r = reader_of(user)
    previous = period.previous()
    sections = []
    for sd in SECTIONS:
        if (sd.needs == "balances" and not r.balances) or (sd.needs == "approvals" and not r.approvals):
            continue
        now, before = _values(r, sd, period), _values(r, sd, previous)
        figures = [Figure(fd.key, str(fd.label), fd.unit, now.get(fd.key), before.get(fd.key), _formula(fd),
                          masked=fd.cost and not r.show_cost, measure=fd.measure, lazy_label=fd.label)
                   for fd in sd.figures]
        section = Section(sd.key, str(sd.title), figures)
        section.chart = (daily_chart(r, sd.chart, period, previous, sd.title) if sd.chart
                         else compare_chart(section))
        sections.append(section)
    report = PeriodReport(company=r.company.name, period=period, previous=previous,
                          title=f"{KINDS[period.kind]} · {period.label()}", sections=sections,
                          masked=not r.show_cost)
    report.movers = movers(r, period, previous)
    report.summary = summarize(r, report)
    return report
