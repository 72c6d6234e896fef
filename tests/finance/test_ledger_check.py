"""check_partner_ledger: honest books pass; each kind of damage (written behind the services' back) is named."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from openjxc.core import clock
from openjxc.core.company_settings import set_payable_from
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Allocation, PartnerEntry, Settlement
from openjxc.partners import services as partners
from tests.finance.conftest import DAY, Books

D = Decimal


def codes():
    return sorted({p.code for p in check_partner_ledger()})


def test_honest_books_pass_and_check_ledger_says_so(books):
    d = books.deliver(2, 10)
    books.receive_money("15", allocations=[(d, "15")])
    assert check_partner_ledger() == []
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "partner ledger OK" in out.getvalue()


def test_an_entry_that_does_not_match_its_document_is_named_and_fails_the_command(books):
    d = books.deliver(2, 10)
    PartnerEntry.objects.create(company=books.company, partner=books.customer, book="receivable", document=d,
                                amount=D("1"), business_on=DAY, due_on=DAY, created_at=clock.now())
    assert codes() == ["entry.document_mismatch"]
    with pytest.raises(CommandError, match="partner ledger FAILED"):
        call_command("check_ledger", stdout=StringIO())


def test_over_allocation_and_inexact_reversals_are_named(books):
    d = books.deliver(1, 10)
    s = books.receive_money("50")
    Allocation.objects.create(company=books.company, partner=books.customer, book="receivable", document=d,
                              settlement=s, amount=D("20"), business_on=DAY, created_at=clock.now())
    entry = PartnerEntry.objects.get(document=d)
    PartnerEntry.objects.create(company=books.company, partner=books.customer, book="receivable", document=d,
                                amount=D("-9"), business_on=DAY, due_on=DAY, reverses=entry, created_at=clock.now())
    assert codes() == ["allocation.over_document", "entry.document_mismatch", "reversal.not_exact"]


# Each invariant, damaged the way it catches (rows written behind the services' back: the ledger tables refuse
# UPDATE and DELETE, not INSERT), named with its code; the check reads the database's answer, nothing in Python.

def _entry(books, amount, **kw):
    return PartnerEntry.objects.create(company=books.company, partner=kw.pop("partner", books.customer),
                                       book=kw.pop("book", "receivable"), amount=D(amount), business_on=DAY,
                                       due_on=DAY, created_at=clock.now(), **kw)


def _allocation(books, amount, **kw):
    return Allocation.objects.create(company=books.company, partner=kw.pop("partner", books.customer),
                                     book=kw.pop("book", "receivable"), amount=D(amount), business_on=DAY,
                                     created_at=clock.now(), **kw)


def test_an_allocation_that_is_not_positive_is_named(books):
    d = books.deliver(1, 10)
    s = books.receive_money("5")
    _allocation(books, "-1", document=d, settlement=s)
    assert "allocation.not_positive" in codes()


def test_a_reversal_of_a_reversal_or_of_another_partner_or_reversed_twice_is_named(books):
    d, d2 = books.deliver(1, 10), books.deliver(1, 20)
    entry = PartnerEntry.objects.get(document=d)
    first = _entry(books, "-10", document=d, reverses=entry)
    _entry(books, "-10", document=d, reverses=entry)  # exact, but the second one
    _entry(books, "10", document=d, reverses=first)  # undoes a reversal
    _entry(books, "-20", document=d2, reverses=PartnerEntry.objects.get(document=d2), partner=books.customer2)
    found = check_partner_ledger()
    assert [p.detail for p in found if p.code == "reversal.repeated"] == [f"entry {entry.pk} is reversed 2 times"]
    not_exact = [p.detail for p in found if p.code == "reversal.not_exact"]
    assert len(not_exact) == 2 and f"reverse entry {first.pk}" in not_exact[0]


def test_an_exact_reversal_of_an_allocation_passes_and_an_inexact_one_is_named(books):
    d = books.deliver(1, 10)
    s = books.receive_money("10", allocations=[(d, "10")])
    a = Allocation.objects.get(settlement=s)
    _allocation(books, "-10", document=d, settlement=s, reverses=a)
    _allocation(books, "10", document=d, settlement=s)  # re-applied: the books are right again
    assert check_partner_ledger() == []
    _allocation(books, "-10", document=d, credit_document=d, reverses=a)  # not the same source
    assert "reversal.not_exact" in codes()


def test_a_voided_document_with_entries_left_and_an_entry_on_a_draft_are_named(books):
    d = books.deliver(1, 10)
    books.void(d)
    assert check_partner_ledger() == []
    _entry(books, "10", document=d)
    draft = docs.create_document(by=books.admin, kind="sales_delivery", warehouse=books.main, partner=books.customer,
                                 lines=[LineInput(item=books.flour.pk, quantity=D("1"), unit_price=D("3"))])
    _entry(books, "3", document=draft)
    details = [p.detail for p in check_partner_ledger() if p.code == "entry.document_mismatch"]
    assert details == [f"document {d.number}: ledger 10.00, expected 0.00",
                       f"document {draft.pk} is not posted but has 3.00"]


def test_a_settlement_whose_entries_do_not_net_to_its_amount_is_named(books):
    s = books.receive_money("25")
    assert check_partner_ledger() == []
    _entry(books, "-1", settlement=s)
    assert [p.detail for p in check_partner_ledger()] == [f"{s.number}: ledger -26.00, expected -25.00"]
    assert codes() == ["entry.settlement_mismatch"]


def test_money_applied_beyond_a_receipt_and_credit_beyond_a_return_are_named(books):
    d = books.deliver(10, 10)
    s = books.receive_money("10", allocations=[(d, "10")])
    _allocation(books, "5", document=d, settlement=s)  # 15 of a receipt of 10
    assert codes() == ["allocation.over_credit"]
    ret = books.give_back(d, 1)  # credit 10, applied to the delivery at posting
    assert [p.detail for p in check_partner_ledger()] == [f"settlement {s.pk}: 15.00 applied of 10.00"]
    _allocation(books, "1", document=d, credit_document=ret)
    assert [p.detail for p in check_partner_ledger()][-1] == f"document {ret.pk}: 11.00 applied of 10.00"


def test_a_counter_receipt_not_applied_to_its_own_document_is_named(books):
    walk_in = partners.create_partner(by=books.admin, code="C000", name="门店散客", kind="customer", is_walk_in=True)
    sale = books.post("sales_delivery", [LineInput(item=books.flour.pk, quantity=D("2"), unit_price=D("10"))],
                      partner=walk_in, custom={"payments": [{"method": "cash", "amount": None}]})
    (s,) = Settlement.objects.filter(document=sale)
    assert check_partner_ledger() == []
    a = Allocation.objects.get(settlement=s)
    _allocation(books, "-20", partner=walk_in, document=sale, settlement=s, reverses=a)
    assert codes() == ["counter.not_applied"]


def test_a_receipt_booked_under_the_bill_setting_is_named(books):
    set_payable_from(by=books.admin, source="bill")
    books.company.refresh_from_db()
    receipt = books.buy(2, 5)
    assert check_partner_ledger() == []
    _entry(books, "10", document=receipt, partner=books.supplier, book="payable")
    assert [p.detail for p in check_partner_ledger()] == [f"document {receipt.number}: ledger 10.00, "
                                                          f"expected 0.00"]


def test_a_missing_trigger_is_named(books):
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER finance_allocation_no_update")
        else:
            cur.execute("DROP TRIGGER finance_allocation_no_update ON finance_allocation")
    assert [(p.code, p.detail) for p in check_partner_ledger()] == [
        ("partner_ledger.not_protected", "finance_allocation_no_update")]


def test_one_company_is_checked_alone(books):
    d = books.deliver(2, 10)
    _entry(books, "1", document=d)
    other = Books("BETA")
    other.deliver(1, 10)
    assert check_partner_ledger(other.company.pk) == []
    assert [p.code for p in check_partner_ledger(books.company.pk)] == ["entry.document_mismatch"]


@pytest.mark.django_db(transaction=True)
def test_damage_committed_outside_a_test_transaction_is_found(wipeable_ledger):
    books = Books()
    d = books.deliver(2, 10)
    books.receive_money("20", allocations=[(d, "20")])
    assert check_partner_ledger() == []
    _entry(books, "-1", document=d)
    assert codes() == ["allocation.over_document", "entry.document_mismatch"]
