"""Stock figures the KPIs need beyond plain sums: balances on a day, the sum of daily closing stock over a period
(for average stock), and ageing by FIFO receipt layers. All read the facts only: month-end checkpoints plus at most
a month of days for a balance, the checkpoints' day-weighted sums for whole months of a period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from openjxc.reports.facts.ageing import MOVING_FLOWS, RECEIVED_FLOWS, flows_sql
from openjxc.reports.facts.months import first_of, last_of, next_month
from openjxc.reports.models import FactCursor, Flow, StockDay
from openjxc.reports.query import Query, aggregate, navigated
from openjxc.reports.querysql import p, period_source, stock_as_of
from openjxc.reports.semantic import DIMENSIONS

RECEIPT_FLOWS = (Flow.PURCHASE, Flow.PRODUCTION, Flow.TRANSFER, Flow.GAIN, Flow.OPENING, Flow.OTHER, Flow.COUNT)
AGE_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, 365), (366, None))


def _fine(dims: list[str]) -> bool:
    """Whether rows must come from the day tables (a day or week bucket among the dimensions)."""
    return any(DIMENSIONS[d].grain in ("day", "week") for d in dims)


def closed_through(company) -> dt.date | None:
    return FactCursor.objects.filter(company=company).values_list("closed_through", flat=True).first()


def _strip(rows: dict) -> dict:
    """aggregate()'s rows without the grouping-set index (there is one set)."""
    return {key[1:]: v for key, v in rows.items()}


def balances(company, q: Query, day: dt.date, dims: list[str]) -> dict[tuple, list[int]]:
    """{dims key: [qty, value]} at the end of `day` (scaled)."""
    src = stock_as_of(company.pk, day, closed_through(company))
    return _strip(aggregate(company.pk, "stock", src, dims, ["qty_in - qty_out", "value_in - value_out"], q,
                            [tuple(range(len(dims)))]))


def flows(company, q: Query, start: dt.date, end: dt.date, dims: list[str], exprs: list[str]) -> dict[tuple, list]:
    """Sums of stock-flow expressions over [start, end] by `dims`."""
    src = period_source("stock", company.pk, start, end, fine=_fine(dims))
    return _strip(aggregate(company.pk, "stock", src, dims, exprs, q, [tuple(range(len(dims)))]))


def sales(company, q: Query, start: dt.date, end: dt.date, dims: list[str], exprs: list[str]) -> dict[tuple, list]:
    src, rollup = navigated(company.pk, "sales", q, dims, exprs, start, end)
    return _strip(aggregate(company.pk, "sales", src, dims, exprs, q, [tuple(range(len(dims)))], rollup=rollup))


def _days_until(day: dt.date) -> str:
    if connection.vendor == "postgresql":
        return f"(DATE '{day.isoformat()}' - f.day + 1)"
    return f"CAST(julianday('{day.isoformat()}') - julianday(f.day) + 1 AS INTEGER)"


def stock_days(company, q: Query, start: dt.date, end: dt.date, dims: list[str]) -> dict[tuple, list[int]]:
    """{dims key: [Σ daily closing qty, Σ daily closing value]} over the days of [start, end]: whole months from the
    checkpoints' day sums, other days as opening × days + each change × the days it counts."""
    closed = closed_through(company)
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(rows):
        for k, v in rows.items():
            acc = out[k]
            acc[0] += int(v[0])
            acc[1] += int(v[1])

    day = start
    while day <= end:
        month = first_of(day)
        if day == month and last_of(month) <= end and closed is not None and month <= closed:
            # a run of closed whole months: one statement sums their checkpoints' day sums
            last = month
            while (next_month(last) <= closed and last_of(next_month(last)) <= end):
                last = next_month(last)
            src = ("(SELECT month AS day, warehouse_id, item_id, 0 AS flow, qty_days AS qty_in, 0 AS qty_out, "
                   "value_days AS value_in, 0 AS value_out FROM reports_stockclose WHERE company_id = %s "
                   "AND month >= %s AND month <= %s) AS f", [company.pk, p(month), p(last)])
            add(_strip(aggregate(company.pk, "stock", src, dims, ["qty_in", "value_in"], q,
                                 [tuple(range(len(dims)))])))
            day = next_month(last)
            continue
        # a run of days up to the next closed whole month (or the end)
        stop = end
        m = next_month(month)
        while m <= end:
            if closed is not None and m <= closed and last_of(m) <= end:
                stop = m - dt.timedelta(days=1)
                break
            m = next_month(m)
        n = (stop - day).days + 1
        for k, (qty, value) in balances(company, q, day - dt.timedelta(days=1), dims).items():
            acc = out[k]
            acc[0] += qty * n
            acc[1] += value * n
        w = _days_until(stop)
        src = period_source("stock", company.pk, day, stop, fine=True)
        add(_strip(aggregate(company.pk, "stock", src, dims, [f"(qty_in - qty_out) * {w}",
                                                              f"(value_in - value_out) * {w}"], q,
                             [tuple(range(len(dims)))])))
        day = stop + dt.timedelta(days=1)
    return dict(out)


