"""The counter's receipts and refunds (finance/counter.py) are written as rows — the settlements in one INSERT,
their partner entries, allocations, outbox events and audit records with the posting's own changes — and those
rows are the ones the ORM's creates wrote before, column by column, on both engines: with the posting's batch
(the posting service) and on their own (a caller that gives none). Committed for real, as a till's push is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from openjxc.core import clock
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import AuditRecord, Event
from openjxc.core.numbering import next_number
from openjxc.documents import services as docs
from openjxc.documents.models import DocumentLine
from openjxc.documents.services import LineInput
from openjxc.finance import counter
from openjxc.finance.models import (
    Allocation,
    Book,
    PartnerEntry,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from tests.conftest import assert_ledger_consistent
from tests.finance.conftest import DAY, assert_partner_ledger_consistent

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
AT = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def _orm_record(doc, by) -> list[Settlement]:
    """What record_payments wrote before it wrote rows (its code then): the ORM's creates, one per row."""
    payments = counter.payments_of(doc)
    kind = counter.KIND_OF[doc.kind]
    now = clock.now()
    till = str((doc.custom or {}).get("terminal") or "")[:32]
    out = []
    for p in payments:
        s = Settlement.objects.create(
            company_id=doc.company_id, kind=kind, number=next_number(doc.company, counter.PREFIX[kind], doc.business_on),
            status=SettlementStatus.POSTED, partner_id=doc.partner_id, business_on=doc.business_on, amount=p.amount,
            method=p.method, document=doc, till=till, created_by=by, created_at=now,
            posted_at=now, posted_by=by, updated_at=now,
        )
        PartnerEntry.objects.create(
            company_id=doc.company_id, partner_id=doc.partner_id, book=Book.RECEIVABLE, settlement=s,
            amount=s.sign * s.amount, business_on=s.business_on, due_on=s.business_on, created_by=by, created_at=now,
        )
        if kind == SettlementKind.RECEIPT:
            Allocation.objects.create(
                company_id=doc.company_id, partner_id=doc.partner_id, book=Book.RECEIVABLE, document=doc,
                settlement=s, amount=s.amount, business_on=s.business_on, created_by=by, created_at=now,
            )
        payload = {"number": s.number, "kind": s.kind, "method": s.method, "amount": str(s.amount),
                   "document": doc.pk, "till": till}
        record_event(company=doc.company_id, topic="settlement.counter", by=by, obj=s, payload=payload)
        record_audit(company=doc.company_id, action="counter_settlement", obj=s, by=by, after=payload)
        out.append(s)
    return out


def _columns(obj, *leave: str) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if f.attname not in leave}


def _written(settlement_ids: list[int]) -> list[dict]:
    """Every row written for these settlements, read back, one dict per settlement: its own columns and its
    entry's, allocation's, event's and audit record's — the keys and numbers that differ by construction left
    out (each row's id, the settlement's number and id where a row points at it)."""
    out = []
    for pk in settlement_ids:
        s = Settlement.objects.get(pk=pk)
        event = Event.objects.get(topic="settlement.counter", object_type="finance.settlement", object_id=str(pk))
        audit = AuditRecord.objects.get(action="counter_settlement", object_type="finance.settlement",
                                        object_id=str(pk))
        assert event.payload["number"] == audit.after["number"] == s.number
        out.append({
            "settlement": _columns(s, "id", "number"),
            "entries": [_columns(e, "id", "settlement_id") for e in PartnerEntry.objects.filter(settlement_id=pk)],
            "allocations": [_columns(a, "id", "settlement_id") for a in Allocation.objects.filter(settlement_id=pk)],
            "event": {**_columns(event, "id", "object_id", "txid", "payload"),
                      "payload": {k: v for k, v in event.payload.items() if k != "number"}},
            "audit": {**_columns(audit, "id", "object_id", "after"),
                      "after": {k: v for k, v in audit.after.items() if k != "number"}},
        })
    return out


def _compare(doc, by, written: list[int]) -> None:
    with transaction.atomic():
        reference = [s.pk for s in _orm_record(doc, by)]
    assert len(written) == len(reference) > 0
    assert _written(written) == _written(reference)


def test_counter_rows_are_what_the_orm_wrote(wipeable_ledger, books):
    clock.freeze(AT)
    try:
        by = books.admin
        sale = docs.create_document(
            by=by, kind="sales_delivery", warehouse=books.main, partner=books.customer, business_on=DAY,
            lines=[LineInput(item=books.flour.pk, quantity=D("3"), unit_price=D("12.35"))],
            custom={"terminal": "POS1", "payments": [{"method": "cash", "amount": "10.05"}, {"method": "wechat"}]},
            advance_to="posted")
        receipts = list(Settlement.objects.filter(document=sale).order_by("pk").values_list("pk", flat=True))
        assert [Settlement.objects.get(pk=pk).amount for pk in receipts] == [D("10.05"), D("27.00")]
        _compare(sale, by, receipts)

        line = DocumentLine.objects.get(document=sale)
        ret = docs.create_document(
            by=by, kind="sales_return", warehouse=books.main, partner=books.customer, business_on=DAY, source=sale,
            lines=[LineInput(item=books.flour.pk, quantity=D("1"), unit_price=line.unit_price, source_line=line.pk)],
            custom={"payments": [{"method": "cash"}]}, advance_to="posted")
        refunds = list(Settlement.objects.filter(document=ret).values_list("pk", flat=True))
        assert [Settlement.objects.get(pk=pk).kind for pk in refunds] == [SettlementKind.REFUND]
        _compare(ret, by, refunds)

        # a caller that gives no batch: the rows are written by record_payments itself, the same rows
        with transaction.atomic():
            before = set(Settlement.objects.filter(document=sale).values_list("pk", flat=True))
            counter.record_payments(sale, None, by)
            direct = sorted(set(Settlement.objects.filter(document=sale).values_list("pk", flat=True)) - before)
        _compare(sale, by, direct)
    finally:
        clock.freeze(None)


def test_a_till_sale_commits_its_receipt_with_the_posting(wipeable_ledger, books):
    # the receipt's rows ride the posting's last statement: a posting rolled back after them leaves none of them
    by = books.admin
    with pytest.raises(RuntimeError), transaction.atomic():
        docs.create_document(
            by=by, kind="sales_delivery", warehouse=books.main, partner=books.customer, business_on=DAY,
            lines=[LineInput(item=books.flour.pk, quantity=D("1"), unit_price=D("10"))],
            custom={"payments": [{"method": "cash"}]}, advance_to="posted")
        assert Settlement.objects.count() == PartnerEntry.objects.filter(settlement__isnull=False).count() == 1
        raise RuntimeError("after the posting")
    assert not Settlement.objects.exists() and not Allocation.objects.filter(settlement__isnull=False).exists()
    assert not Event.objects.filter(topic="settlement.counter").exists()
    assert not AuditRecord.objects.filter(action="counter_settlement").exists()
    assert_ledger_consistent(books.company.pk)
    assert_partner_ledger_consistent(books.company.pk)
