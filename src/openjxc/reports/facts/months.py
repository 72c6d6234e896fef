"""Month-end checkpoints (StockClose): written when a month is over, kept right when a later posting is back-dated.

A checkpoint of month M holds, per (warehouse, item, lot), the closing quantity and value at M's last day and
the sums over M's days of the daily closing quantity and value. "Stock on day D" then reads one checkpoint and at
most a month of StockDay rows; "average stock of a period" reads checkpoints for whole months.

`close_months` writes the checkpoints of months not yet closed (one INSERT … SELECT per month, from the previous
checkpoint and the month's days). A change dated in a closed month (a back-dated receipt, a re-costing) adds its
effect to every closed checkpoint from its month on (`checkpoint_deltas`), in the same transaction as the change.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db import connection

from openjxc.reports.models import FactCursor


def as_date(value) -> dt.date | None:
    """A date from what the driver hands back (SQLite: ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_of(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    out, m = [], first_of(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def checkpoint_deltas(stock: dict[tuple, list[int]], closed_through: dt.date) -> dict[tuple, list[int]]:
    """What StockDay deltas ((day, wh, item, lot, flow) -> [qty_in, qty_out, value_in, value_out]) change in the
    checkpoints of closed months: (month, wh, item, lot) -> [qty, value, qty_days, value_days]."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (day, wh, item, lot, _flow), (qi, qo, vi, vo) in stock.items():
        if first_of(day) > closed_through:
            continue
        dq, dv = qi - qo, vi - vo
        if not dq and not dv:
            continue
        for month in months_between(day, closed_through):
            end = last_of(month)
            days = (end - max(day, month)).days + 1
            acc = out[(month, wh, item, lot)]
            acc[0] += dq
            acc[1] += dv
            acc[2] += dq * days
            acc[3] += dv * days
    return out


def _days_to(end_param: str) -> str:
    """SQL: days from StockDay.day to the date parameter, both counted (engine-specific date arithmetic)."""
    if connection.vendor == "postgresql":
        return f"({end_param}::date - day + 1)"
    return f"CAST(julianday({end_param}) - julianday(day) + 1 AS INTEGER)"


def close_month(company_id: int, month: dt.date) -> int:
    """Write the checkpoints of `month` from the previous month's and the month's days; rows written."""
    end = last_of(month)
    days = (end - month).days + 1
    prev = previous_month(month)
    if connection.vendor == "sqlite":
        month_p, end_p, prev_p = month.isoformat(), end.isoformat(), prev.isoformat()
    else:
        month_p, end_p, prev_p = month, end, prev
    sql = f"""
        INSERT INTO reports_stockclose (company_id, month, warehouse_id, item_id, lot_key, qty, value, qty_days,
                                        value_days)
        SELECT %s, %s, warehouse_id, item_id, lot_key, SUM(q), SUM(v), SUM(qd), SUM(vd) FROM (
            SELECT warehouse_id, item_id, lot_key, qty AS q, value AS v, qty * {days} AS qd, value * {days} AS vd
            FROM reports_stockclose WHERE company_id = %s AND month = %s
            UNION ALL
            SELECT warehouse_id, item_id, lot_key, qty_in - qty_out, value_in - value_out,
                   (qty_in - qty_out) * {_days_to('%s')}, (value_in - value_out) * {_days_to('%s')}
            FROM reports_stockday WHERE company_id = %s AND day >= %s AND day <= %s
        ) AS x
        GROUP BY warehouse_id, item_id, lot_key
        HAVING SUM(q) <> 0 OR SUM(v) <> 0 OR SUM(qd) <> 0 OR SUM(vd) <> 0
    """
    with connection.cursor() as cur:
        cur.execute(sql, [company_id, month_p, company_id, prev_p, end_p, end_p, company_id, month_p, end_p])
        return max(cur.rowcount, 0)


def first_fact_month(company_id: int) -> dt.date | None:
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(day) FROM reports_stockday WHERE company_id = %s", [company_id])
        row = cur.fetchone()
    day = row[0] if row else None
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return first_of(day) if day else None


def close_months(state: FactCursor, through: dt.date, progress=None) -> int:
    """Close every month after `state.closed_through` up to `through` (a first day); `state` is saved by the caller."""
    through = first_of(through)
    if state.closed_through is not None and state.closed_through >= through:
        return 0
    start = next_month(state.closed_through) if state.closed_through else first_fact_month(state.company_id)
    written = 0
    if start is not None:
        months = months_between(start, through)
        for n, month in enumerate(months, start=1):
            written += close_month(state.company_id, month)
            if progress:
                progress(n, len(months))
    state.closed_through = through
    return written


def month_sql(column: str) -> str:
    """SQL: the first day of `column`'s month, as a date (PostgreSQL) or ISO text (SQLite)."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"strftime('%%Y-%%m-01', {column})"
