"""The boss's cockpit (高管驾驶舱): a few tiles read in ten seconds, each a KPI of the registry with a small chart.

Every figure is what `kpi_run.compute` or the query layer (`query.run`, the same facts and semantic measures)
returns for the tile's period — never a second formula. The periods are fixed by the company's today:
"today" (vs. the same weekday a week before), "month to date" and "now" (balances at the end of today).

A tile is one entry in TILES: its key, its title, the KPIs it reads and the function building it. The
company chooses and orders 5–8 of them (cockpit_settings.py); `tiles_for(user)` builds the ones the user may
read, limited to their warehouses, costs masked without `stock.cost`.

The slow stock-health KPIs (SLOW_KPIS) are computed by the worker (cockpit_snapshots.py) and read here in one
statement; the page computes them itself only for a scope the worker does not keep. A render writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from openjxc.alerts.rule_models import OPEN_STATUSES, AlertKind
from openjxc.alerts.selectors import visible_alerts
from openjxc.core import clock
from openjxc.reports.access import may_read_balances, shows_cost, warehouse_scope
from openjxc.reports.cockpit_snapshots import kept_for, snapshot_key
from openjxc.reports.facts.months import first_of, last_of
from openjxc.reports.kpi_run import compute
from openjxc.reports.kpis import KpiResult
from openjxc.reports.labels import labels_for
from openjxc.reports.models import MONEY_SCALE
from openjxc.reports.query import Query, Row, aggregate, norm, run
from openjxc.reports.querysql import stock_as_of
from openjxc.reports.semantic import KPIS, MEASURES, formula
from openjxc.reports.stockcalc import closed_through
from openjxc.reports.stockcalc import flows as stock_flows
from openjxc.reports.stockcalc import sales as sales_sums

TOP_N = 10
SPARK_DAYS = 14
# the stock-health KPIs (周转天数, 动销率, 呆滞率) scan every item's stock: seconds on a large company, so the
# worker computes them at most this often (cockpit_snapshots.py); the sales, margin, stock value, receivables and
# alerts are always current
SLOW_TTL = 600
SLOW_KPIS = frozenset({"turnover_days", "sell_through_breadth", "obsolete_rate", "turnover", "slow_moving", "ageing"})


@dataclass
class Figure:
    """A secondary figure of a tile (e.g. the overdue part of the receivables)."""

    key: str
    label: str
    value: Decimal | int | None
    unit: str
    masked: bool = False


@dataclass
class Tile:
    key: str
    title: str
    value: Decimal | int | None
    unit: str
    formula: str
    link: str
    masked: bool = False
    figures: list[Figure] = field(default_factory=list)
    chart: dict | None = None
    lists: list[tuple[str, list[tuple[str, Decimal | None]]]] = field(default_factory=list)
    delta: Decimal | None = None  # change in percent against the comparison, when the tile has one
    note: str = ""


@dataclass
class Periods:
    today: dt.date
    month_start: dt.date
    kept: dict[str, KpiResult] = field(default_factory=dict)  # the worker's slow figures (cockpit_snapshots.py)

    def q(self, start: dt.date, end: dt.date, base: Query) -> Query:
        return Query(measures=[], start=start, end=end, warehouse_ids=base.warehouse_ids, show_cost=base.show_cost)


@dataclass(frozen=True)
class TileDef:
    key: str
    label: object
    kpis: tuple[str, ...]
    build: Callable
    needs_balances: bool = False


def _f(name: str) -> str:
    entry = KPIS.get(name) or MEASURES[name]
    return formula(entry, get_language())


def _slow() -> str:
    return " (" + _("updated every %(n)s minutes") % {"n": SLOW_TTL // 60} + ")"


def _link(name: str, start: dt.date, end: dt.date, **more) -> str:
    return reverse(name) + "?" + urlencode({"start": start.isoformat(), "end": end.isoformat(), **more})


def _spark(kind: str, categories, values, unit: str, **more) -> dict:
    return {"kind": kind, "categories": [str(c) for c in categories],
            "values": [None if v is None else float(v) for v in values], "unit": unit, **more}


def _daily(company, base: Query, measure: str, start: dt.date, end: dt.date) -> dict[dt.date, Decimal | None]:
    """A measure per day (the facts, through the query layer), keyed by date."""
    res = run(company, Query(measures=[measure], dimensions=["day"], start=start, end=end,
                             warehouse_ids=base.warehouse_ids, show_cost=base.show_cost))
    out: dict[dt.date, Decimal | None] = {}
    for r in res.rows:
        key = r.keys[0]
        day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key)[:10])
        out[day] = r.values.get(measure)
    return out


def kpi(company, name: str, q: Query, *, by: str | None = None, kept: dict | None = None):
    """`kpi_run.compute`; for the SLOW_KPIS the worker's snapshot in `kept` when there is one, else computed here
    and kept SLOW_TTL seconds in this process (per company, period, scope, cost and breakdown; the company's
    creation time in the key, so a new company never reads another's)."""
    if name not in SLOW_KPIS:
        return compute(company, name, q, by=by)
    snap = (kept or {}).get(snapshot_key(name, by, q))
    if snap is not None:
        return snap
    scope = "all" if q.warehouse_ids is None else ",".join(str(w) for w in sorted(q.warehouse_ids))
    key = (f"cockpit:{company.pk}:{company.created_at.timestamp()}:{name}:{by}:{q.start}:{q.end}:{scope}:"
           f"{int(q.show_cost)}")
    res = cache.get(key)
    if res is None:  # kept without its detail (`extra`: every item's ageing rows), which no tile reads
        full = compute(company, name, q, by=by)
        res = KpiResult(full.name, full.rows, {})
        cache.set(key, res, SLOW_TTL)
    return res


# ---------------------------------------------------------------- the tiles


def sales_today(company, p: Periods, base: Query) -> Tile:
    """Today's revenue against the same weekday last week; 14 days of revenue as the sparkline."""
    first = p.today - dt.timedelta(days=SPARK_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(SPARK_DAYS)]
    daily = _daily(company, base, "revenue", first, p.today)
    now = daily.get(p.today) or Decimal("0.00")
    week_ago = daily.get(p.today - dt.timedelta(days=7)) or Decimal("0.00")
    delta = ((now - week_ago) / week_ago * 100).quantize(Decimal("0.1")) if week_ago else None
    return Tile("sales_today", _("Sales today"), now, "money", _f("revenue"),
                _link("web:report_sales", p.today, p.today, by="item"),
                figures=[Figure("week_ago", _("Same weekday last week"), week_ago, "money")],
                chart=_spark("line", [d.strftime("%m-%d") for d in days], [daily.get(d) or 0 for d in days],
                             "money"),
                delta=delta)


def gross_margin(company, p: Periods, base: Query) -> Tile:
    """Month-to-date gross profit and 毛利率 (the gross_margin KPI), margin by day as the sparkline."""
    q = p.q(p.month_start, p.today, base)
    masked = not base.show_cost
    tile = Tile("gross_margin", _("Gross margin, month to date"), None, "percent", _f("gross_margin"),
                _link("web:report_margin", p.month_start, p.today), masked=masked)
    if masked:
        tile.figures = [Figure("gross_profit", _("Gross profit"), None, "money", masked=True)]
        return tile
    res = compute(company, "gross_margin", q)
    tile.value = res.total.value
    tile.figures = [Figure("gross_profit", _("Gross profit"), res.total.parts.get("gross_profit"), "money"),
                    Figure("revenue", _("Revenue"), res.total.parts.get("revenue"), "money")]
    daily = _daily(company, base, "margin", p.month_start, p.today)
    days = sorted(daily)
    tile.chart = _spark("line", [d.strftime("%m-%d") for d in days], [daily[d] for d in days], "percent")
    return tile


def _stock_by_day(company, base: Query, days: list[dt.date]) -> list[Decimal | None] | None:
    """Stock value at the end of each of `days` from a month-end checkpoint among them (or the day before them) and
    the days' changes, which the sparkline reads anyway: no day rows before the window are read. None when no
    written checkpoint falls there (the caller reads the balances through the query layer)."""
    closed = closed_through(company)
    edge = last_of(first_of(days[-1]))
    while edge >= days[0] - dt.timedelta(days=1):
        if edge <= days[-1] and closed is not None and first_of(edge) <= closed:
            break
        edge = first_of(edge) - dt.timedelta(days=1)
    else:
        return None
    q = Query(measures=[], warehouse_ids=base.warehouse_ids, show_cost=base.show_cost)
    rows = aggregate(company.pk, "stock", stock_as_of(company.pk, edge, closed), [], ["value_in - value_out"], q,
                     [()])
    at_edge = sum(int(v[0] or 0) for v in rows.values() if v[0] is not None)
    changes = {norm(k[0]): int(v[0] or 0) for k, v in stock_flows(company, q, days[0], days[-1], ["day"],
                                                                   ["value_in - value_out"]).items()}
    if not at_edge and not any(changes.values()):
        return [None] * len(days)  # no stock and no change: no balance (as the query layer answers)
    out: list[Decimal | None] = []
    for d in days:
        if d >= edge:
            v = at_edge + sum(c for x, c in changes.items() if edge < x <= d)
        else:
            v = at_edge - sum(c for x, c in changes.items() if d < x <= edge)
        out.append((Decimal(v) / MONEY_SCALE).quantize(Decimal("0.01")))
    return out


def stock(company, p: Periods, base: Query) -> Tile:
    """Stock value at the end of today and the month-to-date 周转天数 (turnover_days KPI); value by day."""
    masked = not base.show_cost
    tile = Tile("stock", _("Stock value"), None, "money", _f("stock_value") + " · " + _f("turnover_days") + _slow(),
                _link("web:report_inventory", p.month_start, p.today), masked=masked)
    if masked:
        tile.figures = [Figure("turnover_days", _("Days of stock"), None, "days", masked=True)]
        return tile
    first = p.today - dt.timedelta(days=SPARK_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(SPARK_DAYS)]
    values = _stock_by_day(company, base, days)
    if values is None:
        daily = _daily(company, base, "stock_value", first, p.today)
        last = None
        values = []
        for d in days:  # a day without a fact row keeps the balance of the day before
            last = daily.get(d, last)
            values.append(last)
    tile.value = values[-1] if values[-1] is not None else Decimal("0.00")
    turnover = kpi(company, "turnover_days", p.q(p.month_start, p.today, base), kept=p.kept)
    tile.figures = [Figure("turnover_days", _("Days of stock, month to date"), turnover.total.value, "days")]
    tile.chart = _spark("area", [d.strftime("%m-%d") for d in days], values, "money")
    return tile


def receivables(company, p: Periods, base: Query) -> Tile:
    """应收余额 and its overdue part at the end of today (receivables KPI); the ageing buckets as bars."""
    res = compute(company, "receivables", p.q(p.today, p.today, base))
    total = res.total
    buckets = total.parts.get("buckets") or {}
    return Tile("receivables", _("Receivables"), total.value, "money", _f("receivables"),
                _link("web:report_receivables", p.month_start, p.today),
                figures=[Figure("overdue", _("Overdue"), total.parts.get("overdue"), "money")],
                chart=_spark("bar", list(buckets), list(buckets.values()), "money"))


def _ranked_ends(company, sums: dict[int, int]) -> tuple[list, list]:
    """The TOP_N highest and lowest (label, revenue) of {item: revenue in fen}, ties ordered by label: labels are
    read only for the items that can be among them (those tied with the N-th included), never for every item."""
    if not sums:
        return [], []
    values = sorted(sums.values())
    high = values[-min(TOP_N, len(values))]
    low = values[min(TOP_N, len(values)) - 1]
    wanted = {i for i, v in sums.items() if v >= high or v <= low}
    names = labels_for(company, ["item"], [Row(keys=(i,), values={}) for i in wanted])[0]
    money = {i: (Decimal(int(sums[i])) / MONEY_SCALE).quantize(Decimal("0.01")) for i in wanted}
    ranked = sorted(((names.get(i, ""), money[i]) for i in wanted), key=lambda kv: (-kv[1], kv[0]))
    top = [kv for kv in ranked if kv[1] * MONEY_SCALE >= high][:TOP_N]
    bottom = list(reversed([kv for kv in ranked if kv[1] * MONEY_SCALE <= low][-TOP_N:]))
    return top, bottom


def items(company, p: Periods, base: Query) -> Tile:
    """The 10 best and 10 weakest selling items of the month by revenue (items with sales). One grouped sum over
    the facts (the revenue measure's expression) ranked here; labels only for the items shown."""
    q = p.q(p.month_start, p.today, base)
    sums = {k[0]: v[0] for k, v in sales_sums(company, q, q.start, q.end, ["item"],
                                              [MEASURES["revenue"].sql]).items()}
    top, bottom = _ranked_ends(company, sums)
    ranked = sums
    return Tile("items", _("Top and bottom items by sales revenue (excl. VAT), month to date"), len(ranked), "count", _f("revenue"),
                _link("web:report_sales", p.month_start, p.today, by="item"),
                lists=[(_("Top 10"), top), (_("Bottom 10"), bottom)],
                chart=_spark("hbar", [name for name, _v in reversed(top)], [v for _n, v in reversed(top)], "money"))


def on_time(company, p: Periods, base: Query) -> Tile:
    """采购到货准时率 of the lines promised this month so far (on_time_rate KPI), by supplier."""
    res = compute(company, "on_time_rate", p.q(p.month_start, p.today, base), by="supplier")
    per = [r for r in res.rows if r.key is not None]
    return Tile("on_time", _("Purchase on-time rate"), res.total.value, "percent", _f("on_time_rate"),
                _link("web:report_purchasing", p.month_start, p.today),
                figures=[Figure("lines", _("Order lines due"), res.total.parts.get("lines"), "count")],
                chart=_spark("hbar", [r.label for r in per], [r.value for r in per], "percent"))


def active_skus(company, p: Periods, base: Query) -> Tile:
    """动销率 this month (sell_through_breadth KPI, by category) and 呆滞率 now (obsolete_rate KPI)."""
    res = kpi(company, "sell_through_breadth", p.q(p.month_start, p.today, base), by="category", kept=p.kept)
    per = [r for r in res.rows if r.key is not None]
    masked = not base.show_cost
    obsolete = None if masked else kpi(company, "obsolete_rate", p.q(p.month_start, p.today, base),
                                       kept=p.kept).total.value
    return Tile("active_skus", _("Active SKU rate (动销率)"), res.total.value, "percent",
                _f("sell_through_breadth") + " · " + _f("obsolete_rate") + _slow(),
                _link("web:report_sell_through", p.month_start, p.today, by="category"),
                figures=[Figure("obsolete_rate", _("Obsolete stock rate (呆滞率)"), obsolete, "percent", masked)],
                chart=_spark("bar", [r.label for r in per], [r.value for r in per], "percent"))


SEVERITY_LEVELS = (
    ("critical", gettext_lazy("Critical"), (AlertKind.NEGATIVE_STOCK, AlertKind.EXPIRED, AlertKind.CHANNEL_FAILING)),
    ("warning", gettext_lazy("Warning"), (AlertKind.LOW_STOCK, AlertKind.ZERO_COST, AlertKind.TERMINAL,
                                          AlertKind.APPROVAL_OVERDUE, AlertKind.COUNT_VARIANCE, AlertKind.EXPIRING)),
    ("notice", gettext_lazy("Notice"), (AlertKind.OVER_MAX, AlertKind.SLOW_MOVER, AlertKind.DEAD_STOCK)),
)


def alert_counts(user) -> dict[str, int]:
    """Open alerts the user may see, counted by severity level."""
    open_alerts = visible_alerts(user).filter(status__in=OPEN_STATUSES).order_by()
    per_kind = dict(open_alerts.values_list("kind").annotate(n=Count("id")))
    counts = {key: sum(per_kind.get(str(k), 0) for k in kinds) for key, _label, kinds in SEVERITY_LEVELS}
    if per_kind.get(AlertKind.KPI_THRESHOLD):  # a KPI threshold's severity is its rule's (reports/kpi_rules.py)
        for data in open_alerts.filter(kind=AlertKind.KPI_THRESHOLD).values_list("data", flat=True):
            level = (data or {}).get("severity")
            counts[level if level in counts else "warning"] += 1
    return counts


def alerts(company, p: Periods, base: Query, user=None) -> Tile:
    counts = alert_counts(user)
    total = sum(counts.values())
    return Tile("alerts", _("Open alerts"), total, "count", _("open and acknowledged alerts"),
                reverse("web:alerts"),
                figures=[Figure(key, str(label), counts[key], "count") for key, label, _k in SEVERITY_LEVELS],
                chart=_spark("donut", [str(label) for _k, label, _kinds in SEVERITY_LEVELS],
                             [counts[k] for k, _l, _kinds in SEVERITY_LEVELS], "count") if total else None,
                note="" if total else _("No open alerts."))


def generic(name: str) -> Callable:
    """Any other KPI of the registry: its month-to-date total, broken down by store/category when it can be."""

    def build(company, p: Periods, base: Query) -> Tile:
        k = KPIS[name]
        masked = k.cost and not base.show_cost
        tile = Tile(name, str(k.label), None, k.unit, _f(name) + (_slow() if name in SLOW_KPIS else ""),
                    _link("web:report_pivot", p.month_start, p.today), masked=masked)
        if masked:
            return tile
        res = kpi(company, name, p.q(p.month_start, p.today, base), by=_generic_by(name), kept=p.kept)
        tile.value = res.total.value
        per = [r for r in res.rows if r.key is not None and r.value is not None][:8]
        if per:
            tile.chart = _spark("bar", [r.label for r in per], [r.value for r in per], k.unit)
        return tile

    return build


def _generic_by(name: str) -> str | None:
    return next((d for d in ("category", "store", "warehouse", "customer") if d in KPIS[name].by), None)


def slow_figures(key: str, p: Periods, base: Query) -> list[tuple[str, str | None, Query]]:
    """(KPI, breakdown, query) of the slow figures tile `key` reads: what the worker keeps for it."""
    q = p.q(p.month_start, p.today, base)
    if key == "stock":
        return [("turnover_days", None, q)]
    if key == "active_skus":
        return [("sell_through_breadth", "category", q), ("obsolete_rate", None, q)]
    if key in KPIS and key in SLOW_KPIS and key not in _special_kpis():
        return [(key, _generic_by(key), q)]
    return []


def _special_kpis() -> set[str]:
    return {k for t in SPECIAL for k in t.kpis}


SPECIAL = (
    TileDef("sales_today", gettext_lazy("Sales today vs. same weekday last week"), ("growth",), sales_today),
    TileDef("gross_margin", gettext_lazy("Gross margin, month to date"), ("gross_margin", "gross_profit"),
            gross_margin),
    TileDef("stock", gettext_lazy("Stock value and days of stock"), ("turnover_days",), stock),
    TileDef("receivables", gettext_lazy("Receivables and overdue"), ("receivables",), receivables,
            needs_balances=True),
    TileDef("items", gettext_lazy("Top 10 / bottom 10 items"), (), items),
    TileDef("on_time", gettext_lazy("Purchase on-time rate"), ("on_time_rate",), on_time),
    TileDef("active_skus", gettext_lazy("Active SKU rate and obsolete stock rate"),
            ("sell_through_breadth", "obsolete_rate"), active_skus),
    TileDef("alerts", gettext_lazy("Open alerts by severity"), (), alerts),
)
_used = {k for t in SPECIAL for k in t.kpis}
assert not {t.key for t in SPECIAL} & (set(KPIS) - _used), "a tile's key is not another KPI's name"
TILES: dict[str, TileDef] = {t.key: t for t in SPECIAL}
TILES.update({name: TileDef(name, kpi.label, (name,), generic(name), needs_balances=name == "dso")
              for name, kpi in KPIS.items() if name not in _used})
DEFAULT_TILES = [t.key for t in SPECIAL]
MIN_TILES, MAX_TILES = 5, 8


def chosen_tiles(company) -> list[str]:
    """The company's tiles in their order (the default eight when it has not chosen)."""
    conf = (company.settings or {}).get("reports", {}) if isinstance(company.settings, dict) else {}
    chosen = [k for k in conf.get("cockpit_tiles") or () if k in TILES]
    return chosen or list(DEFAULT_TILES)


def periods_for(company) -> Periods:
    today = clock.today(company.time_zone)
    return Periods(today=today, month_start=today.replace(day=1))


def base_query(user) -> Query:
    return Query(measures=[], warehouse_ids=warehouse_scope(user), show_cost=shows_cost(user))


def tiles_for(user, *, keys: list[str] | None = None) -> list[Tile]:
    """The cockpit of `user`: the company's tiles they may read, over their warehouses, costs masked."""
    company = user.company
    p = periods_for(company)
    base = base_query(user)
    balances = may_read_balances(user)
    chosen = keys or chosen_tiles(company)
    p.kept = kept_for(company, [snapshot_key(n, b, q) for key in chosen for n, b, q in slow_figures(key, p, base)])
    out = []
    for key in chosen:
        d = TILES[key]
        if d.needs_balances and not balances:
            continue
        out.append(d.build(company, p, base, user) if key == "alerts" else d.build(company, p, base))
    return out
