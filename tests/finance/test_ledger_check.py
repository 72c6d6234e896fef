"""check_partner_ledger: honest books pass; each kind of damage (written behind the services' back) is named."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openjxc.core import clock
from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Allocation, PartnerEntry
from tests.finance.conftest import DAY

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
