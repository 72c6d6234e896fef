"""A wholesaler's month of money: deliveries, returns, a prepayment, one payment against several deliveries,
partial allocation, a mistaken receipt voided, the statement and aging as of two dates; then both ledgers
are checked. And the same month for a trading company (进销存无库存版) that keeps no stock at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core import clock
from openjxc.finance import services as fin
from openjxc.finance.selectors import (
    aging,
    open_credits,
    open_documents,
    payable_balance,
    receivable_balance,
    statement,
)
from openjxc.stock.models import StockBalance, StockMove
from tests.conftest import assert_ledger_consistent
from tests.finance.conftest import Books, assert_partner_ledger_consistent

D = Decimal


def mar(day):
    return dt.date(2026, 3, day)


@pytest.fixture(autouse=True)
def end_of_march():
    """The month is entered as it happens: 'today' (void dates, allocation dates) is the 29th of March."""
    clock.freeze(dt.datetime(2026, 3, 29, 4, 0, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def live_month(books: Books):
    """The month both companies live; returns the documents the assertions look at."""
    c, sup = books.customer, books.supplier
    fin.set_payment_terms(c, by=books.admin, days=30)
    fin.set_payment_terms(sup, by=books.admin, days=15)

    receipt = books.buy(500, 5, on=mar(1))  # payable 2500
    prepaid = books.receive_money("1000", on=mar(2))  # the customer pays ahead
    d1 = books.deliver(100, 8, on=mar(3))  # 800
    d2 = books.deliver(50, 8, on=mar(5))  # 400
    d3 = books.deliver(30, 8, on=mar(8), customer=books.customer2)  # 240
    books.give_back(d2, 10, on=mar(10))  # -80, applied to d2 at once
    fin.allocate(by=books.admin, settlement=prepaid, business_on=mar(12),
                 allocations=[fin.AllocationInput(d1, D("800")), fin.AllocationInput(d2, D("200"))])
    books.pay("2000", on=mar(15), allocations=[(receipt, "2000")])
    books.give_back(receipt, 20, on=mar(16))  # -100 to the supplier, applied to the receipt
    d4 = books.deliver(200, 8, on=mar(20))  # 1600
    d5 = books.deliver(25, 8, on=mar(25))  # 200
    # one receipt against several deliveries, the last one partly
    books.receive_money("1500", on=mar(28), allocations=[(d2, "120"), (d4, "1380")])
    mistaken = books.receive_money("240", on=mar(29), customer=books.customer2, allocations=[(d3, "240")])
    fin.void_settlement(mistaken, by=books.admin, reason="entered twice")
    return {"d3": d3, "d4": d4, "d5": d5, "receipt": receipt}


def assert_the_books(books: Books, docs):
    cid, c = books.company.pk, books.customer
    assert receivable_balance(cid, c.pk) == D("420.00")  # 800+400-80+1600+200-1000-1500
    assert receivable_balance(cid, books.customer2.pk) == D("240.00")  # the receipt was voided
    assert payable_balance(cid, books.supplier.pk) == D("400.00")  # 2500-2000-100
    assert [(i.number, i.open) for i in open_documents(cid, c.pk, "receivable")] == [
        (docs["d4"].number, D("220")), (docs["d5"].number, D("200"))]
    assert open_credits(cid, c.pk, "receivable") == []
    assert [(i.number, i.open) for i in open_documents(cid, books.supplier.pk, "payable")] == [
        (docs["receipt"].number, D("400"))]

    st = statement(cid, c.pk, "receivable", mar(1), mar(31))
    assert st.opening == 0 and st.closing == D("420.00")
    assert [ln.amount for ln in st.lines] == [D(x) for x in ("-1000", "800", "400", "-80", "1600", "200", "-1500")]
    assert (st.increases, st.decreases) == (D("3000"), D("2580"))

    # aging as of the 10th, as it was then: the prepayment was not yet applied
    (row,) = aging(cid, "receivable", mar(10), partner_id=c.pk)
    assert row.buckets["0-30"] == D("1120") and row.unapplied == D("-1000") and row.total == D("120")
    # and in June, by due date (terms 30 days): d4 due 19 April, d5 due 24 April
    rows = {r.partner_id: r for r in aging(cid, "receivable", dt.date(2026, 6, 20))}
    assert rows[c.pk].buckets == {"0-30": 0, "31-60": D("200"), "61-90": D("220"), "90+": 0}
    assert rows[books.customer2.pk].buckets["90+"] == D("240")  # no terms: due on delivery
    (supplier_row,) = aging(cid, "payable", dt.date(2026, 6, 20))
    assert supplier_row.buckets["90+"] == D("400")


def test_a_wholesalers_month(books):
    docs = live_month(books)
    assert_the_books(books, docs)
    assert StockMove.objects.filter(company=books.company).exists()
    assert_ledger_consistent()
    assert_partner_ledger_consistent()


def test_a_trading_companys_month_posts_nothing_to_the_stock_ledger(db):
    books = Books("TRADE", trading=True)
    docs = live_month(books)
    assert_the_books(books, docs)
    # the goods were never "in stock": deliveries went out of an empty warehouse and nothing was refused
    assert not StockMove.objects.filter(company=books.company).exists()
    assert not StockBalance.objects.filter(item__company=books.company).exists()
    assert_ledger_consistent()
    assert_partner_ledger_consistent()