@dataclass
class AgeRow:
    key: tuple  # (warehouse, item) or the group's key
    qty: int
    value: int
    buckets_qty: list[int]
    buckets_value: list[int]
    old_qty: int  # older than the obsolete age
    old_value: int
    moved: bool  # an outbound move within the idle days
    obsolete: bool


def _steps(upto: list[int], total: int) -> list[int]:
    """Each bucket's part from cumulative figures (up to each bucket's oldest day, newest bucket first): the
    differences of neighbours, the last bucket the rest of `total`."""
    return [b - a for a, b in zip([0, *upto], [*upto, total], strict=True)]


def _row(key: tuple, qty: int, value: int, upto: list[int], young: int, moved: bool) -> AgeRow:
    """An AgeRow from the quantity covered by the receipts up to each bucket's oldest day but the last's (`upto`,
    cumulative) and the part younger than the obsolete age: values at the average cost. Each bucket's value is the
    difference of the rounded values of the cumulative quantities: they add up to the value, none is below zero and
    an empty bucket is worth nothing (a rounding rest put in the last bucket showed −0.01 in the > 365 days column)."""
    old = qty - young

    def share(x: int) -> int:  # x × value ÷ qty rounded half up, in integers
        return (2 * x * value + qty) // (2 * qty) if qty else 0

    bv = _steps([share(u) for u in upto], value)
    return AgeRow(key, qty, value, _steps(upto, qty), bv, old, share(old), moved, old > 0 and not moved)


def _edges(day: dt.date, obsolete_age: int, quantity: str = "f.qty_in", dated: str = "f.day") -> tuple[list[str], list]:
    """CASE expressions summing `quantity` of the rows `dated` on or after the oldest day of each bucket but the last
    (cumulative: a bucket is the difference of two; one comparison per row and sum), then of the obsolete age, and
    their parameters. The rows must be dated on or before the report day."""
    oldest = [hi for _lo, hi in AGE_BUCKETS if hi is not None] + [obsolete_age]
    return ([f"CASE WHEN {dated} >= %s THEN {quantity} ELSE 0 END"] * len(oldest),
            [p(day - dt.timedelta(days=hi)) for hi in oldest])


def _ageing_now(company, q: Query, day: dt.date, obsolete_age: int, obsolete_idle: int) -> list[AgeRow]:
    """ageing() from StockNow and AgeLayer: they describe `day` when no stock fact is dated after it. One grouped
    statement: each pair's StockNow row (qty > 0) and its dated layers, summed from each bucket's oldest day on."""
    cases, params = _edges(day, obsolete_age)
    src = ("(SELECT NULL AS day, warehouse_id, item_id, qty, value, CASE WHEN last_out >= %s THEN 1 ELSE 0 END "
           "AS moved, 0 AS qty_in FROM reports_stocknow WHERE company_id = %s AND qty > 0 UNION ALL "
           "SELECT day, warehouse_id, item_id, 0, 0, 0, qty FROM reports_agelayer WHERE company_id = %s "
           "AND day IS NOT NULL AND day <= %s) AS f",
           [p(day - dt.timedelta(days=obsolete_idle - 1)), company.pk, company.pk, p(day)])
    rows = aggregate(company.pk, "stock", src, ["warehouse", "item"], ["f.qty", "f.value", "f.moved", *cases],
                     q, [(0, 1)], head_params=params)
    last = len(AGE_BUCKETS) - 1
    result = []
    for key in sorted(rows):
        qty, value, moved, *since = rows[key]
        if qty <= 0:  # (layers exist only for stock > 0)
            continue
        result.append(_row(key[1:], qty, value, since[:last], since[last], moved > 0))
    return result


