"""Today's order desk: purchase and sales orders in every state a person meets — being typed, waiting for
approval, approved, confirmed and open, partly received / delivered, done, closed short, cancelled.

The history already leaves most of them; whatever it did not is made here, today, the way people do it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput

from .context import Demo

D = Decimal
STATES = ("draft", "submitted", "approved", "open", "partial", "done", "closed", "cancelled")
BIG_ORDER = D(12000)  # over the purchase order flow's threshold: the general manager approves


def order_state(order: Document) -> str:
    """One of STATES: the document's status, or for a confirmed order how far it was fulfilled."""
    if order.status == Status.POSTED:
        return orders.order_status(order)
    return order.status


def states(demo: Demo, kind: str) -> set[str]:
    return {order_state(o) for o in Document.objects.filter(company=demo.company, kind=kind)}


def _lines(demo: Demo, kind: str, *, big: bool = False) -> tuple[list[LineInput], object]:
    """Two lines an order of `kind` could have today, and its partner."""
    promised = demo.day + dt.timedelta(days=3)
    if kind == "purchase_order":
        goods = sorted((i for i in demo.items if not i.tracks_lots), key=lambda i: -i.purchase_price)[:6]
        item = demo.rng.choice(goods)
        partner = demo.supplier_for(item)
        same = [i for i in goods if demo.supplier_for(i) == partner]
        wanted = [int(BIG_ORDER / i.purchase_price) + 1 if big else demo.demand[i.pk] * 10 for i in same[:2]]
        return [demo.purchase_line(i, q, promised_on=promised) for i, q in zip(same[:2], wanted, strict=True)], partner
    on_hand = demo.on_hand(demo.main)
    goods = [i for i in demo.items if on_hand.get(i.pk, D(0)) >= 4]
    picked = demo.rng.sample(goods, min(2, len(goods)))
    lines = [LineInput(item=i.pk, quantity=D(min(int(on_hand[i.pk]) // 2, demo.demand[i.pk] * 2)), promised_on=promised)
             for i in picked]
    # the customer with the most room under their credit limit: confirming the order must not exceed it
    customers = demo.customers["EC"] + demo.customers["other"]
    return lines, max(customers, key=lambda c: (c.credit_limit or D(0)) - orders.credit_exposure(demo.company.pk, c.pk))


# who writes the order, what fulfils it, who enters that
PEOPLE = {"purchase_order": ("purchaser", "purchase_receipt", "keeper"),
          "sales_order": ("sales", "sales_delivery", "sales")}
MEMOS = {"draft": "草稿：还在核对数量", "submitted": "待审批", "approved": "已审批，待确认",
         "open": "已确认，等待到货/发货", "partial": "部分到货/发货", "done": "已全部完成", "closed": "余量取消，订单关闭",
         "cancelled": "客户/供应商取消"}


def _fulfil(demo: Demo, order: Document, *, part: bool) -> None:
    """Receive (deliver) the order in full, or half of its first line."""
    _author, kind, clerk = PEOPLE[order.kind]
    demo.tick()
    doc = orders.push_down(order, by=demo.users[clerk], kind=kind, business_on=demo.day)
    if part:
        first = doc.lines.order_by("line_no").first()
        keep = max(D(1), (first.quantity / 2).to_integral_value())
        doc = docs.update_document(doc, by=demo.users[clerk], lines=[
            LineInput(item=first.item_id, quantity=keep, unit_price=first.unit_price, source_line=first.source_line_id)])
    demo.finish(doc, author=clerk, poster="keeper")


def make(demo: Demo, kind: str, state: str) -> Document:
    """One order of `kind` brought to `state` today."""
    author = demo.users[PEOPLE[kind][0]]
    lines, partner = _lines(demo, kind, big=state == "submitted" and kind == "purchase_order")
    demo.tick()
    order = docs.create_document(by=author, kind=kind, warehouse=demo.main, partner=partner.pk, lines=lines,
                                 business_on=demo.day, memo=MEMOS[state], prices_include_tax=kind == "sales_order")
    if state == "draft":
        demo.count_doc(order)
        return order
    order = docs.submit_document(order, by=author)
    if state == "cancelled":
        demo.tick(15)
        order = docs.cancel_document(order, by=author, reason="对方取消")
    elif state != "submitted":
        demo.tick(10)
        order = demo.approve(order)
        if state != "approved":
            order = docs.post_document(order, by=demo.users["manager"])  # confirmed
    if state in ("partial", "done", "closed"):
        _fulfil(demo, order, part=state != "done")
    if state == "closed":
        demo.tick(30)
        order = orders.close_order(order, by=demo.users["manager"], reason=MEMOS["closed"])
    order.refresh_from_db()
    demo.count_doc(order)
    return order


def orders_in_every_state(demo: Demo) -> None:
    for kind in ("purchase_order", "sales_order"):
        have = states(demo, kind)
        for state in STATES:
            if state not in have:
                make(demo, kind, state)
