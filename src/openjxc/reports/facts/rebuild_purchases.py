"""The purchase facts in three statements: PurchaseDay (receipt and return lines on the day each document counts),
PurchaseLine (every posted order's lines, with the day the order was closed short or voided) and
PurchaseLineReceipt (what receipts and returns did to each order line, per day), as documents.py adds them."""

from __future__ import annotations

from openjxc.documents.models import Status
from openjxc.reports.facts.documents import ORDER, PURCHASES
from openjxc.reports.facts.rebuild_sql import (
    COUNTED,
    doc_events,
    fen,
    local_date,
    nonzero,
    qty,
    quoted,
    run,
    summed,
    void_day,
)

RECEIPT = next(k for k, is_return in PURCHASES.items() if not is_return)
RETURN = next(k for k, is_return in PURCHASES.items() if is_return)
SUMS = ("qty", "amount", "tax", "return_qty", "return_amount")
LINES = (f"FROM ({doc_events(PURCHASES)}) AS ev JOIN documents_document d ON d.id = ev.doc_id "
         f"JOIN documents_documentline l ON l.document_id = d.id")


def purchase_days(values: dict) -> int:
    q, a, t = qty("l.quantity"), fen("l.amount"), fen("l.tax_amount")
    figures = {"qty": (RECEIPT, q), "amount": (RECEIPT, a), "tax": (RECEIPT, t), "return_qty": (RETURN, q),
               "return_amount": (RETURN, a)}
    cols = ", ".join(f"ev.sign * CASE WHEN d.kind = '{figures[s][0]}' THEN {figures[s][1]} ELSE 0 END AS {s}"
                     for s in SUMS)
    keys = "day, warehouse_id, item_id, supplier_id"
    return summed("reports_purchaseday", keys, SUMS,
                  f"(SELECT ev.day AS day, COALESCE(d.warehouse_id, 0) AS warehouse_id, l.item_id AS item_id, "
                  f"COALESCE(d.partner_id, 0) AS supplier_id, {cols} {LINES}) AS x", values)


def order_lines(values: dict) -> int:
    """A voided order leaves on the day of its void, one closed short on its closing's local date."""
    closed = (f"CASE WHEN d.status = '{Status.VOIDED}' THEN {void_day()} "
              f"WHEN d.status = '{Status.CLOSED}' THEN {local_date('d.closed_at')} END")
    return run(f"INSERT INTO reports_purchaseline (company_id, line_id, order_id, warehouse_id, item_id, supplier_id, "
               f"promised_on, ordered, closed_on) "
               f"SELECT %(c)s, l.id, d.id, COALESCE(d.warehouse_id, 0), l.item_id, COALESCE(d.partner_id, 0), "
               f"l.promised_on, {qty('l.quantity')}, {closed} FROM documents_document d "
               f"JOIN documents_documentline l ON l.document_id = d.id "
               f"WHERE d.company_id = %(c)s AND d.kind = '{ORDER}' AND d.status IN ({quoted(COUNTED)})", values)


def line_receipts(values: dict) -> int:
    """The order line of a receipt line is its source line when that is an order's; of a return line, its source
    receipt line's source when that is an order's. Receipts add, returns take away."""
    order_line = f"CASE WHEN sd.kind = '{ORDER}' THEN s.id WHEN od.kind = '{ORDER}' THEN o.id END"
    sign = f"CASE WHEN d.kind = '{RETURN}' THEN -ev.sign ELSE ev.sign END"
    return run(f"INSERT INTO reports_purchaselinereceipt (company_id, line_id, day, qty) "
               f"SELECT %(c)s, line_id, day, SUM(qty) FROM ("
               f"SELECT {order_line} AS line_id, ev.day AS day, {sign} * {qty('l.quantity')} AS qty {LINES} "
               f"JOIN documents_documentline s ON s.id = l.source_line_id "
               f"JOIN documents_document sd ON sd.id = s.document_id "
               f"LEFT JOIN documents_documentline o ON o.id = s.source_line_id "
               f"LEFT JOIN documents_document od ON od.id = o.document_id) AS x "
               f"WHERE line_id IS NOT NULL GROUP BY line_id, day HAVING {nonzero(('qty',))}", values)
