"""Purchasing in the demo: purchase orders for what fell below its reorder point, received a day or two later
(now and then short, the rest following three days later), fresh dairy delivered daily, returns to suppliers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.stock.models import Warehouse

from .context import Demo

D = Decimal
PO_LINES = 25  # a supplier's order form


def on_order(demo: Demo) -> dict[tuple[int, int], Decimal]:
    """(item, warehouse) -> base units ordered from suppliers and not received yet."""
    out: dict[tuple[int, int], Decimal] = defaultdict(lambda: D(0))
    for _line, item, wh, left, _value in orders.open_quantities(demo.company.pk, "purchase_order"):
        out[(item, wh)] += left
    return out


def replenish(demo: Demo, warehouse: Warehouse, *, share: float) -> None:
    """Order what fell below its reorder point (counting what is already on order), one order per supplier,
    promised for tomorrow or the day after."""
    have = demo.on_hand(warehouse, sellable=False)
    coming = on_order(demo)
    wanted: dict[int, list[LineInput]] = {}
    for item in demo.items:
        if item.tracks_lots:
            continue  # dairy comes fresh, on its own rhythm
        d = max(1, int(demo.demand[item.pk] * share))
        position = have.get(item.pk, D(0)) + coming[(item.pk, warehouse.pk)]
        if position < d * 7:
            supplier = demo.supplier_for(item)
            promised = demo.day + dt.timedelta(days=1 + int(supplier.code[1:]) % 2)
            wanted.setdefault(supplier.pk, []).append(
                demo.purchase_line(item, int(d * 20 - position), promised_on=promised))
    for supplier_id, lines in sorted(wanted.items()):
        demo.run("purchase_order", author="purchaser", poster="manager", lines=lines[:PO_LINES],
                 warehouse=warehouse, partner=supplier_id, memo="按补货点采购")


def _open_orders(demo: Demo) -> list[Document]:
    """Confirmed purchase orders with something left whose promised day has come."""
    ids = {line_id for line_id, *_rest in orders.open_quantities(demo.company.pk, "purchase_order")}
    return list(Document.objects.filter(company=demo.company, kind="purchase_order", status=Status.POSTED,
                                        lines__pk__in=ids, lines__promised_on__lte=demo.day)
                .distinct().order_by("pk"))


def receive_orders(demo: Demo) -> None:
    """Goods arrive for the orders due: received from the order (下推). One delivery in ten is short and the
    rest follows three days later."""
    for order in _open_orders(demo):
        if demo.backorders.get(order.pk, demo.day) > demo.day:
            continue
        demo.tick()
        receipt = orders.push_down(order, by=demo.users["keeper"], kind="purchase_receipt", business_on=demo.day)
        lines = list(receipt.lines.all())
        if order.pk not in demo.backorders and len(lines) >= 2 and demo.rng.random() < 0.1:
            short = lines[-1]
            keep = (short.quantity / 2).to_integral_value()
            inputs = [LineInput(item=ln.item_id, quantity=ln.quantity if ln is not short else keep,
                                unit_price=ln.unit_price, source_line=ln.source_line_id)
                      for ln in lines if ln is not short or keep > 0]
            receipt = docs.update_document(receipt, by=demo.users["keeper"], lines=inputs,
                                           memo="供应商部分到货，余量三天后补发")
            demo.backorders[order.pk] = demo.day + dt.timedelta(days=3)
        else:
            demo.backorders.pop(order.pk, None)
        demo.receipts.append(demo.finish(receipt, author="keeper", poster="keeper"))


def fresh_dairy(demo: Demo) -> None:
    """Fresh milk and yoghurt delivered straight from the dairy (no order), to the main warehouse and the store."""
    dairy = [i for i in demo.items if i.tracks_lots]
    if not dairy:
        return
    for warehouse, share in ((demo.main, 1.0), (demo.store, 0.4)):
        lines = [demo.purchase_line(item, max(6, int(demo.demand[item.pk] * share * 4))) for item in dairy]
        doc = demo.run("purchase_receipt", author="purchaser", poster="keeper", lines=lines,
                       warehouse=warehouse, partner=demo.supplier_for(dairy[0]), memo="鲜奶到货")
        demo.receipts.append(doc)


def purchase_return(demo: Demo) -> None:
    recent = [r for r in demo.receipts[-10:] if r.warehouse_id == demo.main.pk]
    on_hand = demo.on_hand(demo.main)
    for receipt in reversed(recent):
        lines = [ln for ln in receipt.lines.all() if not ln.item.tracks_lots and on_hand.get(ln.item_id, 0) > 0]
        if not lines:
            continue
        line = lines[0]
        back = min(on_hand[line.item_id], max(D(1), (line.quantity / 4).to_integral_value()))
        demo.tick()
        ret = docs.create_from(receipt, by=demo.users["purchaser"], kind="purchase_return", business_on=demo.day)
        ret = docs.update_document(ret, by=demo.users["purchaser"], memo="质量问题退回供应商",
                                   lines=[LineInput(item=line.item_id, quantity=back, source_line=line.pk)])
        demo.finish(ret, author="purchaser", poster="keeper")
        return
