"""Stock moves into facts: StockDay legs, and the cost side of sales (moves to and from customers) into SalesDay."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from openjxc.reports.facts.deltas import COGS, RETURN_COST, Deltas
from openjxc.reports.facts.docinfo import DocInfo
from openjxc.reports.facts.legs import Place, is_customer, legs_of
from openjxc.reports.models import MONEY_SCALE, QTY_SCALE
from openjxc.stock.models import Location

# scaled in SQL: the driver hands back exact integers whatever the engine stores NUMERIC as
_MOVE_COLUMNS = (
    f"id, item_id, COALESCE(lot_id, 0), from_location_id, to_location_id, "
    f"CAST(ROUND(quantity * {QTY_SCALE}) AS BIGINT), CAST(ROUND(value * {MONEY_SCALE}) AS BIGINT), "
    f"document_id, reverses_id, is_adjustment, business_on"
)


def places(company_id: int) -> dict[int, Place]:
    return {pk: Place(kind, wh) for pk, kind, wh in
            Location.objects.filter(company_id=company_id).values_list("id", "kind", "warehouse_id")}


def as_date(value) -> dt.date:
    """A date column's value as a date (SQLite hands dates back as ISO text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def move_ranges(topic: str, payload) -> list[tuple[int, int]]:
    """The [first, last] move-id ranges a stock event names: a posting's moves (`stock.changed`), re-costing's
    corrections (`stock.recosted`: by range, or one by one in events written before ranges); [] for other topics."""
    if topic not in ("stock.changed", "stock.recosted"):
        return []
    payload = payload or {}
    ranges = [(int(a), int(b)) for a, b in payload.get("moves") or ()]
    corrections = payload.get("corrections") if topic == "stock.recosted" else None
    ranges += [(int(c["id"]), int(c["id"])) for c in (corrections if isinstance(corrections, list) else ())]
    return ranges


def fetch_moves(company_id: int, ranges: list[tuple[int, int]]) -> list[tuple]:
    """The moves of the company whose ids fall in `ranges` ([first, last] pairs), in id order."""
    out: list[tuple] = []
    ranges = sorted(ranges)
    for start in range(0, len(ranges), 200):
        part = ranges[start:start + 200]
        where = " OR ".join(["id BETWEEN %s AND %s"] * len(part))
        params: list = [company_id]
        for a, b in part:
            params += [a, b]
        with connection.cursor() as cur:
            cur.execute(f"SELECT {_MOVE_COLUMNS} FROM stock_stockmove WHERE company_id = %s AND ({where}) ORDER BY id",
                        params)
            out += cur.fetchall()
    return out


def add_moves(deltas: Deltas, rows: list[tuple], where: dict[int, Place], docs: DocInfo) -> None:
    """Add the legs of `rows` (fetch_moves' columns) to `deltas`; sales cost by the documents' sales keys."""
    company_id = deltas.company_id
    stock = deltas.stock
    sales = deltas.sales
    customer_docs = set()
    for row in rows:
        frm, to = where.get(row[3]), where.get(row[4])
        if frm is None or to is None:  # a location created after the map was read
            where.update(places(company_id))
            frm, to = where[row[3]], where[row[4]]
        if row[7] is not None and "customer" in (frm.kind, to.kind):
            customer_docs.add(row[7])
    docs.load(customer_docs)
    for _pk, item, lot, f, t, qty, value, doc_id, reverses, adjustment, day in rows:
        day = as_date(day)
        for leg in legs_of(where[f], where[t], qty, value, is_adjustment=bool(adjustment),
                           is_reversal=reverses is not None):
            acc = stock[(day, leg.warehouse_id, item, lot, leg.flow)]
            if leg.inbound:
                acc[0] += leg.qty
                acc[2] += leg.value
            else:
                acc[1] += leg.qty
                acc[3] += leg.value
            if is_customer(leg):
                key = docs.sales_key(doc_id)
                s = sales[(day, leg.warehouse_id, item, *key)]
                if leg.inbound:
                    s[RETURN_COST] += leg.value
                else:
                    s[COGS] += leg.value
