"""The sales facts in three statements: SalesDay (document lines on the day each document counts, plus the cost of
the moves to and from customers), SalesMonth (SalesDay by month) and SalesTicketDay (documents counted).

As documents.py and stock.py: revenue, tax and discount from the lines of deliveries and returns (a discount on
tax-inclusive prices converted at the line's rate, rounded half away from zero in integers); COGS and return cost
from the legs whose counterpart is the customer location, keyed by their document's sales keys."""

from __future__ import annotations

from openjxc.reports.facts.documents import SALES
from openjxc.reports.facts.rebuild_sql import (
    CUSTOMER,
    MOVES,
    STOCKED,
    doc_events,
    fen,
    qty,
    sales_keys,
    summed,
)
from openjxc.reports.models import Channel

SUMS = ("qty", "revenue", "tax", "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost")
KEYS = "warehouse_id, item_id, customer_id, salesperson_id, channel"
DELIVERY = next(k for k, is_return in SALES.items() if not is_return)
RETURN = next(k for k, is_return in SALES.items() if is_return)


def _excluding_tax(amount: str, rate: str) -> str:
    """`amount` (fen) ÷ (1 + rate), rounded half away from zero, in integers (rate has 4 decimals)."""
    den = f"(10000 + CAST(ROUND({rate} * 10000) AS BIGINT))"
    return (f"CASE WHEN {amount} >= 0 THEN (2 * {amount} * 10000 + {den}) / (2 * {den}) "
            f"ELSE -((-2 * {amount} * 10000 + {den}) / (2 * {den})) END")


def _lines() -> str:
    q, a, t, disc = qty("l.quantity"), fen("l.amount"), fen("l.tax_amount"), fen("l.discount_amount")
    sale = f"d.kind = '{DELIVERY}'"
    back = f"d.kind = '{RETURN}'"
    discount = f"CASE WHEN d.prices_include_tax THEN {_excluding_tax(disc, 'l.tax_rate')} ELSE {disc} END"
    figures = {"qty": (sale, q), "revenue": (sale, a), "tax": (sale, t), "discount": (sale, discount),
               "return_qty": (back, q), "return_revenue": (back, a), "return_tax": (back, t)}
    cols = ", ".join(f"ev.sign * CASE WHEN {figures[s][0]} THEN {figures[s][1]} ELSE 0 END AS {s}" if s in figures
                     else f"0 AS {s}" for s in SUMS)
    return (f"SELECT ev.day AS day, COALESCE(d.warehouse_id, 0) AS warehouse_id, l.item_id AS item_id, "
            f"k.customer_id AS customer_id, k.salesperson_id AS salesperson_id, k.channel AS channel, {cols} "
            f"FROM ({doc_events(SALES)}) AS ev JOIN documents_document d ON d.id = ev.doc_id "
            f"JOIN documents_documentline l ON l.document_id = d.id JOIN keys k ON k.doc_id = d.id")


def _cost() -> str:
    """Cost of the legs at a stocked location whose counterpart is the customer location: out → COGS, in → return
    cost; a reversal's leg keeps the original's direction, negative."""
    v = fen("m.value")
    out, into = f"f.kind IN {STOCKED}", f"t.kind IN {STOCKED}"
    first, reversal = "m.reverses_id IS NULL", "m.reverses_id IS NOT NULL"
    cogs = f"CASE WHEN {out} AND {first} THEN {v} WHEN {into} AND {reversal} THEN -{v} ELSE 0 END"
    back = f"CASE WHEN {into} AND {first} THEN {v} WHEN {out} AND {reversal} THEN -{v} ELSE 0 END"
    cols = ", ".join({"cogs": cogs, "return_cost": back}.get(s, "0") + f" AS {s}" for s in SUMS)
    return (f"SELECT m.business_on, CASE WHEN {out} THEN f.warehouse_id ELSE t.warehouse_id END, m.item_id, "
            f"COALESCE(k.customer_id, 0), COALESCE(k.salesperson_id, 0), COALESCE(k.channel, {int(Channel.ORDER)}), "
            f"{cols} {MOVES} LEFT JOIN keys k ON k.doc_id = m.document_id WHERE m.company_id = %(c)s "
            f"AND (({out} AND t.kind = {CUSTOMER}) OR ({into} AND f.kind = {CUSTOMER}))")


def sales_days(values: dict) -> int:
    return summed("reports_salesday", f"day, {KEYS}", SUMS, f"({_lines()} UNION ALL {_cost()}) AS x", values,
                  with_=f"WITH keys AS ({sales_keys()}) ")


def sales_months(values: dict) -> int:
    return summed("reports_salesmonth", KEYS, SUMS, "reports_salesday WHERE company_id = %(c)s", values,
                  by_month_of="day")


def tickets(values: dict) -> int:
    keys = "warehouse_id, customer_id, salesperson_id, channel"
    source = (f"(SELECT ev.day AS day, COALESCE(d.warehouse_id, 0) AS warehouse_id, k.customer_id AS customer_id, "
              f"k.salesperson_id AS salesperson_id, k.channel AS channel, "
              f"CASE WHEN d.kind = '{DELIVERY}' THEN ev.sign ELSE 0 END AS tickets, "
              f"CASE WHEN d.kind = '{RETURN}' THEN ev.sign ELSE 0 END AS returns "
              f"FROM ({doc_events(SALES)}) AS ev JOIN documents_document d ON d.id = ev.doc_id "
              f"JOIN keys k ON k.doc_id = d.id) AS x")
    return summed("reports_salesticketday", f"day, {keys}", ("tickets", "returns"), source, values,
                  with_=f"WITH keys AS ({sales_keys()}) ")
