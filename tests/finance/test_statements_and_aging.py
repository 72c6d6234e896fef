"""Statements (对账单) for a period and aging (账龄) as of any date, from due dates or business dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openjxc.finance import services as fin
from openjxc.finance.selectors import BUCKETS, aging, bucket_of, receivable_balance, statement

D = Decimal
MAR = dt.date(2026, 3, 1)


def days(n):
    return MAR + dt.timedelta(days=n)


def test_buckets_have_their_edges_where_the_issue_says():
    assert [bucket_of(d) for d in (-5, 0, 30, 31, 60, 61, 90, 91, 400)] == [
        "0-30", "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+", "90+"]


def test_a_statement_has_opening_entries_running_balance_and_closing(books):
    books.deliver(10, 10, on=days(-3))  # before the period: in the opening balance
    d2 = books.deliver(5, 10, on=days(2))
    books.receive_money("120", on=days(5), allocations=[(d2, "50")])
    books.give_back(d2, 1, on=days(7))
    books.deliver(1, 10, on=days(40))  # after the period
    st = statement(books.company.pk, books.customer.pk, "receivable", MAR, days(30))
    assert st.opening == D("100")
    assert [(ln.number[:4], ln.amount, ln.balance) for ln in st.lines] == [
        ("XSCK", D("50"), D("150")), ("SKD-", D("-120"), D("30")), ("XSTH", D("-10"), D("20"))]
    assert st.closing == D("20") == receivable_balance(books.company.pk, books.customer.pk, as_of=days(30))
    assert (st.increases, st.decreases) == (D("50"), D("130"))
    empty = statement(books.company.pk, books.customer2.pk, "receivable", MAR, days(30))
    assert (empty.opening, empty.closing, empty.lines) == (0, 0, [])


def test_aging_by_due_date_and_by_business_date_as_of_two_dates(books):
    fin.set_payment_terms(books.customer, by=books.admin, days=30)
    old = books.deliver(10, 10, on=days(0))  # due day 30
    books.deliver(5, 10, on=days(50))  # due day 80
    books.receive_money("30", on=days(55), allocations=[(old, "20")])  # 10 left unapplied

    (row,) = aging(books.company.pk, "receivable", days(60))
    assert row.buckets == {"0-30": D("130"), "31-60": 0, "61-90": 0, "90+": 0}  # old: 30 days past due
    assert row.unapplied == D("-10") and row.total == D("120")

    (row,) = aging(books.company.pk, "receivable", days(60), basis="business")
    assert row.buckets == {"0-30": D("50"), "31-60": D("80"), "61-90": 0, "90+": 0}

    (row,) = aging(books.company.pk, "receivable", days(125))
    assert row.buckets == {"0-30": 0, "31-60": D("50"), "61-90": 0, "90+": D("80")}
    assert row.total == receivable_balance(books.company.pk, books.customer.pk)

    # as of a date before the receipt, nothing was applied yet
    (row,) = aging(books.company.pk, "receivable", days(52), basis="business")
    assert row.buckets == {"0-30": D("50"), "31-60": D("100"), "61-90": 0, "90+": 0} and row.unapplied == 0
    assert list(row.buckets) == list(BUCKETS)


def test_aging_of_payables_is_per_supplier(books):
    books.buy(10, 2, on=days(0))
    books.pay("5", on=days(1))
    (row,) = aging(books.company.pk, "payable", days(100))
    assert row.partner_id == books.supplier.pk
    assert row.buckets["90+"] == D("20") and row.unapplied == D("-5") and row.total == D("15")
