"""Money in the demo: customers pay what fell due (most on time, some late, a few in part), one pays ahead,
the company pays its suppliers on their terms, and the store's till sales are paid at the till (their receipts
come with them) and the till is closed every evening — so receivables and payables look like a real company's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from openjxc.finance import selectors
from openjxc.finance import services as finance
from openjxc.finance.services import AllocationInput
from openjxc.sync import closing as till_closing

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


def _open_by_partner(demo: Demo, book: str) -> dict[int, list]:
    """The book's open documents (not credits) per partner, read once for everyone."""
    out: dict[int, list] = defaultdict(list)
    for item in selectors.open_items(demo.company.pk, book):
        if not item.is_credit and item.open > 0:
            out[item.partner_id].append(item)
    return out


def collect_from_customers(demo: Demo) -> None:
    """Each customer pays what is due (prompt payers also what falls due this week); late payers only what is
    five weeks overdue; some pay part of it."""
    open_items = _open_by_partner(demo, "receivable")
    for customer in demo.all_customers():
        habit = demo.habits[customer.pk]
        horizon = demo.day + dt.timedelta(days=5) if habit == "prompt" else demo.day
        if habit == "late":
            horizon = demo.day - dt.timedelta(days=35)
        due = [i for i in open_items[customer.pk] if i.due_on <= horizon]
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
    open_items = _open_by_partner(demo, "payable")
    horizon = demo.day + dt.timedelta(days=5)
    for supplier, _tops in demo.suppliers:
        due = [i for i in open_items[supplier.pk] if i.due_on <= horizon]
        _settle(demo, "payment", supplier, due, sum((i.open for i in due), D(0)), by="finance", method="bank",
                memo="支付货款")


def close_till(demo: Demo) -> None:
    """The cashier closes the till every evening (交班): the till's sales were paid at once (their receipts were
    recorded with them), the drawer is counted against the expected cash; now and then it is a little short."""
    if demo.till is None or not demo.till_sales:
        return
    demo.till_sales = []
    demo.tick()
    float_cash = D("500.00")
    expected = till_closing.expected_cash(demo.till).expected(float_cash)
    short = D("0") if demo.rng.random() < 0.85 else D(demo.rng.choice(["0.50", "1.00", "2.00"]))
    till_closing.close_till(by=demo.users["cashier"], terminal=demo.till, opening_float=float_cash,
                            counted=expected - short, reason="找零差错" if short else "")