def _ageing_then(company, q: Query, day: dt.date, obsolete_age: int, obsolete_idle: int) -> list[AgeRow]:
    """ageing() from the day facts: the balances on `day`, the receipts of each day of the last year (or of the
    obsolete age or idle days if longer) and the outbound rows of the idle days."""
    dims = ["warehouse", "item"]
    on_hand = {k: v for k, v in balances(company, q, day, dims).items() if v[0] > 0}
    if not on_hand:
        return []
    horizon = max(365, obsolete_age, obsolete_idle)
    # from the oldest day of the 181–365 bucket (before decision 0023 a receipt exactly 365 days old was left out)
    src = period_source("stock", company.pk, day - dt.timedelta(days=horizon), day, fine=True)
    by_day: dict[tuple, list[tuple[dt.date, int]]] = defaultdict(list)
    for (wh, item, d), (qty,) in _strip(aggregate(
            company.pk, "stock", src, [*dims, "day"],
            [f"CASE WHEN f.flow IN {flows_sql(RECEIVED_FLOWS)} THEN f.qty_in ELSE 0 END"], q, [(0, 1, 2)])).items():
        if (wh, item) in on_hand and qty:
            by_day[(wh, item)].append((d, qty))
    idle_src = period_source("stock", company.pk, day - dt.timedelta(days=obsolete_idle - 1), day, fine=True)
    out_rows = aggregate(company.pk, "stock", idle_src, dims,
                         [f"CASE WHEN f.qty_out > 0 AND f.flow IN {flows_sql(MOVING_FLOWS)} THEN 1 ELSE 0 END"], q,
                         [(0, 1)])
    moved = {key for key, (n,) in _strip(out_rows).items() if n}
    # the oldest day of each bucket but the last, then of the obsolete age
    edges = [day - dt.timedelta(days=hi) for _lo, hi in AGE_BUCKETS if hi is not None]
    edges.append(day - dt.timedelta(days=obsolete_age))
    result = []
    for key, (qty, value) in sorted(on_hand.items()):
        covered = [0] * len(edges)  # the quantity covered by the receipts on or after each edge
        running = top = 0
        for d, received in sorted(by_day.get(key, ()), reverse=True):  # newest first
            running += received
            top = max(top, running)
            for n, edge in enumerate(edges):
                if d >= edge:
                    covered[n] = min(qty, top)
        result.append(_row(key, qty, value, covered[:len(AGE_BUCKETS) - 1], covered[-1], key in moved))
    return result


def layers_describe(company, day: dt.date) -> bool:
    """Whether StockNow and AgeLayer describe `day`: no stock fact is dated after it (decision 0023)."""
    return not StockDay.objects.filter(company=company, day__gt=day).exists()


def ageing(company, q: Query, day: dt.date, *, obsolete_age: int = 180, obsolete_idle: int = 180,
           now: bool | None = None) -> list[AgeRow]:
    """Per (warehouse, item) with stock on `day`: its quantity split by age over FIFO receipt layers (the newest
    receipts are what is left; a receipt undone on a later day is paid by the older receipts: facts/ageing.py),
    the part older than `obsolete_age`, the last outbound move within `obsolete_idle` days, and whether it is
    obsolete (old stock and no outbound move in that time). Value at the average cost.

    From StockNow and AgeLayer when no stock fact is dated after `day` (decision 0023), else from the day facts;
    `now` forces one (tests)."""
    if now is None:
        now = layers_describe(company, day)
    if now:
        return _ageing_now(company, q, day, obsolete_age, obsolete_idle)
    return _ageing_then(company, q, day, obsolete_age, obsolete_idle)


SMALL = 2 ** 30  # below it a pair's quantity and value multiply in BIGINT (_rounded)


