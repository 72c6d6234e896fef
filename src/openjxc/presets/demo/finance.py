"""Money in the demo: customers pay what fell due (most on time, some late, a few in part), one pays ahead,
the company pays its suppliers on their terms, and the store banks its till takings every evening, one
receipt per way of paying — so receivables and payables look like a real company's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from openjxc.documents.models import Document
from openjxc.finance import selectors
from openjxc.finance import services as finance
from openjxc.finance.services import AllocationInput

from .context import Demo

D = Decimal
HABITS = ["prompt"] * 7 + ["late"] * 2 + ["partial"]  # how customers pay
METHODS = {"cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "bank": "银行转账"}


def payment_habits(demo: Demo) -> None:
    demo.habits = {c.pk: demo.rng.choice(HABITS) for c in demo.all_customers()}


def _allocations(items, amount: Decimal) -> list[AllocationInput]:
    """`amount` applied to the open items, oldest first."""
    out = []
    for item in sorted(items, key=lambda i: (i.due_on, i.id)):
        if amount <= 0:
            break
        part = min(item.open, amount)
        out.append(AllocationInput(document=item.id, amount=part))
        amount -= part
    return out


def _settle(demo: Demo, kind: str, partner, items, amount: Decimal, *, by: str, method: str, memo: str) -> None:
    amount = amount.quantize(D("0.01"))
    if amount <= 0:
        return
    demo.tick()
    finance.create_settlement(by=demo.users[by], kind=kind, partner=partner, amount=amount, business_on=demo.day,
                              method=method, memo=memo, post=True, allocations=_allocations(items, amount))
    demo.settlements[kind] += 1


def collect_from_customers(demo: Demo) -> None:
    """Each customer pays what is due (prompt payers also what falls due this week); late payers only what is
    three weeks overdue; some pay part of it."""
    cid = demo.company.pk
    for customer in demo.all_customers():
        habit = demo.habits[customer.pk]
        horizon = demo.day + dt.timedelta(days=5) if habit == "prompt" else demo.day
        if habit == "late":
            horizon = demo.day - dt.timedelta(days=21)
        due = [i for i in selectors.open_documents(cid, customer.pk, "receivable") if i.due_on <= horizon]
        total = sum((i.open for i in due), D(0))
        if habit == "partial":
            total = (total * D("0.6")).quantize(D("1"))
        _settle(demo, "receipt", customer, due, total, by="finance", method="bank", memo="客户回款")


def prepayment(demo: Demo) -> None:
    """A big customer pays ahead for next month's orders (预收款): money on account, not yet applied."""
    demo.tick()
    finance.create_settlement(by=demo.users["finance"], kind="receipt", partner=demo.both, amount=D("30000.00"),
                              business_on=demo.day, method="bank", memo="预付下月货款", post=True)
    demo.settlements["receipt"] += 1


def pay_suppliers(demo: Demo) -> None:
    """Pay what falls due within the next five days."""
    cid = demo.company.pk
    horizon = demo.day + dt.timedelta(days=5)
    for supplier, _tops in demo.suppliers:
        due = [i for i in selectors.open_documents(cid, supplier.pk, "payable") if i.due_on <= horizon]
        _settle(demo, "payment", supplier, due, sum((i.open for i in due), D(0)), by="finance", method="bank",
                memo="支付货款")


def bank_takings(demo: Demo) -> None:
    """The store's takings of the day, one receipt per way of paying, applied to the till's sales."""
    if not demo.till_sales:
        return
    cid = demo.company.pk
    open_items = {i.id: i for i in selectors.open_documents(cid, demo.walk_in.pk, "receivable")}
    by_method = defaultdict(list)
    for doc_id, custom in Document.objects.filter(pk__in=demo.till_sales).values_list("pk", "custom"):
        if doc_id in open_items:
            method = ((custom or {}).get("payment") or {}).get("method") or "cash"
            by_method[method].append(open_items[doc_id])
    demo.till_sales = []
    for method, items in sorted(by_method.items()):
        _settle(demo, "receipt", demo.walk_in, items, sum((i.open for i in items), D(0)), by="cashier",
                method=method, memo=f"门店日结：{METHODS.get(method, method)}")
