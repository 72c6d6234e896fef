"""The ageing facts (decision 0023): ReceiptDay, StockNow and AgeLayer, kept by the consumer in its batch's
transaction and rebuilt set-based from StockDay.

- ReceiptDay: qty_in of StockDay's RECEIVED_FLOWS per (warehouse, item, day), lots and flows summed; additive.
- StockNow: qty and value per (warehouse, item) over all StockDay rows (additive), and `last_out`: the last day
  with a StockDay row of a MOVING_FLOWS flow whose qty_out is positive. qty_out can be negative (a void on
  another day than the delivery it undoes) and a row's qty_out can fall back to zero (a void on the same day), so
  `last_out` is not a running max: the batch re-reads the rows of the days it touched and of the pair's old
  `last_out`, and only when that day no longer counts does it look further back (one indexed query per pair).
- AgeLayer: the FIFO receipt layers that cover StockNow.qty, recomputed per touched pair (one DELETE, one
  INSERT … SELECT). A receipt day can be negative (a receipt voided on a later day): going from the newest day
  back, the covered quantity is the running maximum of the running sum of receipts (a negative day is paid by
  the older receipts it undoes), never below 0 nor above the stock; a day's layer is what it adds to that.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from django.db import connection

from openjxc.reports.facts.upsert import add_rows, set_rows
from openjxc.reports.models import Flow, ReceiptDay, StockNow

# inbound flows that bring goods into a warehouse (ageing layers, "received in the period")
RECEIVED_FLOWS = (Flow.PURCHASE, Flow.PRODUCTION, Flow.TRANSFER, Flow.GAIN, Flow.OPENING, Flow.OTHER, Flow.COUNT,
                  Flow.SALE)
# outbound flows that count as "moved" (not within a warehouse, not cost-only)
MOVING_FLOWS = tuple(f for f in Flow if f not in (Flow.INTERNAL, Flow.ADJUSTMENT))
_RECEIVED = frozenset(int(f) for f in RECEIVED_FLOWS)
_MOVING = frozenset(int(f) for f in MOVING_FLOWS)


def flows_sql(flows) -> str:
    return "(" + ", ".join(str(int(f)) for f in flows) + ")"


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def keys_source(columns: tuple[str, ...], rows: list[tuple]) -> tuple[str, list]:
    """A row source `(…) AS k` with `columns` (bigint ids; a column named day is a date) holding `rows`: one
    parameter per column on PostgreSQL (unnest), one JSON parameter on SQLite (json_each)."""
    if connection.vendor == "postgresql":
        types = ["date" if c == "day" else "bigint" for c in columns]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        return (f"(SELECT * FROM unnest({arrays})) AS k({', '.join(columns)})",
                [list(col) for col in zip(*rows, strict=True)])
    picks = ", ".join(f"json_extract(value, '$[{n}]') AS {c}" for n, c in enumerate(columns))
    data = [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows]
    return f"(SELECT {picks} FROM json_each(%s)) AS k", [json.dumps(data)]


def _layers_select(pairs: str) -> str:
    """SELECT (warehouse_id, item_id, day, qty) of the layers of the pairs `pairs` (a join condition on `d` and `n`
    naming them; parameters: the company twice, then those of `pairs` twice, then the company)."""
    cap = "CASE WHEN m.top <= 0 THEN 0 WHEN m.top < n.qty THEN m.top ELSE n.qty END"
    return (
        "WITH r AS (SELECT d.warehouse_id AS w, d.item_id AS i, d.day, SUM(d.qty) OVER "
        "(PARTITION BY d.warehouse_id, d.item_id ORDER BY d.day DESC ROWS UNBOUNDED PRECEDING) AS s "
        f"FROM reports_receiptday d {pairs.format(t='d')} WHERE d.company_id = %s), "
        "m AS (SELECT w, i, day, MAX(s) OVER (PARTITION BY w, i ORDER BY day DESC ROWS UNBOUNDED PRECEDING) AS top "
        "FROM r), "
        f"c AS (SELECT m.w, m.i, m.day, {cap} AS cov FROM m JOIN reports_stocknow n ON n.company_id = %s "
        "AND n.warehouse_id = m.w AND n.item_id = m.i AND n.qty > 0), "
        "l AS (SELECT w, i, day, cov - COALESCE(LAG(cov) OVER (PARTITION BY w, i ORDER BY day DESC), 0) AS qty "
        "FROM c) "
        "SELECT w, i, day, qty FROM l WHERE qty > 0 "
        "UNION ALL SELECT n.warehouse_id, n.item_id, NULL, n.qty - COALESCE(x.cov, 0) "
        f"FROM reports_stocknow n {pairs.format(t='n')} "
        "LEFT JOIN (SELECT w, i, MAX(cov) AS cov FROM c GROUP BY w, i) x ON x.w = n.warehouse_id AND x.i = n.item_id "
        "WHERE n.company_id = %s AND n.qty > COALESCE(x.cov, 0)"
    )


def layers_sql(company_id: int, pairs: list[tuple[int, int]] | None) -> tuple[str, list]:
    """The SELECT of the fresh layers of `pairs` (None: every pair of the company) and its parameters."""
    if pairs is None:
        return _layers_select(""), [company_id, company_id, company_id]
    src, values = keys_source(("w", "i"), pairs)
    join = "JOIN " + src.replace(" AS k", " AS k{t}") + " ON k{t}.w = {t}.warehouse_id AND k{t}.i = {t}.item_id"
    return _layers_select(join), [*values, company_id, company_id, *values, company_id]


def write_layers(company_id: int, pairs: list[tuple[int, int]] | None) -> int:
    """Replace the AgeLayer rows of `pairs` (None: the whole company) by a fresh computation, in key order."""
    if pairs is not None and not pairs:
        return 0
    with connection.cursor() as cur:
        if pairs is None:
            cur.execute("DELETE FROM reports_agelayer WHERE company_id = %s", [company_id])
        else:
            src, values = keys_source(("w", "i"), pairs)
            cur.execute(f"DELETE FROM reports_agelayer WHERE company_id = %s AND EXISTS (SELECT 1 FROM {src} "
                        f"WHERE k.w = reports_agelayer.warehouse_id AND k.i = reports_agelayer.item_id)",
                        [company_id, *values])
        sql, params = layers_sql(company_id, pairs)
        cur.execute(f"INSERT INTO reports_agelayer (company_id, warehouse_id, item_id, day, qty) "
                    f"SELECT %s, w, i, day, qty FROM ({sql}) AS a ORDER BY w, i, day", [company_id, *params])
        return max(cur.rowcount, 0)


def _last_out(company_id: int, touched: dict[tuple[int, int], set]) -> list[tuple]:
    """(warehouse, item, last_out) of the pairs whose last_out the batch's out rows (`touched`: pair → days)
    changed. After StockDay took the batch."""
    pairs = sorted(touched)
    src, values = keys_source(("w", "i"), pairs)
    old = {(w, i): _as_date(d) for w, i, d in _rows(
        f"SELECT n.warehouse_id, n.item_id, n.last_out FROM reports_stocknow n JOIN {src} "
        f"ON k.w = n.warehouse_id AND k.i = n.item_id WHERE n.company_id = %s", [*values, company_id])}
    probe = sorted({(d, w, i) for (w, i), days in touched.items() for d in days}
                   | {(d, w, i) for (w, i), d in old.items() if d is not None})
    src, values = keys_source(("day", "w", "i"), probe)
    counting = {(w, i, _as_date(d)) for d, w, i in _rows(
        f"SELECT DISTINCT s.day, s.warehouse_id, s.item_id FROM {src} JOIN reports_stockday s "
        f"ON s.company_id = %s AND s.day = k.day AND s.warehouse_id = k.w AND s.item_id = k.i "
        f"WHERE s.qty_out > 0 AND s.flow IN {flows_sql(MOVING_FLOWS)}", [*values, company_id])}
    out = []
    for (w, i), days in sorted(touched.items()):
        before = old.get((w, i))
        newest = max((d for d in days if (w, i, d) in counting), default=None)
        if before is not None and (w, i, before) in counting:
            after = before if newest is None or newest < before else newest
        elif newest is not None and (before is None or newest > before):
            after = newest
        elif before is None:
            after = None
        else:  # the old last day no longer counts: the last one before it that does
            found = _rows(f"SELECT MAX(day) FROM reports_stockday WHERE company_id = %s AND warehouse_id = %s "
                          f"AND item_id = %s AND day < %s AND qty_out > 0 AND flow IN {flows_sql(MOVING_FLOWS)}",
                          [company_id, w, i, before])
            after = _as_date(found[0][0]) if found else None
        if after != before:
            out.append((company_id, w, i, 0, 0, after))
    return out


def add_ageing(company_id: int, stock: dict[tuple, list[int]]) -> int:
    """Add a batch's StockDay deltas (`stock`: (day, wh, item, lot, flow) → [qty_in, qty_out, value_in,
    value_out]), already written to StockDay, to ReceiptDay and StockNow, and recompute the touched pairs'
    AgeLayer rows. The rows written."""
    if not stock:
        return 0
    c = company_id
    receipts: dict[tuple, list[int]] = defaultdict(lambda: [0])
    now: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    outs: dict[tuple[int, int], set] = defaultdict(set)
    for (day, wh, item, _lot, flow), (qty_in, qty_out, value_in, value_out) in stock.items():
        if flow in _RECEIVED and qty_in:
            receipts[(c, wh, item, day)][0] += qty_in
        acc = now[(c, wh, item)]
        acc[0] += qty_in - qty_out
        acc[1] += value_in - value_out
        if flow in _MOVING and qty_out:
            outs[(wh, item)].add(day)
    n = add_rows(ReceiptDay, ("company", "warehouse_id", "item_id", "day"), ("qty",), receipts)
    n += add_rows(StockNow, ("company", "warehouse_id", "item_id"), ("qty", "value"), now)
    if outs:
        n += set_rows(StockNow, ("company", "warehouse_id", "item_id"), ("qty", "value", "last_out"),
                      ("last_out",), _last_out(c, outs))
    pairs = sorted({(wh, item) for (_c, wh, item, _d), v in receipts.items() if v[0]}
                   | {(wh, item) for (_c, wh, item), v in now.items() if v[0]})
    n += write_layers(c, pairs)
    return n
