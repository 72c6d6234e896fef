"""Money taken at the counter with a document: a paid sale records its receipt, a refunded return its refund.

A sales delivery (a till sale, or any delivery entered with a payment) carries its payments in
`custom["payments"]`: a list of `{"method": "cash" | "wechat" | "alipay" | "card" | "bank", "amount": "12.50"}`;
one entry may leave out the amount and then takes what the others leave of the document's total. A sales
return carries the refund the same way. At posting, in the posting's transaction:

* a delivery gets one posted receipt (收款单, SKD) per payment, allocated to the delivery, so the customer's
  receivable does not grow by what was paid (mixed payment = one receipt per method: the day's takings by
  method are then plain sums of receipts);
* a return gets one posted refund (退款单, TKD, a settlement of kind refund: +amount on the receivable,
  balancing the return's credit) per payment, linked to the return (`Settlement.document`), as far as the
  return's credit is not already applied to its (unpaid) delivery;
* a walk-in customer (`Partner.is_walk_in`, 门店散客) never carries a balance: a delivery or return to it that is
  not paid (refunded) in full is refused (`finance.walk_in_unpaid`) before anything is written.

Voiding the document voids its counter settlements (reversing their allocations and entries) before the
partner ledger reverses the document. A counter settlement cannot be voided on its own
(`finance.counter_settlement`): void the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.events import make_audit, make_event, record_audit, record_event
from openjxc.core.instances import new_object
from openjxc.core.numbering import next_number
from openjxc.core.quantities import ZERO, parse_decimal
from openjxc.core.sql import insert_objects, object_rows, write_together
from openjxc.finance.effects import document_amount, live_allocations, reverse_allocations, reverse_entries
from openjxc.finance.models import (
    Allocation,
    Book,
    PartnerEntry,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from openjxc.partners.models import Partner

METHODS = {"cash": _("Cash"), "wechat": _("WeChat Pay"), "alipay": _("Alipay"), "card": _("Bank card"),
           "bank": _("Bank transfer")}
KIND_OF = {"sales_delivery": SettlementKind.RECEIPT, "sales_return": SettlementKind.REFUND}
PREFIX = {SettlementKind.RECEIPT: "SKD", SettlementKind.REFUND: "TKD"}
MAX_PAYMENTS = 10


@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal


def payments_of(doc) -> list[Payment]:
    """The document's payments with their amounts resolved against its total; refuses a malformed list or
    payments beyond the total (`finance.overpaid`)."""
    raw = (doc.custom or {}).get("payments")
    if raw in (None, []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_PAYMENTS:
        raise ValidationFailed(field="payments", reason=_("must be a list of at most %(n)s payments") % {"n": MAX_PAYMENTS})
    total = document_amount(doc)
    given: list[tuple[str, Decimal | None]] = []
    for n, p in enumerate(raw, start=1):
        if not isinstance(p, dict) or p.get("method") not in METHODS:
            raise ValidationFailed(field=f"payments[{n}].method",
                                   reason=_("must be one of %(methods)s") % {"methods": ", ".join(METHODS)})
        amount = p.get("amount")
        given.append((p["method"], None if amount in (None, "") else
                      parse_decimal(amount, f"payments[{n}].amount", places=2, zero=False)))
    if sum(1 for _m, a in given if a is None) > 1:
        raise ValidationFailed(field="payments", reason=_("only one payment may leave out its amount"))
    stated = sum((a for _m, a in given if a is not None), ZERO)
    if stated > total:
        raise DomainError("finance.overpaid", _("Payments of %(paid)s exceed the document's total of %(total)s."),
                          http_status=422, paid=stated, total=total)
    out = [Payment(m, a if a is not None else total - stated) for m, a in given]
    return [p for p in out if p.amount > 0]


def _is_walk_in(doc) -> bool:
    """Whether the document's partner is the walk-in customer: from the partner the document already holds (a
    document created and posted at once), else one look-up."""
    partner = doc._state.fields_cache.get("partner")
    if partner is not None:
        return partner.is_walk_in
    return Partner.objects.filter(pk=doc.partner_id, is_walk_in=True).exists()


def check_payments(doc, lines, by) -> None:
    """before_post: the payments are well formed, and a walk-in customer pays (is refunded) in full."""
    if doc.kind not in KIND_OF or doc.partner_id is None:
        return
    paid = sum((p.amount for p in payments_of(doc)), ZERO)
    total = document_amount(doc)
    if paid != total and _is_walk_in(doc):
        raise DomainError(
            "finance.walk_in_unpaid",
            _("%(partner)s is a walk-in customer and carries no balance: the document must be paid in full "
              "(%(total)s, paid %(paid)s)."),
            http_status=422, partner=doc.partner.name, total=total, paid=paid,
        )


def record_payments(doc, lines, by, events: list | None = None, writes: list | None = None) -> None:
    """on_post (after the partner entry): the receipts of a paid delivery, the refunds of a refunded return.

    The settlements are one INSERT (their ids are needed); their partner entries, allocations and audit records
    join `writes` and their events `events` — the posting's own, written with its changes — when given (the
    posting service gives them), else are written here."""
    if doc.kind not in KIND_OF or doc.partner_id is None:
        return
    payments = payments_of(doc)
    if not payments:
        return
    kind = KIND_OF[doc.kind]
    now = clock.now()
    if kind == SettlementKind.REFUND:
        credit = document_amount(doc)
        applied = sum((a.amount for a in Allocation.objects.filter(credit_document=doc)), ZERO)
        refunded = sum((p.amount for p in payments), ZERO)
        if refunded > credit - applied:
            raise DomainError(
                "finance.refund_exceeds_credit",
                _("Only %(left)s of this return can be refunded: the rest reduced what was still owed."),
                http_status=422, left=credit - applied,
            )
    till = str((doc.custom or {}).get("terminal") or "")[:32]
    settlements = [new_object(Settlement, {
        "company_id": doc.company_id, "kind": kind, "number": next_number(doc.company, PREFIX[kind], doc.business_on),
        "status": SettlementStatus.POSTED, "partner_id": doc.partner_id, "business_on": doc.business_on,
        "amount": p.amount, "method": p.method, "document": doc, "till": till, "created_by": by, "created_at": now,
        "posted_at": now, "posted_by": by, "updated_at": now,
    }) for p in payments]
    insert_objects(settlements, returning_pk=True)
    entries, allocations, own_events, audits = [], [], [], []
    for s in settlements:
        entries.append(new_object(PartnerEntry, {
            "company_id": doc.company_id, "partner_id": doc.partner_id, "book": Book.RECEIVABLE, "settlement": s,
            "amount": s.sign * s.amount, "business_on": s.business_on, "due_on": s.business_on, "created_by": by,
            "created_at": now,
        }))
        if kind == SettlementKind.RECEIPT:
            allocations.append(new_object(Allocation, {
                "company_id": doc.company_id, "partner_id": doc.partner_id, "book": Book.RECEIVABLE, "document": doc,
                "settlement": s, "amount": s.amount, "business_on": s.business_on, "created_by": by,
                "created_at": now,
            }))
        payload = {"number": s.number, "kind": s.kind, "method": s.method, "amount": str(s.amount),
                   "document": doc.pk, "till": till}  # the document's number is given just before commit
        own_events.append(make_event(company=doc.company_id, topic="settlement.counter", by=by, obj=s,
                                     payload=payload))
        audits.append(make_audit(company=doc.company_id, action="counter_settlement", obj=s, by=by, after=payload))
    rows = [("insert", *object_rows(objs), (), ()) for objs in (entries, allocations, audits) if objs]
    if events is not None and writes is not None:
        events += own_events
        writes += rows
    else:
        write_together(*rows, ("insert", *object_rows(own_events), (), ()))


def void_payments(doc, by) -> None:
    """on_void (before the partner ledger reverses the document): void the document's counter settlements."""
    if doc.kind not in KIND_OF:
        return
    on = clock.today(doc.company.time_zone)
    now = clock.now()
    for s in Settlement.objects.select_for_update().filter(document=doc, status=SettlementStatus.POSTED).order_by("pk"):
        reverse_allocations(live_allocations(Allocation.objects.filter(settlement=s)), by=by, on=on)
        reverse_entries(PartnerEntry.objects.filter(settlement=s), by=by, on=on)
        s.status, s.voided_at, s.voided_by, s.updated_at = SettlementStatus.VOIDED, now, by, now
        s.void_reason = f"{doc.number} voided"
        s.save(update_fields=["status", "voided_at", "voided_by", "updated_at", "void_reason"])
        payload = {"number": s.number, "from": SettlementStatus.POSTED, "to": SettlementStatus.VOIDED,
                   "document": doc.number}
        record_event(company=doc.company_id, topic="settlement.void", by=by, obj=s, payload=payload)
        record_audit(company=doc.company_id, action="void", obj=s, by=by, before={"status": SettlementStatus.POSTED},
                     after=payload)
