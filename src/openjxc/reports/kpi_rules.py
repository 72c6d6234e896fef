"""KPI thresholds that act (issue 17): an alert rule on any KPI of the registry, judged per value of a dimension
over a period, against a fixed figure or against the previous period or the same period last year, "N periods
running"; its open alerts are work in the 待办 of the rule's responsible role, linking to the report filtered to
the cause.

Reports is above alerts: this module registers the kind's evaluator and its parameter checks into the alerts
registry (alerts/rules/) and its to-do into workflow/todo.py, from ReportsConfig.ready. The alerts engine does the
rest exactly as for its own kinds: one open alert per (rule, subject), cool-down, re-notified when 20 % worse,
closed when cleared.

Parameters (rule.params):
  kpi        a KPI of reports/semantic.py KPIS
  by         the dimension it is judged by (one the KPI supports), "" for the company (or the rule's scope) as one
  period     day | week | month;  which: current (to date) | last (the last complete one)
  compare    absolute: the KPI's value; previous / last_year: its change in % against the previous period of equal
             length (to date) or the same dates a year before
  op         below | above: the figure is in alert when it is below (above) `threshold`
  threshold  a number: 15 (毛利率 below 15 %), -30 (sales change below −30 %: down more than 30 %)
  running    in alert only when the condition held in each of the last N periods (the judged one and N−1 before)
  min_base   change modes: a base smaller than this is not judged (a tiny base makes any change huge)
  role       the responsible role: whose 待办 gets the alert (and, by default, who is notified)
  severity   critical | warning | notice
An alert's measure (larger is worse) is the distance beyond the threshold, so "20 % worse" is 20 % further past it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from openjxc.alerts import rules as alert_rules
from openjxc.alerts.rule_models import AlertKind, AlertStatus
from openjxc.alerts.selectors import visible_alerts
from openjxc.core import clock, permissions
from openjxc.core.errors import ValidationFailed
from openjxc.core.models import Company, Role
from openjxc.reports.kpi_run import compute
from openjxc.reports.kpis import _year_before
from openjxc.reports.query import Query
from openjxc.reports.semantic import DIMENSIONS, KPIS, formula

KIND = AlertKind.KPI_THRESHOLD
DIMS = ("item", "category", "warehouse", "store", "customer", "supplier", "salesperson")
PERIODS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
WHICH = {"current": _("Current (to date)"), "last": _("Last complete")}
COMPARE = {"absolute": _("The KPI's value"), "previous": _("Change vs. the previous period (%)"),
           "last_year": _("Change vs. the same period last year (%)")}
OPS = {"below": _("Below the threshold"), "above": _("Above the threshold")}
SEVERITIES = {"critical": _("Critical"), "warning": _("Warning"), "notice": _("Notice")}
DEFAULTS = {"kpi": "gross_margin", "by": "category", "period": "month", "which": "current", "compare": "absolute",
            "op": "below", "threshold": 15, "running": 1, "min_base": 0, "role": Role.MANAGER.value,
            "severity": "warning"}
LIMIT = Decimal(10) ** 9
FOUR = Decimal("0.0001")

# the report page that shows a KPI, and the breakdowns that page can filter by (f_<dim>=<id>; a warehouse or store
# is the page's own warehouse filter)
PAGES = {
    "web:report_margin": ({"gross_profit", "gross_margin", "markup"},
                          ("item", "category", "customer", "salesperson")),
    "web:report_sales": ({"revenue", "growth", "returns_rate", "average_ticket", "tickets"},
                         ("item", "category", "customer", "salesperson")),
    "web:report_sell_through": ({"sell_through_breadth", "sell_through"}, ("category",)),
    "web:report_purchasing": ({"on_time_rate"}, ("supplier", "item", "category")),
    "web:report_inventory": ({"turnover", "turnover_days", "days_of_supply", "stock_to_sales", "slow_moving",
                              "ageing", "obsolete_rate"}, ("item", "category")),
    "web:report_receivables": ({"receivables", "dso"}, ("customer", "region")),
}
# the tab of the inventory page that shows a KPI (`?view=`)
VIEWS = {"turnover": "turnover", "turnover_days": "turnover", "days_of_supply": "supply", "stock_to_sales": "supply",
         "slow_moving": "ageing", "ageing": "ageing", "obsolete_rate": "ageing"}


# ---------------------------------------------------------------- parameters


def _bad(key: str, reason) -> ValidationFailed:
    return ValidationFailed(field=f"params.{key}", reason=reason)


def _choice(params: dict, key: str, choices) -> str:
    value = str(params.get(key, DEFAULTS[key]) or "")
    if value not in choices:
        raise _bad(key, _("must be one of %(values)s") % {"values": ", ".join(choices) or "-"})
    return value


def _number(params: dict, key: str, low: Decimal, high: Decimal) -> Decimal:
    raw = params.get(key, DEFAULTS[key])
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _bad(key, _("must be a number")) from None
    if not value.is_finite() or not low <= value <= high:
        raise _bad(key, _("must be between %(low)s and %(high)s") % {"low": low, "high": high})
    return value


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


def check_params(company_id: int, params: dict) -> dict:
    """The rule's parameters, checked and completed with the defaults; ValidationFailed naming the bad one."""
    if not isinstance(params, dict):
        raise ValidationFailed(field="params", reason=_("must be an object"))
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValidationFailed(field="params", reason=_("has unknown keys: %(keys)s")
                               % {"keys": ", ".join(sorted(map(str, unknown)))})
    name = _choice(params, "kpi", KPIS)
    kpi = KPIS[name]
    by = str(params.get("by", DEFAULTS["by"]) or "")
    allowed = [d for d in DIMS if d in kpi.by]
    if by and by not in allowed:
        raise _bad("by", _("must be one of %(values)s for %(kpi)s (empty: the whole company)")
                   % {"values": ", ".join(allowed) or "-", "kpi": kpi.label})
    out = {"kpi": name, "by": by, "period": _choice(params, "period", PERIODS),
           "which": _choice(params, "which", WHICH), "compare": _choice(params, "compare", COMPARE),
           "op": _choice(params, "op", OPS), "role": _choice(params, "role", Role.values),
           "severity": _choice(params, "severity", SEVERITIES)}
    out["threshold"] = _plain(_number(params, "threshold", -LIMIT, LIMIT))
    running = _number(params, "running", Decimal(1), Decimal(12))
    if running != running.to_integral():
        raise _bad("running", _("must be a whole number"))
    out["running"] = int(running)
    out["min_base"] = _plain(_number(params, "min_base", Decimal(0), LIMIT))
    if kpi.cost and not _role_sees_cost(out["role"]):
        raise _bad("role", _("may not see costs, and %(kpi)s is made of them") % {"kpi": kpi.label})
    return out


