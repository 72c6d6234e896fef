"""Receipts and payments: numbers, lifecycle, allocation (partial, several documents, prepayment), refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core.errors import DomainError
from openjxc.core.models import AuditRecord, Event, Role
from openjxc.finance import services as fin
from openjxc.finance.models import Allocation, PartnerEntry, SettlementStatus
from openjxc.finance.selectors import open_credits, open_documents, receivable_balance
from tests.finance.conftest import DAY, assert_partner_ledger_consistent

D = Decimal


def refused(code):
    return pytest.raises(DomainError, match=rf"^{code}:")


def open_of(books, doc):
    found = [i for i in open_documents(books.company.pk, doc.partner_id, "receivable") if i.id == doc.pk]
    return found[0].open if found else D(0)


def test_a_receipt_is_numbered_posted_audited_and_lowers_the_receivable(books):
    books.deliver(10, 10)
    s = fin.create_settlement(by=books.admin, kind="receipt", partner=books.customer, amount=D("40"),
                              business_on=DAY, method="bank")
    assert s.number == "SKD-20260301-0001" and s.status == SettlementStatus.DRAFT
    assert receivable_balance(books.company.pk, books.customer.pk) == D("100")
    s = fin.post_settlement(s, by=books.admin)
    assert s.status == SettlementStatus.POSTED
    assert fin.post_settlement(s, by=books.admin).status == SettlementStatus.POSTED  # idempotent
    assert PartnerEntry.objects.filter(settlement=s).count() == 1
    assert receivable_balance(books.company.pk, books.customer.pk) == D("60")
    assert Event.objects.filter(topic="settlement.post", object_id=str(s.pk)).count() == 1
    assert AuditRecord.objects.filter(action="post", object_id=str(s.pk), actor=books.admin).exists()
    payment = books.pay("5")
    assert payment.number == "FKD-20260301-0001"
    assert_partner_ledger_consistent()


def test_one_receipt_pays_several_deliveries_partly_and_the_rest_stays_as_credit(books):
    d1, d2, d3 = books.deliver(10, 10), books.deliver(5, 10), books.deliver(2, 10)
    s = books.receive_money("200", allocations=[(d1, "100"), (d2, "30")])
    assert open_of(books, d1) == 0 and open_of(books, d2) == D("20") and open_of(books, d3) == D("20")
    (credit,) = open_credits(books.company.pk, books.customer.pk, "receivable")
    assert (credit.number, credit.open) == (s.number, D("70"))
    # the prepayment's rest is allocated later
    fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d2.pk, D("20")),
                                                             fin.AllocationInput(d3, D("20"))])
    assert open_of(books, d2) == 0 and open_of(books, d3) == 0
    assert open_credits(books.company.pk, books.customer.pk, "receivable")[0].open == D("30")
    assert receivable_balance(books.company.pk, books.customer.pk) == D("-30")
    assert_partner_ledger_consistent()


def test_over_allocation_is_refused_and_writes_nothing(books):
    d1, d2 = books.deliver(1, 50), books.deliver(1, 50)
    s = books.receive_money("60")
    before = (Allocation.objects.count(), Event.objects.count())
    with refused("finance.over_allocated"):
        fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d1, D("50.01"))])
    with refused("finance.over_allocated"):  # the same document twice counts once, summed
        fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d1, D("30")),
                                                                 fin.AllocationInput(d1, D("30"))])
    with refused("finance.credit_exceeded"):
        fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d1, D("50")),
                                                                 fin.AllocationInput(d2, D("10.01"))])
    with refused("validation.failed"):
        fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d1, D("-1"))])
    with refused("validation.failed"):
        fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(d1, D("0.001"))])
    assert (Allocation.objects.count(), Event.objects.count()) == before


def test_allocation_refuses_other_partners_wrong_books_and_drafts(books):
    mine, theirs = books.deliver(1, 50), books.deliver(1, 50, customer=books.customer2)
    purchase = books.buy(1, 5)
    s = books.receive_money("100")
    for doc in (theirs, purchase):
        with refused("finance.not_allocatable"):
            fin.allocate(by=books.admin, settlement=s, allocations=[fin.AllocationInput(doc, D("1"))])
    draft = fin.create_settlement(by=books.admin, kind="receipt", partner=books.customer, amount=D("5"))
    with refused("finance.not_posted"):
        fin.allocate(by=books.admin, settlement=draft, allocations=[fin.AllocationInput(mine, D("1"))])
    with refused("partner.wrong_role"):
        fin.create_settlement(by=books.admin, kind="payment", partner=books.customer, amount=D("5"))
    with refused("validation.failed"):
        fin.create_settlement(by=books.admin, kind="receipt", partner=books.customer, amount=D("0"))


def test_voiding_a_receipt_reverses_its_entry_and_allocations(books):
    d1 = books.deliver(10, 10)
    s = books.receive_money("100", allocations=[(d1, "100")])
    assert receivable_balance(books.company.pk, books.customer.pk) == 0
    with refused("validation.failed"):
        fin.void_settlement(s, by=books.admin, reason=" ")
    fin.void_settlement(s, by=books.admin, reason="bounced")
    assert receivable_balance(books.company.pk, books.customer.pk) == D("100")
    assert open_of(books, d1) == D("100")
    assert Allocation.objects.filter(reverses__isnull=False).count() == 1
    with refused("document.invalid_transition"):
        fin.void_settlement(s, by=books.admin, reason="again")
    assert_partner_ledger_consistent()


def test_a_delivery_with_money_applied_cannot_be_voided_until_unallocated(books):
    d1 = books.deliver(10, 10)
    s = books.receive_money("100", allocations=[(d1, "60")])
    with refused("finance.document_allocated"):
        books.void(d1)
    (a,) = Allocation.objects.filter(settlement=s)
    fin.unallocate(a, by=books.admin)
    with refused("finance.already_unallocated"):
        fin.unallocate(a, by=books.admin)
    books.void(d1)
    assert receivable_balance(books.company.pk, books.customer.pk) == D("-100")
    assert open_credits(books.company.pk, books.customer.pk, "receivable")[0].open == D("100")
    assert_partner_ledger_consistent()


def test_a_return_credits_its_delivery_and_its_void_takes_the_credit_back(books):
    d1 = books.deliver(10, 10)
    ret = books.give_back(d1, 3)
    assert receivable_balance(books.company.pk, books.customer.pk) == D("70")
    assert open_of(books, d1) == D("70")
    books.void(ret)
    assert open_of(books, d1) == D("100")
    assert_partner_ledger_consistent()


def test_a_return_of_a_paid_delivery_leaves_a_credit(books):
    d1 = books.deliver(10, 10)
    books.receive_money("100", allocations=[(d1, "100")])
    ret = books.give_back(d1, 2)
    (credit,) = open_credits(books.company.pk, books.customer.pk, "receivable")
    assert (credit.id, credit.open) == (ret.pk, D("20"))
    d2 = books.deliver(1, 15)
    fin.allocate(by=books.admin, credit_document=ret, allocations=[fin.AllocationInput(d2, D("15"))])
    assert open_of(books, d2) == 0
    assert receivable_balance(books.company.pk, books.customer.pk) == D("-5")
    assert_partner_ledger_consistent()


def test_cancel_a_draft_and_roles(books):
    s = fin.create_settlement(by=books.admin, kind="receipt", partner=books.customer, amount=D("5"))
    fin.cancel_settlement(s, by=books.admin)
    with refused("document.invalid_transition"):
        fin.post_settlement(s, by=books.admin)
    keeper = books.user("keeper1", Role.KEEPER)
    with refused("permission.denied"):
        fin.create_settlement(by=keeper, kind="receipt", partner=books.customer, amount=D("5"))
    cashier = books.user("cashier1", Role.CASHIER)
    posted = fin.create_settlement(by=cashier, kind="receipt", partner=books.customer, amount=D("5"), post=True)
    with refused("permission.denied"):
        fin.void_settlement(posted, by=cashier, reason="x")


def test_another_company_cannot_touch_a_receipt(books):
    from tests.finance.conftest import Books

    other = Books("OTHER")
    s = books.receive_money("5")
    with refused("finance.settlement_not_found"):
        fin.void_settlement(s, by=other.admin, reason="x")
    with refused("partner.not_found"):
        fin.create_settlement(by=other.admin, kind="receipt", partner=books.customer.pk, amount=D("5"))


def test_numbers_are_per_day_and_gap_free(books):
    a = books.receive_money("1", on=DAY)
    b = books.receive_money("1", on=DAY)
    c = books.receive_money("1", on=DAY + dt.timedelta(days=1))
    assert [a.number, b.number, c.number] == ["SKD-20260301-0001", "SKD-20260301-0002", "SKD-20260302-0001"]
