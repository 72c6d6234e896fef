"""Receivables and payables: receipts and payments, allocation, partner ledger, statements, aging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, FilterLookup, FilterSchema, Path, Query, Router, Schema
from ninja import Status as HttpStatus

from openjxc.core import clock
from openjxc.core.errors import ValidationFailed
from openjxc.core.permissions import company_id_of
from openjxc.core.schemas import MAX_ID, Id, Page, Paging, get_or_404, paginate, search_text, text
from openjxc.finance import access
from openjxc.finance import selectors as sel
from openjxc.finance import services as fin
from openjxc.finance.models import Allocation, Settlement, SettlementKind, SettlementStatus
from openjxc.partners.models import Partner

router = Router(tags=["finance"])
PK = Path(..., ge=1, le=MAX_ID)
BookName = Literal["receivable", "payable"]
PositiveMoney = Field(..., gt=0, max_digits=18, decimal_places=2)


def _company(request, action: str = "finance.view") -> int:
    user = request.auth
    fin.require(user, action)
    return company_id_of(user)


def _settlement(request, pk: int, action: str = "finance.view") -> Settlement:
    s = access.visible_settlements(request.auth, Settlement.objects.filter(company_id=_company(request, action),
                                                                           pk=pk)).first()
    if s is None:
        raise fin.NotFoundHere("settlement", pk, code="finance.settlement_not_found")
    return s


def _partner(request, pk: int, part: str = "books") -> Partner:
    """A partner of the company whose `part` of the books (finance/access.py) the caller may see."""
    cid = _company(request)
    access.require_view(request.auth, part)
    return get_or_404(Partner.objects.filter(company_id=cid), pk, "partner")


# ---------------------------------------------------------------- schemas


class AllocationIn(Schema):
    document: Id
    amount: Decimal = PositiveMoney


class SettlementIn(Schema):
    kind: Literal["receipt", "payment"]
    partner: Id
    amount: Decimal = PositiveMoney
    business_on: dt.date | None = None
    method: text(32) = ""
    reference: text(100) = ""
    memo: text(500) = ""
    post: bool = Field(False, description="post it in the same request")
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=1000,
                                            description="documents it pays (needs post); the rest stays as credit")


class AllocateIn(Schema):
    allocations: list[AllocationIn] = Field(..., min_length=1, max_length=1000)
    business_on: dt.date | None = None


class SettlementReasonIn(Schema):
    reason: text(500) = ""


class SettlementVoidIn(Schema):
    reason: text(500, min_length=1)


class AllocationOut(Schema):
    id: int
    document: int = Field(alias="document_id")
    document_number: str = Field(alias="document.number")
    settlement: int | None = Field(None, alias="settlement_id")
    credit_document: int | None = Field(None, alias="credit_document_id")
    amount: Decimal
    business_on: dt.date
    reverses: int | None = Field(None, alias="reverses_id")


class SettlementOut(Schema):
    id: int
    kind: str
    number: str
    status: str
    partner: int = Field(alias="partner_id")
    business_on: dt.date
    amount: Decimal
    allocated: Decimal
    unallocated: Decimal
    method: str
    reference: str
    memo: str
    document: int | None = Field(None, alias="document_id", description="taken at the counter with this document")
    till: str = Field("", description="the terminal code of a till sale or return")
    created_at: dt.datetime
    posted_at: dt.datetime | None
    voided_at: dt.datetime | None
    void_reason: str

    @staticmethod
    def resolve_allocated(obj):
        return sum((a.amount for a in Allocation.objects.filter(settlement=obj)), Decimal(0))

    @staticmethod
    def resolve_unallocated(obj):
        if obj.status != SettlementStatus.POSTED or obj.kind == SettlementKind.REFUND:
            return Decimal(0)  # a refund is settled by the return it was given for
        return obj.amount - sum((a.amount for a in Allocation.objects.filter(settlement=obj)), Decimal(0))


class SettlementDetail(SettlementOut):
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_allocations(obj):
        return list(Allocation.objects.filter(settlement=obj).select_related("document").order_by("id"))


class SettlementFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup("number__icontains")] = Field(None, description="substring of the number")
    kind: Literal["receipt", "payment", "refund"] | None = None
    status: SettlementStatus | None = None
    method: str | None = Field(None, description="cash, wechat, alipay, card, bank, …")
    till: str | None = Field(None, description="the terminal code of the till")
    partner: Annotated[Id | None, FilterLookup("partner_id")] = None
    date_from: Annotated[dt.date | None, FilterLookup("business_on__gte")] = None
    date_to: Annotated[dt.date | None, FilterLookup("business_on__lte")] = None


class OpenItemOut(Schema):
    kind: str
    id: int
    number: str
    business_on: dt.date
    due_on: dt.date
    amount: Decimal
    allocated: Decimal
    open: Decimal
    is_credit: bool


class PartnerBalanceOut(Schema):
    partner: int
    receivable: Decimal
    payable: Decimal


class EntryOut(Schema):
    id: int
    book: str
    business_on: dt.date
    due_on: dt.date
    number: str
    kind: str
    amount: Decimal
    reverses: int | None = Field(None, alias="reverses_id")

    @staticmethod
    def resolve_number(obj):
        return obj.document.number if obj.document_id else obj.settlement.number

    @staticmethod
    def resolve_kind(obj):
        return obj.document.kind if obj.document_id else obj.settlement.kind


class StatementLineOut(Schema):
    business_on: dt.date
    number: str
    kind: str
    amount: Decimal
    balance: Decimal
    is_reversal: bool


class StatementOut(Schema):
    partner: int = Field(alias="partner_id")
    book: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    increases: Decimal
    decreases: Decimal
    closing: Decimal
    lines: list[StatementLineOut]


class StatementParams(Schema):
    book: BookName = "receivable"
    date_from: dt.date
    date_to: dt.date


class AgingRowOut(Schema):
    partner: int = Field(alias="partner_id")
    buckets: dict[str, Decimal]
    unapplied: Decimal
    total: Decimal


class AgingParams(Schema):
    book: BookName = "receivable"
    as_of: dt.date | None = None
    basis: Literal["due", "business"] = "due"
    partner: Id | None = None


class BookParams(Schema):
    book: BookName = "receivable"
    as_of: dt.date | None = None


class TermsIn(Schema):
    payment_terms_days: int = Field(..., ge=0, le=3650)


class TermsOut(Schema):
    partner: int = Field(alias="partner_id")
    payment_terms_days: int


# ---------------------------------------------------------------- receipts and payments


@router.get("/settlements", response=Page[SettlementOut], summary="Receipts (收款单) and payments (付款单)")
def list_settlements(request, page: Query[Paging], filters: Query[SettlementFilters]):
    qs = access.visible_settlements(request.auth, Settlement.objects.filter(company_id=_company(request)))
    qs = qs.order_by("-business_on", "-id")
    return paginate(filters.filter(qs), page)


@router.post("/settlements", response={201: SettlementDetail},
             summary="Record a receipt or payment; with `post` it is posted and `allocations` applied at once")
def create_settlement(request, payload: SettlementIn):
    _company(request, "finance.record")
    s = fin.create_settlement(
        by=request.auth, kind=payload.kind, partner=payload.partner, amount=payload.amount,
        business_on=payload.business_on, method=payload.method, reference=payload.reference, memo=payload.memo,
        post=payload.post, allocations=[fin.AllocationInput(a.document, a.amount) for a in payload.allocations],
    )
    return HttpStatus(201, s)


@router.get("/settlements/{int:pk}", response=SettlementDetail)
def get_settlement(request, pk: int = PK):
    return _settlement(request, pk)


@router.post("/settlements/{int:pk}/post", response=SettlementDetail)
def post_settlement(request, pk: int = PK):
    return fin.post_settlement(_settlement(request, pk, "finance.record"), by=request.auth)


@router.post("/settlements/{int:pk}/void", response=SettlementDetail,
             summary="Void a posted receipt or payment: its entry and allocations are reversed")
def void_settlement(request, payload: SettlementVoidIn, pk: int = PK):
    return fin.void_settlement(_settlement(request, pk, "finance.void"), by=request.auth, reason=payload.reason)


@router.post("/settlements/{int:pk}/cancel", response=SettlementDetail)
def cancel_settlement(request, payload: SettlementReasonIn = None, pk: int = PK):
    return fin.cancel_settlement(_settlement(request, pk, "finance.record"), by=request.auth,
                                 reason=payload.reason if payload else "")


@router.post("/settlements/{int:pk}/allocate", response=SettlementDetail,
             summary="Apply a posted receipt or payment to documents of its partner")
def allocate_settlement(request, payload: AllocateIn, pk: int = PK):
    s = _settlement(request, pk, "finance.record")
    fin.allocate(by=request.auth, settlement=s, business_on=payload.business_on,
                 allocations=[fin.AllocationInput(a.document, a.amount) for a in payload.allocations])
    return Settlement.objects.get(pk=s.pk)


@router.post("/credits/{int:doc_id}/allocate", response=list[AllocationOut],
             summary="Apply the credit of a posted return to other documents of its partner")
def allocate_credit(request, payload: AllocateIn, doc_id: int = PK):
    _company(request, "finance.record")
    rows = fin.allocate(by=request.auth, credit_document=doc_id, business_on=payload.business_on,
                        allocations=[fin.AllocationInput(a.document, a.amount) for a in payload.allocations])
    return Allocation.objects.filter(pk__in=[r.pk for r in rows]).select_related("document").order_by("id")


@router.post("/allocations/{int:pk}/reverse", response=AllocationOut, summary="Take an allocation back")
def reverse_allocation(request, pk: int = PK):
    _company(request, "finance.void")
    reversal = fin.unallocate(pk, by=request.auth)
    return Allocation.objects.select_related("document").get(pk=reversal.pk)


# ---------------------------------------------------------------- partners' books


@router.get("/partners/{int:pk}/balance", response=PartnerBalanceOut, summary="What the partner owes and is owed")
def partner_balance(request, pk: int = PK, as_of: dt.date | None = None):
    p = _partner(request, pk)
    return {"partner": p.pk, "receivable": sel.receivable_balance(p.company_id, p.pk, as_of=as_of),
            "payable": sel.payable_balance(p.company_id, p.pk, as_of=as_of)}


@router.get("/partners/{int:pk}/ledger", response=list[EntryOut], summary="The partner's ledger entries (往来明细)")
def partner_ledger(request, params: Query[BookParams], pk: int = PK):
    p = _partner(request, pk)
    qs = sel.partner_entries(p.company_id, p.pk, params.book)
    return qs.filter(business_on__lte=params.as_of) if params.as_of else qs


@router.get("/partners/{int:pk}/open-documents", response=list[OpenItemOut],
            summary="Documents still owed on, with open amounts, oldest first")
def open_documents(request, params: Query[BookParams], pk: int = PK):
    p = _partner(request, pk, "open_items")
    return [_item(i) for i in sel.open_documents(p.company_id, p.pk, params.book, as_of=params.as_of)]


@router.get("/partners/{int:pk}/credits", response=list[OpenItemOut],
            summary="Money and returns not yet applied (prepayments, credits)")
def open_credits(request, params: Query[BookParams], pk: int = PK):
    p = _partner(request, pk, "open_items")
    return [_item(i) for i in sel.open_credits(p.company_id, p.pk, params.book, as_of=params.as_of)]


def _item(i: sel.OpenItem) -> dict:
    return {"kind": i.kind, "id": i.id, "number": i.number, "business_on": i.business_on, "due_on": i.due_on,
            "amount": i.amount, "allocated": i.allocated, "open": i.open, "is_credit": i.is_credit}


@router.get("/partners/{int:pk}/statement", response=StatementOut, summary="对账单 for a period")
def partner_statement(request, params: Query[StatementParams], pk: int = PK):
    p = _partner(request, pk)
    if params.date_to < params.date_from:
        raise ValidationFailed(field="date_to", reason=_("is before date_from"))
    return sel.statement(p.company_id, p.pk, params.book, params.date_from, params.date_to)


@router.put("/partners/{int:pk}/terms", response=TermsOut, summary="Payment terms: days until documents fall due")
def put_terms(request, payload: TermsIn, pk: int = PK):
    p = _partner(request, pk, "open_items")  # the service requires finance.terms
    return fin.set_payment_terms(p, by=request.auth, days=payload.payment_terms_days)


class TakingsOut(Schema):
    method: str
    received: Decimal
    refunded: Decimal
    net: Decimal
    count: int


@router.get("/takings", response=list[TakingsOut],
            summary="The day's takings by method (收款汇总): receipts less refunds, optionally of one till")
def takings(request, date: dt.date | None = None, date_to: dt.date | None = None, till: str | None = None):
    company = _company(request)
    day = date or clock.today(request.auth.company.time_zone)
    return sel.takings(company, day, date_to or day, till=till)


@router.get("/aging", response=list[AgingRowOut], summary="账龄: open amounts by age (0-30/31-60/61-90/90+)")
def aging(request, params: Query[AgingParams]):
    cid = _company(request)
    access.require_view(request.auth, "aging")
    as_of = params.as_of or _today(request)
    return sel.aging(cid, params.book, as_of, basis=params.basis, partner_id=params.partner)


def _today(request):
    return clock.today(request.auth.company.time_zone)


__all__ = ["router", "SettlementKind"]
