"""Stock as of a date in one SQL statement: the balances at the end of a business day, summed, filtered, ordered and
paged by the database (issue 15; docs/decisions/0025-slow-movers-from-the-facts-and-stock-as-of-in-sql.md).

The rows come from the shortest side of the ledger, as before (decision 0019): the current balances less the moves
dated after the day when fewer days lie after it than since the month-end checkpoint nearest to it; else that
checkpoint ± the moves between it and the day (plus the moves it does not hold yet, stock/checkpoints.py); else,
before the first checkpoint, the ledger summed up to the day. All give the same rows while the balances equal the
ledger (the ledger check's invariant). Each side is a set of signed legs (item, location, lot, quantity, value);
the statement groups them by key, leaves out the keys whose rounded sums are both zero, and orders them by item,
location and lot id — so a page is ORDER BY / LIMIT / OFFSET over the same rows as the whole list, and its count a
window over them (COUNT(*) OVER ()), in the same statement.

The moves of a side are first grouped by (item, to, from, lot) in a CTE and then split into the two legs (into `to`,
out of `from`) of the stocked locations asked for: one pass over the moves' (company, business_on) index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from openjxc.core.quantities import money, qty
from openjxc.stock.checkpoints import nearest_checkpoint

FORWARD, BACKWARD, CHECKPOINT = "forward", "backward", "checkpoint"
ORDER = "item_id, loc, COALESCE(lot, 0)"


@dataclass(frozen=True)
class AsOf:
    """What to read: the company's balances at the end of business day `on`, at the stocked locations `loc_ids`,
    optionally of one item and one lot."""

    company_id: int
    on: dt.date
    loc_ids: tuple[int, ...]
    item_id: int | None = None
    lot_id: int | None = None


def _in(values) -> str:
    return ", ".join(str(int(v)) for v in values)  # ids read from the database: integers, never user text


def _filters(q: AsOf, params: list, alias: str = "") -> str:
    sql = ""
    for column, value in (("item_id", q.item_id), ("lot_id", q.lot_id)):
        if value is not None:
            sql += f" AND {alias}{column} = %s"
            params.append(value)
    return sql


def _span(q: AsOf) -> tuple[dt.date | None, dt.date | None]:
    """The first and last business day of the moves (of the item, when one is asked for)."""
    params: list = [q.company_id]
    where = _filters(AsOf(q.company_id, q.on, q.loc_ids, q.item_id), params)
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN(business_on), MAX(business_on) FROM stock_stockmove WHERE company_id = %s{where}",
                    params)
        first, last = cur.fetchone()
    return _date(first), _date(last)


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


def side_of(q: AsOf) -> tuple[str, tuple[dt.date, int] | None] | None:
    """Which side of the ledger is shortest to `q.on` (and the checkpoint it starts from); None: no moves."""
    first, last = _span(q)
    if first is None or last is None:
        return None
    checkpoint = nearest_checkpoint(q.company_id, q.on)
    since = abs(q.on - checkpoint[0]) if checkpoint else q.on - first
    if (last - q.on) < since:
        return BACKWARD, None
    return (CHECKPOINT, checkpoint) if checkpoint else (FORWARD, None)


def _legs(q: AsOf, side: str, checkpoint: tuple[dt.date, int] | None, params: list) -> str:
    """SQL `WITH m AS (…) …` and the legs (item_id, loc, lot, q, v) whose sums per key are the balances."""
    locs = _in(q.loc_ids)
    parts: list[tuple[int, str, list]] = []  # (sign, the moves' condition, its params)
    base = ""
    base_params: list = []
    if side == FORWARD:
        parts.append((1, "business_on <= %s", [q.on]))
    elif side == BACKWARD:
        base = ("SELECT item_id, location_id AS loc, lot_id AS lot, quantity AS q, value AS v FROM stock_stockbalance "
                "WHERE company_id = %s")
        base_params = [q.company_id]
        parts.append((-1, "business_on > %s", [q.on]))
    else:
        assert checkpoint is not None
        month, through = checkpoint
        base = ("SELECT item_id, location_id AS loc, lot_id AS lot, quantity AS q, value AS v FROM stock_monthendbalance "
                "WHERE company_id = %s AND month_end = %s")
        base_params = [q.company_id, month]
        if month <= q.on:
            parts.append((1, "business_on > %s AND business_on <= %s", [month, q.on]))
        else:
            parts.append((-1, "business_on > %s AND business_on <= %s", [q.on, month]))
        # the moves the checkpoint does not hold yet (posted since it was brought up to date: a range of ids)
        parts.append((1, "id > %s AND business_on <= %s", [through, month]))
    grouped = []
    for sign, where, where_params in parts:
        params += [q.company_id, *where_params]
        cond = where + _filters(q, params)
        grouped.append(f"SELECT {sign} AS s, item_id, to_location_id AS t, from_location_id AS f, lot_id AS lot, "
                       f"SUM(quantity) AS q, SUM(value) AS v FROM stock_stockmove WHERE company_id = %s AND {cond} "
                       f"AND (to_location_id IN ({locs}) OR from_location_id IN ({locs})) "
                       f"GROUP BY item_id, to_location_id, from_location_id, lot_id")
    sql = f"WITH m AS ({' UNION ALL '.join(grouped)}) SELECT item_id, loc, lot, q, v FROM ("
    if base:
        params += base_params
        sql += f"{base} AND location_id IN ({locs}){_filters(q, params)} UNION ALL "
    sql += (f"SELECT item_id, t AS loc, lot, s * q AS q, s * v AS v FROM m WHERE t IN ({locs}) "
            f"UNION ALL SELECT item_id, f, lot, -s * q, -s * v FROM m WHERE f IN ({locs})) AS legs")
    return sql


def _grouped(q: AsOf, params: list, side: str | None = None) -> str | None:
    """SQL of the nonzero (item_id, loc, lot, q, v) rows as of `q.on`, unordered; None: there are none. `side`
    forces one side of the ledger (tests compare them)."""
    if not q.loc_ids:
        return None
    if side is None:
        found = side_of(q)
    else:
        found = (side, nearest_checkpoint(q.company_id, q.on) if side == CHECKPOINT else None)
    if found is None or (found[0] == CHECKPOINT and found[1] is None):
        return None
    legs = _legs(q, found[0], found[1], params)
    return (f"SELECT item_id, loc, lot, ROUND(SUM(q), 4) AS q, ROUND(SUM(v), 2) AS v FROM ({legs}) AS x "
            f"GROUP BY item_id, loc, lot HAVING ROUND(SUM(q), 4) <> 0 OR ROUND(SUM(v), 2) <> 0")


def rows_as_of(q: AsOf, *, side: str | None = None) -> list[tuple]:
    """Every balance as of `q.on`: (item_id, location_id, lot_id, quantity, value) tuples ordered by item, location
    and lot id; `side` forces one side of the ledger."""
    params: list = []
    sql = _grouped(q, params, side)
    if sql is None:
        return []
    with connection.cursor() as cur:
        cur.execute(f"{sql} ORDER BY {ORDER}", params)
        return [(item, loc, lot, qty(q_), money(v)) for item, loc, lot, q_, v in cur.fetchall()]


PAGE_COLUMNS = ("item", "item_code", "item_name", "warehouse", "location", "location_code", "lot", "lot_code",
                "expires_on", "quantity", "value")


def page_as_of(q: AsOf, *, offset: int, limit: int) -> tuple[int, list[dict]]:
    """(how many balances there are as of `q.on`, the page of them at `offset`) with the item's, location's and
    lot's codes and names: one statement, two when `offset` lies beyond the last row (the count alone then)."""
    params: list = []
    grouped = _grouped(q, params)
    if grouped is None:
        return 0, []
    sql = (f"SELECT p.item_id, i.code, i.name, l.warehouse_id, p.loc, l.code, p.lot, t.code, t.expires_on, p.q, p.v, "
           f"p.n FROM (SELECT g.*, COUNT(*) OVER () AS n FROM ({grouped}) AS g ORDER BY {ORDER} LIMIT %s OFFSET %s) "
           f"AS p JOIN catalog_item i ON i.id = p.item_id JOIN stock_location l ON l.id = p.loc "
           f"LEFT JOIN stock_lot t ON t.id = p.lot ORDER BY p.item_id, p.loc, COALESCE(p.lot, 0)")
    with connection.cursor() as cur:
        cur.execute(sql, [*params, limit, offset])
        rows = cur.fetchall()
        if not rows:
            if offset == 0:
                return 0, []
            cur.execute(f"SELECT COUNT(*) FROM ({grouped}) AS g", params)
            return cur.fetchone()[0], []
    items = [dict(zip(PAGE_COLUMNS, (*r[:8], _date(r[8]), qty(r[9]), money(r[10])), strict=True)) for r in rows]
    return rows[0][11], items