def _role_sees_cost(role: str) -> bool:
    wanted = permissions.ACTIONS["stock.cost"]
    return permissions.ALL in wanted or role in wanted


# ---------------------------------------------------------------- periods


def period_of(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The whole period (day, ISO week Monday–Sunday, month) holding `day`."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def judged_periods(today: dt.date, period: str, which: str, n: int) -> list[tuple[dt.date, dt.date]]:
    """The judged period (to date for `current`, else the last complete one) and the n − 1 whole ones before it."""
    start, end = period_of(today, period)
    if which == "current":
        out = [(start, today)]
    else:
        out = [period_of(start - dt.timedelta(days=1), period)]
    while len(out) < n:
        out.append(period_of(out[-1][0] - dt.timedelta(days=1), period))
    return out


def base_of(span: tuple[dt.date, dt.date], period: str, compare: str) -> tuple[dt.date, dt.date]:
    """What a period is compared with: the previous period over as many days (to date), or the same dates a year
    before."""
    start, end = span
    if compare == "last_year":
        return _year_before(start), _year_before(end)
    prev_start, prev_end = period_of(start - dt.timedelta(days=1), period)
    return prev_start, min(prev_end, prev_start + (end - start))


# ---------------------------------------------------------------- evaluation


def _scope_filters(scope: alert_rules.Scope, kpi) -> dict[str, list]:
    """The rule's scope as report filters, where the KPI can be narrowed that way."""
    filters: dict[str, list] = {}
    for dim, value in (("warehouse", scope.warehouse_id), ("category", scope.category_id), ("item", scope.item_id)):
        if value and dim in kpi.by:
            filters[dim] = [value]
    return filters


def evaluate(scope: alert_rules.Scope, params: dict) -> dict[str, alert_rules.Finding]:
    """The subjects whose KPI is past the threshold now (and in each of the `running` periods before)."""
    company = Company.objects.get(pk=scope.company_id)
    name, by = params["kpi"], params["by"] or None
    kpi = KPIS[name]
    today = scope.today or clock.today(company.time_zone)
    spans = judged_periods(today, params["period"], params["which"], int(params["running"]))
    base = Query(measures=[], filters=_scope_filters(scope, kpi), warehouse_ids=None, show_cost=True)
    computed: dict[tuple, dict] = {}
    labels: dict = {}

    def values(span) -> dict:
        if span not in computed:
            res = compute(company, name, replace(base, start=span[0], end=span[1]), by=by)
            rows = [r for r in res.rows if (r.key is not None) == bool(by)]
            computed[span] = {r.key: r.value for r in rows}
            labels.update({r.key: r.label for r in rows if r.label})
        return computed[span]

    threshold = Decimal(str(params["threshold"]))
    min_base = Decimal(str(params.get("min_base", 0)))
    compare, below = params["compare"], params["op"] == "below"

    def figure(span, key) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        value = values(span).get(key)
        if value is None or compare == "absolute":
            return value, value, None
        was = values(base_of(span, params["period"], compare)).get(key)
        if was is None or was == 0 or abs(was) < min_base:
            return None, value, was
        return ((value - was) / abs(was) * 100).quantize(FOUR), value, was

    found = {}
    for key in list(values(spans[0])):
        judged = [figure(span, key) for span in spans]
        if any(f is None or not (f < threshold if below else f > threshold) for f, _v, _b in judged):
            continue
        fig, value, was = judged[0]
        assert fig is not None
        subject = f"kpi:{by or 'all'}:{key if key is not None else 'all'}"
        found[subject] = _finding(scope, params, subject, key, labels.get(key, ""), fig, value, was, spans[0])
    return found


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(FOUR).normalize(), "f")