def _rounded(part: str) -> str:
    """SQL: `part` (0 ≤ part ≤ the pair's quantity) × the pair's value ÷ its quantity, rounded half up — exactly as
    AgeRow's shares (_row): in BIGINT where no product can overflow (quantity and value below 2^30: 107,000 units,
    ¥10.7 M a pair), else in NUMERIC with div() (exact; floor for a negative value, as Python's //)."""
    small = f"(2 * ({part}) * x.value + x.qty) / (2 * x.qty)"
    num, den = f"(2 * CAST({part} AS NUMERIC) * x.value + x.qty)", "(2 * x.qty)"
    exact = f"CAST(CASE WHEN {num} >= 0 THEN div({num}, {den}) ELSE -div(-{num} + {den} - 1, {den}) END AS BIGINT)"
    return f"CASE WHEN x.qty < {SMALL} AND x.value >= 0 AND x.value < {SMALL} THEN {small} ELSE {exact} END"


def ageing_sums(company, q: Query, day: dt.date, dims: list[str], *, obsolete_age: int = 180,
                obsolete_idle: int = 180, now: bool | None = None) -> tuple[dict[tuple, list[int]], list] | None:
    """What the ageing KPI shows, summed by `dims` in the database instead of per (warehouse, item) in Python: {key:
    [qty, value, the five bucket values, obsolete value]} and the obsolete pairs [(warehouse, item, qty, value, old
    qty, old value)]. The same figures as summing ageing()'s rows (tests/reports/test_ageing_layers.py). None where
    it does not apply: on SQLite (no exact decimal arithmetic in SQL) or for a day before the last stock fact."""
    if connection.vendor != "postgresql":
        return None
    if now is None:
        now = layers_describe(company, day)
    if not now:
        return None
    cases, edges = _edges(day, obsolete_age, quantity="l.qty", dated="l.day")
    since = ", ".join(f"CAST(SUM({c}) AS BIGINT) AS c{n}" for n, c in enumerate(cases))
    last = len(AGE_BUCKETS) - 1  # c0 … c3: from each bucket's oldest day on; c4: within the obsolete age
    # the rounded share of the quantity up to each bucket's oldest day (a bucket's value is the difference of two:
    # _row), summed as such and differenced per group below
    values = ", ".join(_rounded(f"x.c{n}") + f" AS r{n}" for n in range(last))
    # the layers summed per pair first (a hash on two ids), then joined to the pairs' balances
    cols = ", ".join(f"COALESCE(l.c{n}, 0) AS c{n}" for n in range(len(cases)))
    pairs = (f"SELECT n.warehouse_id, n.item_id, n.qty, n.value, CASE WHEN n.last_out >= %s THEN 1 ELSE 0 END "
             f"AS moved, {cols} FROM reports_stocknow n LEFT JOIN (SELECT l.warehouse_id, l.item_id, {since} "
             f"FROM reports_agelayer l WHERE l.company_id = %s AND l.day IS NOT NULL AND l.day <= %s "
             f"GROUP BY l.warehouse_id, l.item_id) l ON l.warehouse_id = n.warehouse_id AND l.item_id = n.item_id "
             f"WHERE n.company_id = %s AND n.qty > 0")
    old = f"x.qty - x.c{last}"
    obsolete = f"({old} > 0 AND x.moved = 0)"

    def source(only_obsolete: bool) -> tuple[str, list]:
        sql = (f"(SELECT NULL AS day, x.warehouse_id, x.item_id, 0 AS flow, x.qty, x.value, {values}, {old} AS old, "
               f"CASE WHEN {obsolete} THEN {_rounded(old)} ELSE 0 END AS obsolete_value FROM ({pairs}) x"
               + (f" WHERE {obsolete}" if only_obsolete else "") + ") AS f")
        return sql, [p(day - dt.timedelta(days=obsolete_idle - 1)), *edges, company.pk, p(day), company.pk]

    shares = [f"f.r{n}" for n in range(last)]
    sums = {}
    for key, (qty, value, *upto, obsolete_value) in _strip(aggregate(
            company.pk, "stock", source(False), dims, ["f.qty", "f.value", *shares, "f.obsolete_value"], q,
            [tuple(range(len(dims)))])).items():
        sums[key] = [qty, value, *_steps(upto, value), obsolete_value]
    found = aggregate(company.pk, "stock", source(True), ["warehouse", "item"],
                      ["f.qty", "f.value", "f.old", "f.obsolete_value"], q, [(0, 1)])
    return sums, [(*key[1:], *v) for key, v in sorted(found.items())]
