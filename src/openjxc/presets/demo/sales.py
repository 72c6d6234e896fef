"""Sales in the demo: wholesale customers' orders (priced from their price lists, delivered the same day or the
next, short when the shelf is), telephone sales delivered at once, the store's till, returns and a voided
delivery."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal

from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse
from openjxc.sync import protocol

from .context import Demo

D = Decimal
CREDIT_HEADROOM = D("0.8")  # a salesperson doesn't take an order that would bring the customer near the limit


def _within_credit(demo: Demo, customer: Partner, lines: list[LineInput]) -> bool:
    if customer.credit_limit is None:
        return True
    estimate = sum((demo.item_by_pk[ln.item].sale_price * ln.quantity
                    * (demo.pack[ln.item][1] if ln.unit else 1) for ln in lines), D(0))
    return orders.credit_exposure(demo.company.pk, customer.pk) + estimate < customer.credit_limit * CREDIT_HEADROOM


def wholesale(demo: Demo, warehouse: Warehouse, customers: list[Partner]) -> None:
    """A wholesale customer buys: half the time by a sales order (their price list's prices, delivered the next
    morning or the day after), else over the phone and delivered at once at a negotiated discount."""
    rng = demo.rng
    customer = rng.choice(customers)
    if rng.random() < 0.5:
        lines = demo.sale_lines(warehouse, rng.randint(2, 6), scale=1.0, packs=True, discount=D(1), priced=False)
        if not lines or not _within_credit(demo, customer, lines):
            return
        wanted_on = demo.day + dt.timedelta(days=rng.choice([1, 1, 2]))
        for ln in lines:
            ln.promised_on = wanted_on
        # quoted with tax, as the price lists and shelf prices are
        demo.run("sales_order", author="sales", poster="manager", lines=lines, warehouse=warehouse,
                 partner=customer.pk, memo="客户订货", prices_include_tax=True)
        return
    discount = D(rng.choice(["0.90", "0.92", "0.95", "1"]))
    lines = demo.sale_lines(warehouse, rng.randint(2, 6), scale=1.0, packs=True, discount=discount)
    doc = demo.run("sales_delivery", author="sales", poster="keeper", lines=lines, warehouse=warehouse,
                   partner=customer.pk)
    if doc is not None:
        demo.deliveries.append(doc)


def _due_orders(demo: Demo) -> list[Document]:
    ids = {line_id for line_id, *_rest in orders.open_quantities(demo.company.pk, "sales_order")}
    return list(Document.objects.filter(company=demo.company, kind="sales_order", status=Status.POSTED,
                                        lines__pk__in=ids, lines__promised_on__lte=demo.day)
                .distinct().order_by("pk"))


def deliver_orders(demo: Demo) -> None:
    """The orders wanted by now leave the warehouse (下推 to a delivery), as much as the shelf holds; the rest
    waits two days for the next purchase to arrive."""
    for order in _due_orders(demo):
        if demo.backorders.get(order.pk, demo.day) > demo.day:
            continue
        on_hand = demo.on_hand(order.warehouse)
        left = {p.line_id: p.remaining for p in orders.order_progress(order)}
        can = {line_id: min(q, on_hand.get(item, D(0)).to_integral_value(rounding=ROUND_FLOOR))
               for line_id, item, q in order.lines.values_list("pk", "item_id", "quantity") if left.get(line_id)}
        can = {line_id: min(q, left[line_id]) for line_id, q in can.items()}
        if not any(q > 0 for q in can.values()):
            demo.backorders[order.pk] = demo.day + dt.timedelta(days=2)
            continue
        demo.tick()
        delivery = orders.push_down(order, by=demo.users["sales"], kind="sales_delivery", business_on=demo.day)
        lines = list(delivery.lines.all())
        if any(can.get(ln.source_line_id, D(0)) < ln.quantity for ln in lines):
            inputs = [LineInput(item=ln.item_id, quantity=can[ln.source_line_id], unit_price=ln.unit_price,
                                source_line=ln.source_line_id) for ln in lines if can.get(ln.source_line_id)]
            delivery = docs.update_document(delivery, by=demo.users["sales"], lines=inputs,
                                            memo="库存不足，先发部分，余量到货后补发")
            demo.backorders[order.pk] = demo.day + dt.timedelta(days=2)
        else:
            demo.backorders.pop(order.pk, None)
        demo.deliveries.append(demo.finish(delivery, author="sales", poster="keeper"))


def retail(demo: Demo) -> None:
    """The store's till: a few baskets sent in one upload through the terminal protocol, like the till does."""
    if demo.till is None:
        return
    ops = []
    for _n in range(demo.rng.randint(2, 4)):
        lines = demo.sale_lines(demo.store, demo.rng.randint(1, 4), scale=0.2, packs=False)
        if not lines:
            continue
        demo.tick()
        demo.till_ops += 1
        ops.append({"id": f"{demo.till.code}-{demo.till_ops:06d}", "type": "sale", "seq": demo.till_ops,
                    "created_at": demo.clock_iso(),
                    "data": {"lines": [{"item": demo.item_by_pk[ln.item].code, "qty": str(ln.quantity)}
                                       for ln in lines],
                             "payment": {"method": demo.rng.choice(["cash", "wechat", "alipay", "wechat"])}}})
    if not ops:
        return
    demo.tick()
    answer = protocol.push(demo.till, ops=ops, client_time=demo.clock_iso())
    for result in answer["results"]:
        if result["status"] != "accepted":
            raise RuntimeError(f"the demo till's sale was refused: {result}")
        demo.docs[("sales_delivery", Status.POSTED.value)] += 1
        demo.till_sales.append(result["document"]["id"])


def sales_return(demo: Demo) -> None:
    recent = [d for d in demo.deliveries[-8:] if d.pk not in demo.returned]
    if not recent:
        return
    delivery = demo.rng.choice(recent)
    demo.returned.add(delivery.pk)
    line = demo.rng.choice(list(delivery.lines.all()))
    back = max(D(1), (line.quantity / 3).to_integral_value())
    demo.tick()
    ret = docs.create_from(delivery, by=demo.users["sales"], kind="sales_return", business_on=demo.day)
    ret = docs.update_document(ret, by=demo.users["sales"], memo="客户退货：包装破损",
                               lines=[LineInput(item=line.item_id, quantity=back, source_line=line.pk)])
    demo.finish(ret, author="sales", poster="keeper")


def voided_delivery(demo: Demo) -> None:
    lines = demo.sale_lines(demo.main, 3, scale=1.0, packs=False)
    doc = demo.run("sales_delivery", author="sales", poster="keeper", lines=lines, warehouse=demo.main,
                   partner=demo.rng.choice(demo.customers["EC"]).pk)
    if doc is None:
        return
    demo.tick(45)
    docs.void_document(doc, by=demo.users["manager"], reason="客户取消订单，单据作废")
    demo.count_doc(doc, Status.VOIDED.value, was=Status.POSTED.value)
