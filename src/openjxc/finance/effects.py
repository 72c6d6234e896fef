"""What posting and voiding a document does to the partner ledger; attached through documents/hooks.py.

A sales delivery raises what the customer owes, a sales return lowers it; a purchase receipt raises
what we owe the supplier, a purchase return lowers it. The amount is the document's total with tax
when the document has one (`total_with_tax`), else its total. A return's credit is applied to the
document it returns from, as far as that is still open. Voiding writes exact reversals.

A supplier bill (purchase_bill) books the payable instead of the receipt when the company's
`payable_from` setting is "bill" (票到应付); then receipts book nothing. A purchase return lowers the
payable in either mode: returns reduce what was received, not what was billed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import DateField, Sum
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.company_settings import payable_from
from openjxc.core.errors import DomainError
from openjxc.core.events import make_event
from openjxc.core.instances import new_object
from openjxc.core.quantities import ZERO, money
from openjxc.core.sql import prepare
from openjxc.documents import hooks
from openjxc.finance.models import Allocation, Book, PartnerEntry, PartnerTerms
from openjxc.finance.selectors import billed_quantities, receivable_balance

# document kind -> (book, sign): +1 increases what the partner owes us / we owe them
EFFECTS: dict[str, tuple[str, int]] = {
    "sales_delivery": (Book.RECEIVABLE, +1),
    "sales_return": (Book.RECEIVABLE, -1),
    "purchase_receipt": (Book.PAYABLE, +1),
    "purchase_return": (Book.PAYABLE, -1),
    "purchase_bill": (Book.PAYABLE, +1),
}
# which kind books the payable under each `payable_from` setting (core/company_settings.py)
PAYABLE_SOURCE = {"receipt": "purchase_receipt", "bill": "purchase_bill"}


def effect_of(kind: str, company) -> tuple[str, int] | None:
    """(book, sign) a posted document of `kind` puts on the partner ledger in `company`, or None."""
    effect = EFFECTS.get(kind)
    if effect is not None and kind in PAYABLE_SOURCE.values() and kind != PAYABLE_SOURCE[payable_from(company)]:
        return None
    return effect


def document_amount(doc) -> Decimal:
    """The amount a document puts on the partner ledger: with tax when the document carries it."""
    with_tax = getattr(doc, "total_with_tax", None)
    return money(with_tax if with_tax else doc.total_amount)


def terms_days(partner_id: int) -> int:
    return PartnerTerms.objects.filter(partner_id=partner_id).values_list("payment_terms_days", flat=True).first() or 0


def due_date(partner_id: int, business_on: dt.date) -> dt.date:
    return business_on + dt.timedelta(days=terms_days(partner_id))


def due_date_sql(partner_id: int, business_on: dt.date) -> RawSQL:
    """`due_date` computed by the database inside the INSERT of an entry: no SELECT of the terms per posting."""
    terms = "COALESCE((SELECT payment_terms_days FROM finance_partnerterms WHERE partner_id = %s), 0)"
    if connection.vendor == "postgresql":
        return RawSQL(f"(%s::date + {terms})", [business_on, partner_id], output_field=DateField())
    return RawSQL(f"date(%s, '+' || {terms} || ' days')", [business_on.isoformat(), partner_id],
                  output_field=DateField())


def document_open(document_id: int) -> Decimal:
    """What is still owed on a document: its entries less what has been applied to it (caller holds its lock)."""
    owed = PartnerEntry.objects.filter(document_id=document_id).aggregate(s=Sum("amount"))["s"] or ZERO
    applied = Allocation.objects.filter(document_id=document_id).aggregate(s=Sum("amount"))["s"] or ZERO
    return owed - applied


_ENTRY_FIELDS = ("company", "partner", "book", "document", "settlement", "amount", "business_on", "reverses",
                 "created_by", "created_at")
_ENTRY_ATTNAMES = tuple(PartnerEntry._meta.get_field(f).attname for f in _ENTRY_FIELDS)
_entry_sql: dict[tuple, str] = {}


def _insert_entry(entry: PartnerEntry, due_on: RawSQL | dt.date) -> None:
    """INSERT a new entry with its due date (a date or `due_date_sql`) and set its pk: one statement whose text is
    built once per process (the ORM's create compiled it for every posting)."""
    meta = PartnerEntry._meta
    raw = isinstance(due_on, RawSQL)
    key = (connection.vendor, raw)
    sql = _entry_sql.get(key)
    if sql is None:
        q = connection.ops.quote_name
        columns = ", ".join(q(meta.get_field(f).column) for f in (*_ENTRY_FIELDS, "due_on"))
        due = due_on.sql if isinstance(due_on, RawSQL) else "%s"
        sql = _entry_sql[key] = (f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES "
                                 f"({', '.join(['%s'] * len(_ENTRY_FIELDS))}, {due}) RETURNING {q(meta.pk.column)}")
    params = prepare(PartnerEntry, _ENTRY_FIELDS, [getattr(entry, a) for a in _ENTRY_ATTNAMES])
    if isinstance(due_on, RawSQL):
        params += list(due_on.params)
    else:
        params.append(meta.get_field("due_on").get_db_prep_save(due_on, connection))
    with connection.cursor() as cur:
        cur.execute(sql, params)
        entry.pk = cur.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


def post_partner_entries(doc, lines, by, events: list | None = None) -> None:
    """on_post: one entry for the document; a return's credit goes against its source as far as it is open.

    Its outbox event joins `events` (the posting's own, written with them) when given, else is written now."""
    effect = effect_of(doc.kind, doc.company)
    if effect is None or doc.partner_id is None:
        return
    book, sign = effect
    amount = document_amount(doc)
    if amount == 0:
        return
    now = clock.now()
    due_on = due_date_sql(doc.partner_id, doc.business_on) if sign > 0 else doc.business_on
    entry = new_object(PartnerEntry, {
        "company_id": doc.company_id, "partner_id": doc.partner_id, "book": book, "document": doc,
        "amount": sign * amount, "business_on": doc.business_on, "due_on": None,
        "created_by": by if by is not None and by.pk else None, "created_at": now,
    })
    _insert_entry(entry, due_on)  # due_on stays None: the database computed it (due_date_sql); nothing reads it
    event = make_event(company=doc.company_id, topic="partner_ledger.entry", by=by, obj=entry,
                       payload={"book": book, "partner": doc.partner_id, "document": doc.number,
                                "amount": str(entry.amount)})
    if events is not None:
        events.append(event)
    else:
        event.save(force_insert=True)
    if sign < 0 and doc.source_id and EFFECTS.get(doc.source.kind, (None, 0))[1] > 0:
        # the source is locked by the posting service (returns of one delivery are serialized)
        applied = min(amount, document_open(doc.source_id))
        if applied > 0:
            Allocation.objects.create(
                company_id=doc.company_id, partner_id=doc.partner_id, book=book, document_id=doc.source_id,
                credit_document=doc, amount=applied, business_on=doc.business_on, created_by=by, created_at=now,
            )


def reverse_partner_entries(doc, by) -> None:
    """on_void: refuse while receipts or payments are applied to the document; else reverse it exactly."""
    effect = EFFECTS.get(doc.kind)
    if effect is None:
        return
    applied = live_allocations(Allocation.objects.filter(document=doc, settlement__isnull=False))
    if applied:
        numbers = sorted({a.settlement.number for a in applied})
        raise DomainError(
            "finance.document_allocated",
            _("Document %(number)s cannot be voided: %(settlements)s are applied to it. Unapply them first."),
            http_status=409, number=doc.number, settlements=", ".join(numbers),
        )
    on = clock.today(doc.company.time_zone)
    reverse_allocations(live_allocations(Allocation.objects.filter(credit_document=doc)), by=by, on=on)
    reverse_allocations(live_allocations(Allocation.objects.filter(document=doc)), by=by, on=on)
    reverse_entries(PartnerEntry.objects.filter(document=doc), by=by, on=on)


def live_allocations(qs) -> list[Allocation]:
    """The original allocations in `qs` that have not been reversed."""
    return list(
        qs.filter(reverses__isnull=True, reversed_by__isnull=True).select_related("settlement", "document")
        .order_by("id")
    )


def reverse_allocations(originals: list[Allocation], *, by, on: dt.date) -> list[Allocation]:
    now = clock.now()
    return Allocation.objects.bulk_create([
        Allocation(
            company_id=a.company_id, partner_id=a.partner_id, book=a.book, document_id=a.document_id,
            settlement_id=a.settlement_id, credit_document_id=a.credit_document_id, amount=-a.amount,
            business_on=on, reverses=a, created_by=by, created_at=now,
        )
        for a in originals
    ])


def reverse_entries(qs, *, by, on: dt.date) -> list[PartnerEntry]:
    now = clock.now()
    originals = list(qs.filter(reverses__isnull=True, reversed_by__isnull=True).order_by("id"))
    return PartnerEntry.objects.bulk_create([
        PartnerEntry(
            company_id=e.company_id, partner_id=e.partner_id, book=e.book, document_id=e.document_id,
            settlement_id=e.settlement_id, amount=-e.amount, business_on=on, due_on=e.due_on, reverses=e,
            created_by=by, created_at=now,
        )
        for e in originals
    ])


def register_hooks() -> None:
    """The partner ledger follows posting and voiding; order pages and credit checks read its figures.

    Hooks run in the order registered: a voided document's counter receipts are voided before its entry is
    reversed (which refuses while money is applied), a posted one's are recorded after its entry."""
    from openjxc.finance import counter

    hooks.register(kinds=set(counter.KIND_OF), before_post=counter.check_payments, on_void=counter.void_payments)
    hooks.register(kinds=set(EFFECTS), on_post=post_partner_entries, on_void=reverse_partner_entries,
                   batched=True)
    hooks.register(kinds=set(counter.KIND_OF), on_post=counter.record_payments, writes=True)
    hooks.provide("billed_quantities", billed_quantities)
    hooks.provide("receivable_balance", receivable_balance)
