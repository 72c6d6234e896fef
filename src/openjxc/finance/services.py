"""Receipts (收款单) and payments (付款单), allocating them to documents, payment terms.

Every service takes the acting user (`by`), runs in one transaction, writes an outbox event and an
audit record, and refuses bad input with a DomainError before anything is written. Rows are locked
in one order — the receipt or payment (or the crediting return) first, then the documents it pays
by id — so concurrent allocations can neither deadlock nor apply more than is open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Role
from openjxc.core.numbering import next_number
from openjxc.core.permissions import allowed, company_of
from openjxc.core.quantities import ZERO, parse_decimal
from openjxc.documents.lifecycle import Machine, lock_row
from openjxc.documents.models import Document, Status
from openjxc.finance.effects import (
    EFFECTS,
    document_open,
    live_allocations,
    reverse_allocations,
    reverse_entries,
)
from openjxc.finance.models import (
    Allocation,
    Book,
    PartnerEntry,
    PartnerTerms,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from openjxc.partners.models import Partner
from openjxc.stock import periods

PREFIX = {SettlementKind.RECEIPT: "SKD", SettlementKind.PAYMENT: "FKD"}
ROLE_OF = {SettlementKind.RECEIPT: "customer", SettlementKind.PAYMENT: "supplier"}

def _settlement_payload(s, action: str, before: str, target: str, reason: str) -> dict:
    return {"number": s.number, "kind": s.kind, "from": before, "to": target, "amount": str(s.amount),
            "reason": reason}


# One table says what may happen to a receipt or payment: action -> (statuses it may start from, status after).
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    "post": ({SettlementStatus.DRAFT}, SettlementStatus.POSTED),
    "void": ({SettlementStatus.POSTED}, SettlementStatus.VOIDED),
    "cancel": ({SettlementStatus.DRAFT}, SettlementStatus.CANCELLED),
}
ACTION_LABELS = {"post": _("post"), "void": _("void"), "cancel": _("cancel")}
SETTLEMENTS = Machine(
    name="settlement",
    table={action: (frozenset(starts), target) for action, (starts, target) in TRANSITIONS.items()},
    labels=ACTION_LABELS,
    stamps={"post": ("posted", True), "void": ("voided", True)},
    reason_fields={"void": "void_reason", "cancel": "void_reason"},
    payload=_settlement_payload,
)

_CASH = {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.CASHIER}
ROLES: dict[str, tuple[set[str], object]] = {
    "finance.view": (_CASH | {Role.SALESPERSON, Role.PURCHASER}, _("view receivables and payables")),
    "finance.record": (_CASH, _("record receipts and payments")),
    "finance.void": ({Role.ADMIN, Role.MANAGER, Role.FINANCE}, _("void receipts and payments")),
    "finance.terms": ({Role.ADMIN, Role.MANAGER, Role.FINANCE}, _("set payment terms")),
}


def require(by, action: str) -> None:
    """Refuse unless `by` may do the finance `action`."""
    roles, label = ROLES[action]
    if not allowed(by, action, roles):
        raise PermissionDenied(action=label)


NOUNS = {"settlement": _("Receipt or payment"), "allocation": _("Allocation")}


class NotFoundHere(NotFound):
    """NotFound for the finance rows, with their names translated in the message."""

    def __init__(self, what: str, key, code: str | None = None):
        super().__init__(what, key, code)
        self.display = {"what": NOUNS.get(what, what)}
        self.args = (f"{self.code}: {self.render_message()}",)


@dataclass
class AllocationInput:
    document: object  # Document or id
    amount: object


# ---------------------------------------------------------------- helpers


def _amount(value, field: str) -> Decimal:
    return parse_decimal(value, field, places=2, zero=False)


def _partner(company, ref, role: str) -> Partner:
    if isinstance(ref, Partner):
        p = ref if ref.company_id == company.pk else None
    elif isinstance(ref, int) and not isinstance(ref, bool):
        p = Partner.objects.filter(company=company, pk=ref).first()
    elif isinstance(ref, str) and ref:
        p = Partner.objects.filter(company=company, code=ref).first()
    else:
        p = None
    if p is None:
        raise NotFound("partner", getattr(ref, "pk", ref))
    if not p.plays(role) or not p.is_active:
        raise DomainError(
            "partner.wrong_role", _("%(partner)s is not an active %(role)s."), http_status=422,
            partner=p.name, role=str(_("supplier") if role == "supplier" else _("customer")),
        )
    return p


def _snapshot(s: Settlement) -> dict:
    return {"number": s.number, "kind": s.kind, "status": s.status, "partner": s.partner_id,
            "amount": str(s.amount), "business_on": str(s.business_on)}


def _locked(settlement, by) -> Settlement:
    pk = settlement.pk if isinstance(settlement, Settlement) else settlement
    return lock_row(Settlement.objects.select_related("company", "partner"), pk, company_id=by.company_id,
                    missing=lambda key: NotFoundHere("settlement", key, code="finance.settlement_not_found"))


# ---------------------------------------------------------------- receipts and payments


@transaction.atomic
def create_settlement(
    *, by, kind: str, partner, amount, business_on: dt.date | None = None, method: str = "", reference: str = "",
    memo: str = "", post: bool = False, allocations: list[AllocationInput] | None = None,
) -> Settlement:
    """Record a draft receipt (from a customer) or payment (to a supplier) with its number.

    With `post` it is posted in the same transaction, and `allocations` are then applied to documents;
    what is not allocated stays on the partner as a credit (a prepayment) to allocate later.
    """
    require(by, "finance.record")
    company = company_of(by)
    if kind not in PREFIX:
        raise ValidationFailed(field="kind", reason=_("must be receipt or payment"))
    p = _partner(company, partner, ROLE_OF[kind])
    value = _amount(amount, "amount")
    if allocations and not post:
        raise ValidationFailed(field="allocations", reason=_("can only be given when the receipt or payment is posted"))
    day = business_on or clock.today(company.time_zone)
    now = clock.now()
    s = Settlement.objects.create(
        company=company, kind=kind, number=next_number(company, PREFIX[kind], day), partner=p, business_on=day,
        amount=value, method=(method or "")[:32], reference=(reference or "")[:100], memo=(memo or "")[:500],
        created_by=by, created_at=now, updated_at=now,
    )
    record_event(company=company, topic="settlement.create", by=by, obj=s, payload=_snapshot(s))
    record_audit(company=company, action="create", obj=s, by=by, after=_snapshot(s))
    if post:
        s = post_settlement(s, by=by)
        if allocations:
            allocate(by=by, settlement=s, allocations=allocations, business_on=s.business_on)
    return s


@transaction.atomic
def post_settlement(settlement, *, by) -> Settlement:
    """Post a receipt or payment to the partner ledger: it lowers what the partner owes (or we owe)."""
    require(by, "finance.record")
    s = _locked(settlement, by)
    if s.status == SettlementStatus.POSTED:
        return s  # posting twice changes nothing
    periods.require_open(s.company, s.business_on)  # nothing is posted into a closed month
    SETTLEMENTS.transition(s, "post", by=by)
    PartnerEntry.objects.create(
        company_id=s.company_id, partner_id=s.partner_id, book=s.book, settlement=s, amount=s.sign * s.amount,
        business_on=s.business_on, due_on=s.business_on, created_by=by, created_at=clock.now(),
    )
    return s


@transaction.atomic
def void_settlement(settlement, *, by, reason: str) -> Settlement:
    """Void a posted receipt or payment: its allocations and its ledger entry are reversed exactly."""
    require(by, "finance.void")
    if not reason or not reason.strip():
        raise ValidationFailed(field="reason", reason=_("is required to void a document"))
    s = _locked(settlement, by)
    SETTLEMENTS.check(s, "void")
    if s.document_id is not None:
        raise DomainError("finance.counter_settlement",
                          _("%(number)s was taken with a document at the counter: void the document instead."),
                          http_status=409, number=s.number)
    periods.require_open(s.company, s.business_on)
    on = clock.today(s.company.time_zone)
    reverse_allocations(live_allocations(Allocation.objects.filter(settlement=s)), by=by, on=on)
    reverse_entries(PartnerEntry.objects.filter(settlement=s), by=by, on=on)
    SETTLEMENTS.transition(s, "void", by=by, reason=reason.strip())
    return s


@transaction.atomic
def cancel_settlement(settlement, *, by, reason: str = "") -> Settlement:
    """Cancel a draft receipt or payment. Nothing is deleted; its number stays used."""
    require(by, "finance.record")
    s = _locked(settlement, by)
    SETTLEMENTS.transition(s, "cancel", by=by, reason=(reason or "").strip())
    return s


# ---------------------------------------------------------------- allocation


def _credit_open_of_settlement(s: Settlement) -> Decimal:
    applied = sum((a.amount for a in Allocation.objects.filter(settlement=s)), ZERO)
    return s.amount - applied


def _credit_open_of_document(doc: Document) -> Decimal:
    credit = -sum((e.amount for e in PartnerEntry.objects.filter(document=doc)), ZERO)
    applied = sum((a.amount for a in Allocation.objects.filter(credit_document=doc)), ZERO)
    return credit - applied


@transaction.atomic
def allocate(*, by, allocations: list[AllocationInput], settlement=None, credit_document=None,
             business_on: dt.date | None = None) -> list[Allocation]:
    """Apply a posted receipt or payment (or a posted return's credit) to documents of the same partner.

    Refuses (finance.over_allocated) more than a document still has open, and (finance.credit_exceeded)
    more than is left of the money or credit.
    """
    require(by, "finance.record")
    company = company_of(by)
    if (settlement is None) == (credit_document is None):
        raise ValidationFailed(field="settlement", reason=_("give either a receipt or payment, or a return"))
    if not allocations:
        raise ValidationFailed(field="allocations", reason=_("must have at least one line"))
    # fixed order: the credit first, then the documents by id, as every allocation does
    if settlement is not None:
        credit = _locked(settlement, by)
        if credit.status != SettlementStatus.POSTED:
            raise DomainError("finance.not_posted", _("%(number)s is not posted."), http_status=409,
                              number=credit.number)
        book, partner_id, credit_number = credit.book, credit.partner_id, credit.number
        left = _credit_open_of_settlement(credit)
    else:
        pk = credit_document.pk if isinstance(credit_document, Document) else credit_document
        credit = Document.objects.select_for_update(of=("self",)).filter(company=company, pk=pk).first()
        if credit is None:
            raise NotFound("document", pk)
        book, sign = EFFECTS.get(credit.kind, (None, 0))
        if sign >= 0 or credit.status != Status.POSTED:
            raise DomainError("finance.not_a_credit", _("%(number)s is not a posted return."), http_status=409,
                              number=credit.number)
        partner_id, credit_number = credit.partner_id, credit.number
        left = _credit_open_of_document(credit)

    wanted: dict[int, Decimal] = {}
    for n, a in enumerate(allocations, start=1):
        ref = a.document.pk if isinstance(a.document, Document) else a.document
        if not isinstance(ref, int) or isinstance(ref, bool):
            raise ValidationFailed(field=f"allocations[{n}].document", reason=_("is not a document"))
        wanted[ref] = wanted.get(ref, ZERO) + _amount(a.amount, f"allocations[{n}].amount")
    docs = {d.pk: d for d in Document.objects.select_for_update(of=("self",))
            .filter(company=company, pk__in=sorted(wanted)).order_by("pk")}
    total = ZERO
    now = clock.now()
    # an allocation is dated when it is made (today by default), never before what it links
    day = max([business_on or clock.today(company.time_zone), credit.business_on, *(d.business_on for d in docs.values())])
    rows = []
    for pk in sorted(wanted):
        doc = docs.get(pk)
        if doc is None:
            raise NotFound("document", pk)
        doc_book, sign = EFFECTS.get(doc.kind, (None, 0))
        if doc_book != book or sign <= 0 or doc.partner_id != partner_id or doc.status != Status.POSTED:
            raise DomainError(
                "finance.not_allocatable", _("%(credit)s cannot be applied to %(number)s."), http_status=422,
                credit=credit_number, number=doc.number,
            )
        is_open = document_open(pk)
        if wanted[pk] > is_open:
            raise DomainError(
                "finance.over_allocated",
                _("%(number)s has only %(open)s open; %(requested)s cannot be applied to it."),
                http_status=409, number=doc.number, open=is_open, requested=wanted[pk],
            )
        total += wanted[pk]
        rows.append(Allocation(
            company=company, partner_id=partner_id, book=book, document=doc,
            settlement=credit if settlement is not None else None,
            credit_document=credit if settlement is None else None,
            amount=wanted[pk], business_on=day, created_by=by, created_at=now,
        ))
    if total > left:
        raise DomainError(
            "finance.credit_exceeded",
            _("Only %(left)s of %(number)s is left to apply; %(requested)s requested."),
            http_status=409, number=credit_number, left=left, requested=total,
        )
    created = Allocation.objects.bulk_create(rows)
    record_event(company=company, topic="allocation.create", by=by, obj=credit, payload={
        "credit": credit_number, "allocations": [{"document": r.document.number, "amount": str(r.amount)} for r in rows],
    })
    record_audit(company=company, action="allocate", obj=credit, by=by,
                 after={"allocations": {r.document.number: str(r.amount) for r in rows}})
    return created


@transaction.atomic
def unallocate(allocation, *, by) -> Allocation:
    """Take an allocation back (a reversing row): the document is open again and the credit free again."""
    require(by, "finance.void")
    pk = allocation.pk if isinstance(allocation, Allocation) else allocation
    a = Allocation.objects.filter(pk=pk, company_id=by.company_id).first()
    if a is None:
        raise NotFoundHere("allocation", pk, code="finance.allocation_not_found")
    # fixed order: the credit first, as in allocate()
    if a.settlement_id:
        _locked(a.settlement_id, by)
    else:
        Document.objects.select_for_update(of=("self",)).filter(pk=a.credit_document_id).first()
    if a.reverses_id is not None or Allocation.objects.filter(reverses=a).exists():
        raise DomainError("finance.already_unallocated", _("This allocation was already taken back."),
                          http_status=409)
    (reversal,) = reverse_allocations([a], by=by, on=clock.today(by.company.time_zone))
    record_event(company=a.company_id, topic="allocation.reverse", by=by, obj=a,
                 payload={"document": a.document_id, "amount": str(a.amount)})
    record_audit(company=a.company_id, action="unallocate", obj=a, by=by, before={"amount": str(a.amount)})
    return reversal


# ---------------------------------------------------------------- payment terms


@transaction.atomic
def set_payment_terms(partner, *, by, days: int) -> PartnerTerms:
    """Documents of `partner` posted from now on fall due `days` after their business date."""
    require(by, "finance.terms")
    company = company_of(by)
    p = partner if isinstance(partner, Partner) else Partner.objects.filter(company=company, pk=partner).first()
    if p is None or p.company_id != company.pk:
        raise NotFound("partner", getattr(partner, "pk", partner))
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
        raise ValidationFailed(field="days", reason=_("must be a whole number of days from 0 to 3650"))
    terms, _created = PartnerTerms.objects.select_for_update().get_or_create(company=company, partner=p)
    before = terms.payment_terms_days
    terms.payment_terms_days = days
    terms.save(update_fields=["payment_terms_days"])
    record_event(company=company, topic="partner.terms", by=by, obj=p, payload={"payment_terms_days": days})
    record_audit(company=company, action="set_terms", obj=p, by=by, before={"payment_terms_days": before},
                 after={"payment_terms_days": days})
    return terms


BOOKS = {Book.RECEIVABLE, Book.PAYABLE}
