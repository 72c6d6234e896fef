"""Moves per day and location (MoveCountDay): kept by the facts consumer, read by the home page's chart.

Each row is a count, not a delta: `recount(company_id, days)` replaces the rows of those days by one grouped pass
over their moves (the (company, business_on) index of stock 0004), so recounting a day twice is harmless and a
rebuild needs no snapshot shared with the feed cursor. The consumer recounts every day a batch's moves fall on.

`moves_per_day` is what the home page reads: the counts of the days the consumer has reached, and for days with
stock events after its cursor (it has not read them yet) the moves themselves — a lagging consumer never shows
a wrong count. Without a cursor (facts never built) every day is counted from the moves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection

from openjxc.reports.facts.stock import as_date, move_ranges
from openjxc.reports.models import FactCursor
from openjxc.stock.models import STOCKED_KINDS
from openjxc.sync.feed import BadCursor, decode_cursor

STOCK_TOPICS = ("stock.changed", "stock.recosted")
MAX_PENDING = 200  # stock events after the cursor beyond which the page counts all its days from the moves

_GROUPED = (
    "SELECT %s, day, loc, SUM(i), SUM(o) FROM ("
    " SELECT business_on AS day, to_location_id AS loc, 1 AS i, 0 AS o FROM stock_stockmove"
    " WHERE company_id = %s{where}"
    " UNION ALL"
    " SELECT business_on, from_location_id, 0, 1 FROM stock_stockmove WHERE company_id = %s{where}"
    ") x GROUP BY day, loc"
)
_INSERT = "INSERT INTO reports_movecountday (company_id, day, location_id, moves_in, moves_out) "


def _in(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def rebuild_move_counts(company_id: int) -> int:
    """Replace all of the company's MoveCountDay rows by counting its moves (set-based); the rows written."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM reports_movecountday WHERE company_id = %s", [company_id])
        cur.execute(_INSERT + _GROUPED.format(where=""), [company_id, company_id, company_id])
        return max(cur.rowcount, 0)


def recount(company_id: int, days: Iterable) -> int:
    """Replace the company's rows of `days` by counting those days' moves; the rows written."""
    todo = sorted({as_date(d) for d in days})
    written = 0
    for start in range(0, len(todo), 100):
        part = todo[start:start + 100]
        where = f" AND business_on IN ({_in(part)})"
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM reports_movecountday WHERE company_id = %s AND day IN ({_in(part)})",
                        [company_id, *part])
            cur.execute(_INSERT + _GROUPED.format(where=where), [company_id, company_id, *part, company_id, *part])
            written += max(cur.rowcount, 0)
    return written


def _visible(scope) -> tuple[str, list]:
    """SQL selecting the ids of the stocked locations in `scope` (warehouse ids; None = all), and its params."""
    kinds = sorted(STOCKED_KINDS)
    sql = f"SELECT id FROM stock_location WHERE company_id = %s AND kind IN ({_in(kinds)})"
    params: list = [*kinds]
    if scope is not None:
        ids = sorted(scope) or [0]
        sql += f" AND warehouse_id IN ({_in(ids)})"
        params += ids
    return sql, params


def pending_days(company_id: int, cursor: str, first: dt.date, last: dt.date) -> set | None:
    """The days in [first, last] of the moves that stock events after `cursor` wrote; None: too many to list."""
    try:
        after = decode_cursor(cursor, company_id=company_id)
    except BadCursor:
        return None
    topics = list(STOCK_TOPICS)
    with connection.cursor() as cur:
        cur.execute(f"SELECT topic, payload FROM core_event WHERE company_id = %s AND (txid > %s OR (txid = %s AND id > %s))"
                    f" AND topic IN ({_in(topics)}) ORDER BY txid, id LIMIT {MAX_PENDING + 1}",
                    [company_id, after[0], after[0], after[1], *topics])
        rows = cur.fetchall()
    if len(rows) > MAX_PENDING:
        return None
    ranges: list[tuple[int, int]] = []
    for topic, payload in rows:
        ranges += move_ranges(topic, json.loads(payload) if isinstance(payload, str) else payload)  # SQLite: text
    if not ranges:
        return set()
    if len(ranges) > MAX_PENDING:
        return None
    where = " OR ".join(["id BETWEEN %s AND %s"] * len(ranges))
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT business_on FROM stock_stockmove WHERE company_id = %s AND business_on >= %s"
                    f" AND business_on <= %s AND ({where})",
                    [company_id, first, last, *(x for r in ranges for x in r)])
        return {as_date(row[0]) for row in cur.fetchall()}


def _count_moves(company_id: int, scope, first: dt.date, last: dt.date, days: set | None,
                 ins: dict, outs: dict) -> None:
    """Count the moves into and out of the visible stocked locations on `days` (None: every day in range)."""
    with connection.cursor() as cur:
        sql, params = _visible(scope)
        params = [company_id, *params]
        cur.execute(sql, params)
        stocked = [row[0] for row in cur.fetchall()]
        if not stocked:
            return
        where, wparams = "", []
        if days is not None:
            todo = sorted(days)
            where, wparams = f" AND business_on IN ({_in(todo)})", todo
        # counted on the location columns (never NULL): the index covers them on PostgreSQL, not the id
        ids = _in(stocked)
        cur.execute(f"SELECT business_on, COUNT(CASE WHEN to_location_id IN ({ids}) THEN 1 END),"
                    f" COUNT(CASE WHEN from_location_id IN ({ids}) THEN 1 END) FROM stock_stockmove"
                    f" WHERE company_id = %s AND business_on >= %s AND business_on <= %s{where} GROUP BY business_on",
                    [*stocked, *stocked, company_id, first, last, *wparams])
        for day, n_in, n_out in cur.fetchall():
            ins[as_date(day)] = n_in
            outs[as_date(day)] = n_out


def moves_per_day(company_id: int, scope, first: dt.date, last: dt.date) -> tuple[dict, dict]:
    """({day: moves into}, {day: moves out of}) the stocked locations of warehouses `scope` (None = all) on the
    days first..last; days without moves are left out."""
    ins: dict = {}
    outs: dict = {}
    # a cursor row is written with the counts (rebuild, migration reports 0006): without one nothing was counted
    cursor = FactCursor.objects.filter(company_id=company_id).values_list("cursor", flat=True).first()
    if cursor is None:
        _count_moves(company_id, scope, first, last, None, ins, outs)
        return ins, outs
    pending = pending_days(company_id, cursor, first, last)
    if pending is None:
        _count_moves(company_id, scope, first, last, None, ins, outs)
        return ins, outs
    sql, params = _visible(scope)
    with connection.cursor() as cur:
        cur.execute(f"SELECT day, SUM(moves_in), SUM(moves_out) FROM reports_movecountday WHERE company_id = %s"
                    f" AND day >= %s AND day <= %s AND location_id IN ({sql}) GROUP BY day",
                    [company_id, first, last, company_id, *params])
        rows = cur.fetchall()
    if not rows:  # nothing counted in 30 days: counts never written (or truly no moves — then counting is cheap)
        _count_moves(company_id, scope, first, last, None, ins, outs)
        return ins, outs
    for day, n_in, n_out in rows:
        day = as_date(day)
        if day not in pending:
            ins[day] = int(n_in or 0)
            outs[day] = int(n_out or 0)
    if pending:
        _count_moves(company_id, scope, first, last, pending, ins, outs)
    return ins, outs
