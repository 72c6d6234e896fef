"""What one batch adds to the facts, collected in memory and written at the end in a few statements.

`Deltas.flush()` writes the daily rows, the ageing facts (ageing.py), their monthly roll-ups (the narrow sales ones:
rollups.py), and — for a back-dated change to a month whose
checkpoint is already written — the change of every checkpoint from that month on (months.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from openjxc.reports.facts.ageing import add_ageing
from openjxc.reports.facts.months import checkpoint_deltas, first_of
from openjxc.reports.facts.rollups import add_sales_rollups
from openjxc.reports.facts.upsert import add_rows, insert_new
from openjxc.reports.models import (
    PartnerDay,
    PartnerRowSeen,
    PurchaseDay,
    PurchaseLine,
    PurchaseLineReceipt,
    SalesDay,
    SalesMonth,
    SalesTicketDay,
    StockClose,
    StockDay,
    StockMonth,
)

STOCK_SUMS = ("qty_in", "qty_out", "value_in", "value_out")
SALES_SUMS = ("qty", "revenue", "tax", "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost")
PURCHASE_SUMS = ("qty", "amount", "tax", "return_qty", "return_amount")
PARTNER_SUMS = ("debit", "credit", "settled", "applied")
# positions in the SalesDay sums
QTY, REVENUE, TAX, DISCOUNT, COGS, RETURN_QTY, RETURN_REVENUE, RETURN_TAX, RETURN_COST = range(9)


def _zeros(n: int):
    return lambda: [0] * n


class Deltas:
    """The changes of one batch, keyed as the fact tables are (company implied)."""

    def __init__(self, company_id: int):
        self.company_id = company_id
        self.stock: dict[tuple, list[int]] = defaultdict(_zeros(4))  # (day, wh, item, lot, flow)
        self.sales: dict[tuple, list[int]] = defaultdict(_zeros(9))  # (day, wh, item, customer, salesperson, channel)
        self.tickets: dict[tuple, list[int]] = defaultdict(_zeros(2))  # (day, wh, customer, salesperson, channel)
        self.purchases: dict[tuple, list[int]] = defaultdict(_zeros(5))  # (day, wh, item, supplier)
        self.order_lines: list[tuple] = []  # (line, order, wh, item, supplier, promised_on, ordered)
        self.order_closed: dict[int, dt.date] = {}  # order id -> day it was closed short or voided
        self.received: dict[tuple, list[int]] = defaultdict(_zeros(1))  # (order line, day)
        self.partner: dict[tuple, list[int]] = defaultdict(_zeros(4))  # (book, day, partner, due_on)
        self.seen: list[tuple[int, int]] = []  # (PartnerRowSeen kind, row id)

    def flush(self, closed_through: dt.date | None) -> int:
        """Write everything; the number of rows written."""
        c = self.company_id
        n = 0
        n += add_rows(StockDay, ("company", "day", "warehouse_id", "item_id", "lot_key", "flow"), STOCK_SUMS,
                      {(c, *k): v for k, v in self.stock.items()})
        n += add_ageing(c, self.stock)  # reads the StockDay rows just written
        monthly: dict[tuple, list[int]] = defaultdict(_zeros(4))
        for (day, wh, item, _lot, flow), v in self.stock.items():
            acc = monthly[(c, first_of(day), wh, item, flow)]
            for i in range(4):
                acc[i] += v[i]
        n += add_rows(StockMonth, ("company", "month", "warehouse_id", "item_id", "flow"), STOCK_SUMS, monthly)
        if closed_through is not None:
            n += add_rows(StockClose, ("company", "month", "warehouse_id", "item_id", "lot_key"),
                          ("qty", "value", "qty_days", "value_days"),
                          {(c, *k): v for k, v in checkpoint_deltas(self.stock, closed_through).items()})
        # before SalesMonth: moving a re-categorised item's sums reads its SalesMonth rows without this batch
        n += add_sales_rollups(c, self.sales)
        n += add_rows(SalesDay, ("company", "day", "warehouse_id", "item_id", "customer_id", "salesperson_id",
                                 "channel"), SALES_SUMS, {(c, *k): v for k, v in self.sales.items()})
        sales_monthly: dict[tuple, list[int]] = defaultdict(_zeros(9))
        for (day, *rest), v in self.sales.items():
            acc = sales_monthly[(c, first_of(day), *rest)]
            for i in range(9):
                acc[i] += v[i]
        n += add_rows(SalesMonth, ("company", "month", "warehouse_id", "item_id", "customer_id", "salesperson_id",
                                   "channel"), SALES_SUMS, sales_monthly)
        n += add_rows(SalesTicketDay, ("company", "day", "warehouse_id", "customer_id", "salesperson_id", "channel"),
                      ("tickets", "returns"), {(c, *k): v for k, v in self.tickets.items()})
        n += add_rows(PurchaseDay, ("company", "day", "warehouse_id", "item_id", "supplier_id"), PURCHASE_SUMS,
                      {(c, *k): v for k, v in self.purchases.items()})
        if self.order_lines:
            n += insert_new(PurchaseLine, ("company", "line_id", "order_id", "warehouse_id", "item_id", "supplier_id",
                                           "promised_on", "ordered"), ("line_id",),
                            [(c, *row) for row in self.order_lines])
        for order_id, day in self.order_closed.items():
            n += PurchaseLine.objects.filter(order_id=order_id, closed_on__isnull=True).update(closed_on=day)
        n += add_rows(PurchaseLineReceipt, ("company", "line_id", "day"), ("qty",),
                      {(c, *k): v for k, v in self.received.items()})
        n += add_rows(PartnerDay, ("company", "book", "day", "partner_id", "due_on"), PARTNER_SUMS,
                      {(c, *k): v for k, v in self.partner.items()})
        if self.seen:
            n += insert_new(PartnerRowSeen, ("company", "kind", "row_id"), ("kind", "row_id"),
                            [(c, kind, pk) for kind, pk in self.seen])
        return n
