"""Document lines into facts: sales (revenue, tax, discount, quantity, tickets), purchases, purchase order lines.

A document counts on its business date when it is posted, and is taken off again on the day it is voided (the
day its reversal moves carry), as the ledgers do. Money is excluding VAT; a discount entered on tax-inclusive
prices is converted at the line's rate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Max

from openjxc.documents.models import DocumentLine
from openjxc.reports.facts.deltas import (
    DISCOUNT,
    QTY,
    RETURN_QTY,
    RETURN_REVENUE,
    RETURN_TAX,
    REVENUE,
    TAX,
    Deltas,
)
from openjxc.reports.facts.docinfo import Doc, DocInfo
from openjxc.reports.facts.months import as_date
from openjxc.reports.models import MONEY_SCALE, QTY_SCALE
from openjxc.stock.models import StockMove

SALES = {"sales_delivery": False, "sales_return": True}  # kind -> is a return
PURCHASES = {"purchase_receipt": False, "purchase_return": True}
ORDER = "purchase_order"
KINDS = {*SALES, *PURCHASES, ORDER}
_INT = "CAST(ROUND({} * {}) AS BIGINT)"
ACTIONS = ("post", "void", "close")


def _excluding_tax(fen: int, rate) -> int:
    r = Decimal(repr(rate)) if isinstance(rate, float) else Decimal(rate or 0)
    return int((Decimal(fen) / (1 + r)).to_integral_value(rounding=ROUND_HALF_UP))


def void_days(company_id: int, docs: list[Doc], info: DocInfo) -> dict[int, dt.date]:
    """The day each voided document was voided: its reversal moves' business date, else its void time's date."""
    ids = [d.id for d in docs]
    out = dict(StockMove.objects.filter(company_id=company_id, document_id__in=ids, reverses__isnull=False)
               .values_list("document_id").annotate(day=Max("business_on")).values_list("document_id", "day"))
    for d in docs:
        if d.id not in out and d.voided_at is not None:
            out[d.id] = info.local_day(d.voided_at)
    return out


def add_documents(deltas: Deltas, actions: list[tuple[int, str]], info: DocInfo) -> None:
    """Add what posting, voiding or closing each (document id, action) did to the facts."""
    info.load([pk for pk, _a in actions])
    todo = [(info.docs[pk], a) for pk, a in actions if pk in info.docs and info.docs[pk].kind in KINDS]
    if not todo:
        return
    voided = void_days(deltas.company_id, [d for d, a in todo if a == "void"], info)
    line_docs = sorted({d.id for d, a in todo if a in ("post", "void")})
    lines: dict[int, list[tuple]] = defaultdict(list)
    source_lines: set[int] = set()
    for start in range(0, len(line_docs), 5000):
        part = line_docs[start:start + 5000]
        # scaled in SQL: exact integers whatever the engine keeps NUMERIC as, and no per-value conversion
        with connection.cursor() as cur:
            cur.execute(f"SELECT document_id, id, item_id, {_INT.format('quantity', QTY_SCALE)}, "
                        f"{_INT.format('amount', MONEY_SCALE)}, {_INT.format('tax_amount', MONEY_SCALE)}, "
                        f"{_INT.format('discount_amount', MONEY_SCALE)}, tax_rate, source_line_id, promised_on "
                        f"FROM documents_documentline WHERE document_id IN ({', '.join(['%s'] * len(part))})", part)
            for row in cur.fetchall():
                lines[row[0]].append(row)
                if row[8] is not None:
                    source_lines.add(row[8])
    order_line_of = _order_lines(source_lines)
    for doc, action in todo:
        if action == "close":
            if doc.kind == ORDER and doc.closed_at is not None:
                deltas.order_closed[doc.id] = info.local_day(doc.closed_at)
            continue
        sign = 1 if action == "post" else -1
        day = doc.business_on if action == "post" else voided.get(doc.id)
        if day is None:
            continue
        if doc.kind in SALES:
            _sales(deltas, doc, lines[doc.id], info, sign, day)
        elif doc.kind in PURCHASES:
            _purchases(deltas, doc, lines[doc.id], order_line_of, sign, day)
        elif doc.kind == ORDER:
            if action == "post":
                deltas.order_lines += [(ln[1], doc.id, doc.warehouse_id or 0, ln[2], doc.partner_id or 0,
                                        as_date(ln[9]), ln[3]) for ln in lines[doc.id]]
            else:
                deltas.order_closed[doc.id] = day


def _order_lines(source_lines: set[int]) -> dict[int, int]:
    """For receipt and return lines' source lines: the purchase order line each comes from (receipt line's source
    when that is an order line; a return's source receipt line's source when that is)."""
    out: dict[int, int] = {}
    ids = sorted(source_lines)
    for start in range(0, len(ids), 5000):
        rows = (DocumentLine.objects.filter(pk__in=ids[start:start + 5000])
                .values_list("id", "source_line_id", "document__kind", "source_line__document__kind"))
        for pk, src, kind, src_kind in rows:
            if kind == ORDER:
                out[pk] = pk
            elif src is not None and src_kind == ORDER:
                out[pk] = src
    return out


def _sales(deltas: Deltas, doc: Doc, lines: list[tuple], info: DocInfo, sign: int, day: dt.date) -> None:
    is_return = SALES[doc.kind]
    customer, salesperson, channel = info.sales_key(doc.id)
    wh = doc.warehouse_id or 0
    for _doc, _pk, item, quantity, amount, tax, discount, rate, _src, _promised in lines:
        acc = deltas.sales[(day, wh, item, customer, salesperson, channel)]
        q, a, t = quantity, amount, tax
        if is_return:
            acc[RETURN_QTY] += sign * q
            acc[RETURN_REVENUE] += sign * a
            acc[RETURN_TAX] += sign * t
        else:
            d = discount
            if doc.prices_include_tax and d:
                d = _excluding_tax(d, rate)
            acc[QTY] += sign * q
            acc[REVENUE] += sign * a
            acc[TAX] += sign * t
            acc[DISCOUNT] += sign * d
    tickets = deltas.tickets[(day, wh, customer, salesperson, channel)]
    tickets[1 if is_return else 0] += sign


def _purchases(deltas: Deltas, doc: Doc, lines: list[tuple], order_line_of: dict[int, int], sign: int,
               day: dt.date) -> None:
    is_return = PURCHASES[doc.kind]
    wh, supplier = doc.warehouse_id or 0, doc.partner_id or 0
    for _doc, _pk, item, quantity, amount, tax, _discount, _rate, src, _promised in lines:
        acc = deltas.purchases[(day, wh, item, supplier)]
        q, a = quantity, amount
        if is_return:
            acc[3] += sign * q
            acc[4] += sign * a
        else:
            acc[0] += sign * q
            acc[1] += sign * a
            acc[2] += sign * tax
        order_line = order_line_of.get(src) if src is not None else None
        if order_line is not None:
            deltas.received[(order_line, day)][0] += (-sign if is_return else sign) * q