def _finding(scope, params, subject, key, label, fig, value, was, span) -> alert_rules.Finding:
    threshold = Decimal(str(params["threshold"]))
    by = params["by"]
    data = {"kpi": params["kpi"], "by": by, "key": key, "label": label, "figure": _text(fig), "value": _text(value),
            "base": _text(was), "threshold": _text(threshold), "compare": params["compare"], "op": params["op"],
            "running": params["running"], "period": params["period"], "start": span[0].isoformat(),
            "end": span[1].isoformat(), "severity": params["severity"], "role": params["role"]}
    data["link"] = report_link(data, scope.warehouse_id)
    gap = (threshold - fig) if params["op"] == "below" else (fig - threshold)
    return alert_rules.Finding(
        subject=subject, measure=gap.quantize(FOUR), data=data, item_id=key if by == "item" else scope.item_id,
        warehouse_id=key if by in ("warehouse", "store") else scope.warehouse_id)


@functools.cache
def _page_of(kpi: str) -> tuple[str, tuple[str, ...]]:
    """The address of the report page showing `kpi` and the breakdowns it filters by (reversed once: an evaluation
    may link 10,000 items)."""
    page, dims = next(((p, d) for p, (names, d) in PAGES.items() if kpi in names), ("web:report_pivot", ()))
    return reverse(page), dims


def report_link(data: dict, warehouse_id: int | None = None) -> str:
    """The report page showing the KPI, filtered to the cause: its period, its dimension value, the rule's
    warehouse."""
    url, dims = _page_of(data["kpi"])
    query: list[tuple[str, object]] = [("start", data["start"]), ("end", data["end"])]
    if data["kpi"] in VIEWS:
        query.insert(0, ("view", VIEWS[data["kpi"]]))
    by, key = data["by"], data["key"]
    if by in ("warehouse", "store") and key is not None:
        warehouse_id = key
    elif by in dims and key is not None:
        query += [("by", by), (f"f_{by}", key)]
    if warehouse_id:
        query.append(("warehouse", warehouse_id))
    return url + "?" + urlencode(query)


# ---------------------------------------------------------------- how its alerts read


def _amount(value: str | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value}%" if unit == "percent" else value


