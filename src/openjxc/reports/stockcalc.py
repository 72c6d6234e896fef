"""Stock figures the KPIs need beyond plain sums: balances on a day, the sum of daily closing stock over a period
(for average stock), and ageing by FIFO receipt layers. All read the facts only: month-end checkpoints plus at most
a month of days for a balance, the checkpoints' day-weighted sums for whole months of a period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from openjxc.reports.facts.months import first_of, last_of, next_month
from openjxc.reports.models import FactCursor, Flow
from openjxc.reports.query import Query, aggregate, navigated
from openjxc.reports.querysql import p, period_source, segmented_source, stock_as_of
from openjxc.reports.semantic import DIMENSIONS

# inbound flows that bring goods into a warehouse (ageing layers, "received in the period")
RECEIVED_FLOWS = (Flow.PURCHASE, Flow.PRODUCTION, Flow.TRANSFER, Flow.GAIN, Flow.OPENING, Flow.OTHER, Flow.COUNT,
                  Flow.SALE)
RECEIPT_FLOWS = (Flow.PURCHASE, Flow.PRODUCTION, Flow.TRANSFER, Flow.GAIN, Flow.OPENING, Flow.OTHER, Flow.COUNT)
MOVING_FLOWS = tuple(f for f in Flow if f not in (Flow.INTERNAL, Flow.ADJUSTMENT))
AGE_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, 365), (366, None))


def _fine(dims: list[str]) -> bool:
    """Whether rows must come from the day tables (a day or week bucket among the dimensions)."""
    return any(DIMENSIONS[d].grain in ("day", "week") for d in dims)


def closed_through(company) -> dt.date | None:
    return FactCursor.objects.filter(company=company).values_list("closed_through", flat=True).first()


def _flows(flows) -> str:
    return "(" + ", ".join(str(int(f)) for f in flows) + ")"


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


def ageing(company, q: Query, day: dt.date, *, obsolete_age: int = 180, obsolete_idle: int = 180) -> list[AgeRow]:
    """Per (warehouse, item) with stock on `day`: its quantity split by age over FIFO receipt layers (the newest
    receipts are what is left), the part older than `obsolete_age`, the last outbound move within `obsolete_idle`
    days, and whether it is obsolete (old stock and no outbound move in that time). Value at the average cost."""
    dims = ["warehouse", "item"]
    on_hand = {k: v for k, v in balances(company, q, day, dims).items() if v[0] > 0}
    if not on_hand:
        return []
    horizon = max(365, obsolete_age, obsolete_idle)
    since = day - dt.timedelta(days=horizon)
    cases = []
    edges = [(lo, hi) for lo, hi in AGE_BUCKETS if hi is not None] + [(0, obsolete_age)]
    for _bounds in edges:
        cases.append(f"CASE WHEN f.day >= %s AND f.day <= %s AND f.flow IN {_flows(RECEIVED_FLOWS)} "
                     f"THEN f.qty_in ELSE 0 END")
    params: list = []
    cuts = []
    for lo, hi in edges:
        params += [p(day - dt.timedelta(days=hi)), p(day - dt.timedelta(days=lo))]
        cuts += [day - dt.timedelta(days=hi), day - dt.timedelta(days=lo - 1)]
    # whole months inside one bucket from the monthly roll-up, the days around each bucket's edges from the days
    src_sql, src_params = segmented_source("stock", company.pk, since + dt.timedelta(days=1), day, cuts)
    # the bucket bounds are parameters of the expressions: they go first in the statement (the SELECT list)
    rows = aggregate(company.pk, "stock", (src_sql, src_params), dims, cases, q, [(0, 1)], head_params=params)
    inflow = _strip(rows)
    idle_src = period_source("stock", company.pk, day - dt.timedelta(days=obsolete_idle - 1), day, fine=True)
    moved = set()
    out_rows = aggregate(company.pk, "stock", idle_src, dims,
                         [f"CASE WHEN f.qty_out > 0 AND f.flow IN {_flows(MOVING_FLOWS)} THEN 1 ELSE 0 END"], q,
                         [(0, 1)])
    for key, (n,) in _strip(out_rows).items():
        if n:
            moved.add(key)
    result = []
    for key, (qty, value) in sorted(on_hand.items()):
        ins = inflow.get(key, [0] * len(edges))
        left = qty
        bq = []
        for received in ins[:len(AGE_BUCKETS) - 1]:
            take = min(left, max(int(received), 0))
            bq.append(take)
            left -= take
        bq.append(left)
        young = min(qty, max(int(ins[-1]), 0))
        old = qty - young
        unit = value / qty if qty else 0
        bv = [round(x * unit) for x in bq]
        bv[-1] += value - sum(bv)  # the rounding rest: the buckets add up to the value
        old_value = round(old * unit)
        obsolete = old > 0 and key not in moved
        result.append(AgeRow(key, qty, value, bq, bv, old, old_value, key in moved, obsolete))
    return result
