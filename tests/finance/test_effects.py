"""The hook functions themselves, called directly on approved documents (independent of the call sites)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance.effects import document_amount, post_partner_entries, reverse_partner_entries
from openjxc.finance.models import Book, PartnerEntry
from openjxc.finance.selectors import payable_balance, receivable_balance
from openjxc.finance.services import set_payment_terms
from tests.finance.conftest import DAY

D = Decimal


def approved(books, kind, partner, quantity, price):
    doc = docs.create_document(by=books.admin, kind=kind, warehouse=books.main, partner=partner, business_on=DAY,
                               lines=[LineInput(item=books.flour.pk, quantity=D(quantity), unit_price=D(price))])
    return docs.advance_document(doc, by=books.admin, to="approved")


def test_a_delivery_raises_the_receivable_and_its_void_reverses_it_exactly(books):
    set_payment_terms(books.customer, by=books.admin, days=30)
    doc = approved(books, "sales_delivery", books.customer, "10", "8.50")
    post_partner_entries(doc, [], books.admin)
    (entry,) = PartnerEntry.objects.filter(document=doc)
    assert (entry.book, entry.amount, entry.business_on) == (Book.RECEIVABLE, D("85.00"), DAY)
    assert (entry.due_on - DAY).days == 30
    assert receivable_balance(books.company.pk, books.customer.pk) == D("85.00")

    reverse_partner_entries(doc, books.admin)
    reversal = PartnerEntry.objects.get(reverses=entry)
    assert reversal.amount == D("-85.00") and reversal.document_id == doc.pk
    assert receivable_balance(books.company.pk, books.customer.pk) == 0
    reverse_partner_entries(doc, books.admin)  # a second void finds nothing left to reverse
    assert PartnerEntry.objects.filter(document=doc).count() == 2


def test_a_purchase_receipt_raises_the_payable(books):
    doc = approved(books, "purchase_receipt", books.supplier, "4", "2.25")
    post_partner_entries(doc, [], books.admin)
    assert payable_balance(books.company.pk, books.supplier.pk) == D("9.00")
    assert receivable_balance(books.company.pk, books.supplier.pk) == 0


def test_kinds_without_a_partner_effect_write_nothing(books):
    doc = docs.create_document(by=books.admin, kind="other_in", warehouse=books.main,
                               lines=[LineInput(item=books.flour.pk, quantity=D("1"), unit_price=D("3"))])
    post_partner_entries(doc, [], books.admin)
    assert not PartnerEntry.objects.exists()


def test_the_amount_with_tax_is_used_when_the_document_has_it(books):
    doc = approved(books, "sales_delivery", books.customer, "1", "100")
    doc.total_with_tax = D("113.00")  # the attribute the orders work adds to documents
    assert document_amount(doc) == D("113.00")
    del doc.total_with_tax
    assert document_amount(doc) == D("100.00")


def test_entries_cannot_be_updated_or_deleted(books):
    doc = approved(books, "sales_delivery", books.customer, "1", "5")
    post_partner_entries(doc, [], books.admin)
    entry = PartnerEntry.objects.get(document=doc)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PartnerEntry.objects.filter(pk=entry.pk).update(amount=D("1"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PartnerEntry.objects.filter(pk=entry.pk).delete()
    assert PartnerEntry.objects.get(pk=entry.pk).amount == D("5.00")


def test_the_backfill_migration_gives_earlier_documents_their_entries_once(books):
    import importlib

    from django.apps import apps

    from tests.finance.conftest import assert_partner_ledger_consistent

    backfill = importlib.import_module("openjxc.finance.migrations.0003_backfill_partner_ledger").backfill
    delivery = books.deliver(2, 10)
    voided = books.buy(3, 1)
    docs.void_document(voided, by=books.admin, reason="wrong supplier")
    backfill(apps, None)
    backfill(apps, None)  # a second run adds nothing
    assert [e.amount for e in PartnerEntry.objects.filter(document=delivery)] == [D("20.00")]
    assert sorted(e.amount for e in PartnerEntry.objects.filter(document=voided)) == [D("-3.00"), D("3.00")]
    assert_partner_ledger_consistent()


def test_a_delivery_posted_at_creation_falls_due_by_the_terms_and_its_event_names_the_final_number(books):
    # given a customer paying in 45 days, and one paying at once (no terms row)
    set_payment_terms(books.customer, by=books.admin, days=45)
    books.receive(books.flour, 20, "5.00")
    # when a delivery is created and posted in one call
    doc = docs.create_document(by=books.admin, kind="sales_delivery", warehouse=books.main, partner=books.customer,
                               business_on=DAY, advance_to="posted",
                               lines=[LineInput(item=books.flour.pk, quantity=D("2"), unit_price=D("8"))])
    # then its entry falls due 45 days after the business date (computed by the database in the INSERT)
    entry = PartnerEntry.objects.get(document=doc)
    assert entry.due_on == DAY + dt.timedelta(days=45) and entry.business_on == DAY
    # and the ledger's outbox event, written with the posting's own, names the number the document kept
    event = Event.objects.get(topic="partner_ledger.entry", object_id=str(entry.pk))
    assert event.payload["document"] == doc.number and not doc.number.startswith("~")
    assert Event.objects.filter(topic="document.post", object_id=str(doc.pk)).count() == 1