def title(data: dict) -> str:
    kpi = KPIS.get(data.get("kpi", ""))
    label = str(kpi.label) if kpi else data.get("kpi", "")
    unit = kpi.unit if kpi else ""
    subject = data.get("label") or (str(DIMENSIONS[data["by"]].label) + f" {data.get('key')}" if data.get("by")
                                    else _g("the company"))
    facts = {"kpi": label, "subject": subject, "start": data.get("start"), "end": data.get("end"),
             "value": _amount(data.get("value"), unit), "change": _amount(data.get("figure"), "percent"),
             "threshold": _amount(data.get("threshold"), unit if data.get("compare") == "absolute" else "percent")}
    op = data.get("op", "below")
    if data.get("compare") == "absolute":
        text = (_g("%(kpi)s of %(subject)s, %(start)s – %(end)s: %(value)s, below %(threshold)s") if op == "below"
                else _g("%(kpi)s of %(subject)s, %(start)s – %(end)s: %(value)s, above %(threshold)s")) % facts
    elif data.get("compare") == "last_year":
        text = _g("%(kpi)s of %(subject)s, %(start)s – %(end)s: %(value)s, %(change)s against the same period last "
                  "year (threshold %(threshold)s)") % facts
    else:
        text = _g("%(kpi)s of %(subject)s, %(start)s – %(end)s: %(value)s, %(change)s against the previous period "
                  "(threshold %(threshold)s)") % facts
    if int(data.get("running") or 1) > 1:
        text += _g(" — %(n)s periods running") % {"n": data["running"]}
    return text


# ---------------------------------------------------------------- the rules page


def form_fields(company_id: int) -> dict:
    kpis = [(k.name, str(k.label)) for k in KPIS.values()]
    dims = [("", _("The whole company (or the rule's scope)"))] + [(d, DIMENSIONS[d].label) for d in DIMS]
    return {
        "kpi": forms.ChoiceField(label=_("KPI"), choices=kpis),
        "by": forms.ChoiceField(label=_("Judged by"), choices=dims, required=False,
                                help_text=_("Each value (each item, category …) is judged on its own.")),
        "period": forms.ChoiceField(label=_("Period"), choices=list(PERIODS.items())),
        "which": forms.ChoiceField(label=_("Which period"), choices=list(WHICH.items())),
        "compare": forms.ChoiceField(label=_("Judge"), choices=list(COMPARE.items())),
        "op": forms.ChoiceField(label=_("In alert when"), choices=list(OPS.items())),
        "threshold": forms.DecimalField(label=_("Threshold"), min_value=-LIMIT, max_value=LIMIT,
                                        help_text=_("e.g. 15 for a margin below 15 %; −30 for a change of more than "
                                                    "30 % down")),
        "running": forms.IntegerField(label=_("Periods running"), min_value=1, max_value=12),
        "min_base": forms.DecimalField(label=_("Smallest base judged"), min_value=0, max_value=LIMIT,
                                       help_text=_("Changes against a smaller figure are not judged.")),
        "role": forms.ChoiceField(label=_("Responsible role (whose to-do)"), choices=Role.choices),
        "severity": forms.ChoiceField(label=_("Severity"), choices=list(SEVERITIES.items())),
    }


def form_help() -> str:
    lang = get_language()
    rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            ((k.label, formula(k, lang), ", ".join(str(DIMENSIONS[d].label) for d in DIMS
                                                                    if d in k.by) or "—")
                             for k in KPIS.values()))
    return format_html('<details class="kpi-formulas"><summary>{}</summary><table class="table"><thead><tr><th>{}</th>'
                       '<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table></details>',
                       _("The KPIs and their formulas"), _("KPI"), _("Formula"), _("Judged by"), rows)


# ---------------------------------------------------------------- the to-do


def kpi_alerts_for(user):
    """Open KPI alerts of active rules whose responsible role the user holds, in the warehouses they may see."""
    roles = sorted(set(user.roles or []))
    # one statement (the inbox's count): the rule's responsible role read from its JSON parameters in SQL
    return (visible_alerts(user).filter(kind=KIND, status=AlertStatus.OPEN, rule__is_active=True,
                                        rule__params__role__in=roles)
            .order_by("-raised_at", "-id"))


def describe(alert) -> dict:
    severity = SEVERITIES.get(alert.data.get("severity", ""), "")
    return {"title": alert.title, "subtitle": f"{alert.rule.display_name} · {severity}",
            "url": alert.data.get("link") or reverse("web:alert", args=[alert.pk])}


def register() -> None:
    from openjxc.workflow.todo import register_work

    alert_rules.register(KIND, evaluate, alert_rules.KindSpec(
        check=check_params, title=title, form_fields=form_fields, form_help=form_help, defaults=dict(DEFAULTS)))
    register_work("kpi_alerts", _("KPI alerts"), kpi_alerts_for, describe)
