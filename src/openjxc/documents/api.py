"""Documents: create (optionally carried up to posted), list, read, edit drafts, the lifecycle, 下推."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, FilterLookup, FilterSchema, Path, Query, Router, Schema
from ninja import Status as HttpStatus
from pydantic import ConfigDict

from openjxc.core.errors import PermissionDenied, ValidationFailed
from openjxc.core.idempotency import one_transaction
from openjxc.core.schemas import (
    MAX_ID,
    CustomFields,
    DictSchema,
    Id,
    Page,
    Paging,
    PositiveQty,
    Price,
    company_id,
    cost_field,
    get_or_404,
    paginate,
    search_text,
    text,
)
from openjxc.documents import search
from openjxc.documents import services as docs
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.selectors import visible_documents
from openjxc.documents.services import MAX_LINES, LineInput

router = Router(tags=["documents"])
PK = Path(..., ge=1, le=MAX_ID)

Advance = Literal["submitted", "approved", "posted"]


# ---------------------------------------------------------------- schemas


class LineIn(DictSchema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not silently dropped

    item: Id
    quantity: PositiveQty
    unit: Id | text(16, min_length=1) | None = Field(None, description="unit id or code; default the base unit")
    unit_price: Price | None = Field(None, description="default: the item's price for this kind")
    lot_code: text(64) = ""
    produced_on: dt.date | None = None
    expires_on: dt.date | None = None
    location: Id | None = None
    source_line: Id | None = None
    memo: text(300) = ""
    tax_rate: Decimal | None = Field(None, ge=0, le=1, max_digits=5, decimal_places=4,
                                     description="VAT rate: 0.13, 0.09, 0.06, 0.03 or 0 (default 0)")
    promised_on: dt.date | None = Field(None, description="orders: promised / requested delivery date")
    discount_rate: Decimal | None = Field(None, ge=0, le=1, max_digits=5, decimal_places=4,
                                          description="line discount as a fraction: 0.05 is 5% off, before tax")


class HeaderFields(DictSchema):
    model_config = ConfigDict(extra="forbid")

    warehouse: Id | None = None
    partner: Id | None = None
    to_warehouse: Id | None = None
    business_on: dt.date | None = None
    memo: text(500) | None = None
    custom: CustomFields | None = None
    prices_include_tax: bool | None = Field(None, description="unit prices are entered with tax (含税单价)")


class PaymentIn(DictSchema):
    model_config = ConfigDict(extra="forbid")

    method: Literal["cash", "wechat", "alipay", "card", "bank"]
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2,
                                   description="left out on one payment: the rest of the document's total")


class DocumentIn(HeaderFields):
    kind: text(32, min_length=1)
    source: Id | None = None
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_LINES)
    advance_to: Advance | None = Field(None, description="run the lifecycle up to this status in the same request")
    payments: list[PaymentIn] | None = Field(
        None, max_length=10, description="sales deliveries and returns: paid (refunded) at once — a receipt "
        "(refund) per payment is recorded at posting; a walk-in customer must pay in full")


class DocumentPatch(HeaderFields):
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)


class DocumentPut(HeaderFields):
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_LINES)


class ReasonIn(Schema):
    reason: text(500) = ""


class VoidIn(Schema):
    reason: text(500, min_length=1)


class CreateFromIn(Schema):
    kind: text(32, min_length=1)
    business_on: dt.date | None = None


# Prices on documents that are not sales (receipts, returns to suppliers, transfers, adjustments) are costs.
CUSTOMER_PRICED = {k.code for k in KINDS.values() if k.partner_role == "customer"}


def _price(kind: str, value, context):
    return value if kind in CUSTOMER_PRICED else cost_field(value, context)


class LineOut(Schema):
    id: int
    line_no: int
    item: int = Field(alias="item_id")
    item_code: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    unit: int = Field(alias="unit_id")
    unit_code: str = Field(alias="unit.code")
    unit_quantity: Decimal
    factor: Decimal
    quantity: Decimal = Field(description="in the item's base unit")
    unit_price: Decimal | None
    amount: Decimal | None
    lot: int | None = Field(None, alias="lot_id")
    lot_code: str
    produced_on: dt.date | None
    expires_on: dt.date | None
    location: int | None = Field(None, alias="location_id")
    source_line: int | None = Field(None, alias="source_line_id")
    cost_amount: Decimal | None
    memo: str
    tax_rate: Decimal
    tax_amount: Decimal | None
    amount_with_tax: Decimal | None
    discount_rate: Decimal
    discount_amount: Decimal | None
    promised_on: dt.date | None

    @staticmethod
    def resolve_discount_amount(obj, context):
        return _price(obj.document.kind, obj.discount_amount, context)

    @staticmethod
    def resolve_cost_amount(obj, context):
        return cost_field(obj.cost_amount, context)

    @staticmethod
    def resolve_unit_price(obj, context):
        return _price(obj.document.kind, obj.unit_price, context)

    @staticmethod
    def resolve_amount(obj, context):
        return _price(obj.document.kind, obj.amount, context)

    @staticmethod
    def resolve_tax_amount(obj, context):
        return _price(obj.document.kind, obj.tax_amount, context)

    @staticmethod
    def resolve_amount_with_tax(obj, context):
        return _price(obj.document.kind, obj.amount_with_tax, context)


class DocumentOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    warehouse: int | None = Field(None, alias="warehouse_id")
    to_warehouse: int | None = Field(None, alias="to_warehouse_id")
    partner: int | None = Field(None, alias="partner_id")
    source: int | None = Field(None, alias="source_id")
    business_on: dt.date
    memo: str
    total_quantity: Decimal
    total_amount: Decimal | None
    tax_total: Decimal | None
    total_with_tax: Decimal | None
    amount: Decimal | None = Field(None, description="what the document is worth: total with tax, or for stock "
                                   "documents (write-off, gain, transfer, other in/out, count) the amount at cost, "
                                   "estimated until posted")
    cost_total: Decimal | None = Field(None, description="stock documents: amount at cost (estimate until posted)")
    prices_include_tax: bool
    created_by: int = Field(alias="created_by_id")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_total_amount(obj, context):
        return _price(obj.kind, obj.total_amount, context)

    @staticmethod
    def resolve_tax_total(obj, context):
        return _price(obj.kind, obj.tax_total, context)

    @staticmethod
    def resolve_total_with_tax(obj, context):
        return _price(obj.kind, obj.total_with_tax, context)

    @staticmethod
    def resolve_amount(obj, context):
        return _price(obj.kind, obj.amount, context)

    @staticmethod
    def resolve_cost_total(obj, context):
        return cost_field(obj.cost_total, context) if obj.cost_total is not None else None


class DocumentDetail(DocumentOut):
    custom: dict
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: int | None = Field(None, alias="approved_by_id")
    posted_at: dt.datetime | None
    posted_by: int | None = Field(None, alias="posted_by_id")
    voided_at: dt.datetime | None
    voided_by: int | None = Field(None, alias="voided_by_id")
    void_reason: str
    closed_at: dt.datetime | None
    closed_by: int | None = Field(None, alias="closed_by_id")
    close_reason: str
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj):
        held = getattr(obj, "held_lines", None)
        if held:  # create_document's own lines, as written: the response needs no second read
            return [_as_stored(ln) for ln in held]
        return list(obj.lines.select_related("item", "unit"))


_LINE_DECIMALS = [(f.attname, Decimal(1).scaleb(-f.decimal_places)) for f in DocumentLine._meta.concrete_fields
                  if isinstance(f, models.DecimalField)]


def _as_stored(line: DocumentLine) -> DocumentLine:
    """`line` with its decimals at the scale of their columns, as reading it back would give them."""
    for name, exp in _LINE_DECIMALS:
        value = getattr(line, name)
        if isinstance(value, Decimal):
            setattr(line, name, value.quantize(exp))
    return line


class KindOut(Schema):
    code: str
    prefix: str
    label: str
    partner_role: str | None
    sources: list[str]
    source_required: bool
    needs_source: bool = Field(description="always made from a source (given as `source`), with lines of its own")
    needs_to_warehouse: bool
    inbound: bool


class DocumentFilters(FilterSchema):
    q: search_text() = Field(None, description="substring of the code or name")  # list_documents: documents/search.py
    kind: search_text(32) = None
    status: Status | None = None
    warehouse: Annotated[Id | None, FilterLookup("warehouse_id")] = None
    partner: Annotated[Id | None, FilterLookup("partner_id")] = None
    number: Annotated[search_text(40), FilterLookup("number__icontains")] = Field(
        None, description="substring of the number")
    date_from: Annotated[dt.date | None, FilterLookup("business_on__gte")] = None
    date_to: Annotated[dt.date | None, FilterLookup("business_on__lte")] = None
    item: Id | None = Field(None, description="documents with a line of this item")
    amount_min: Annotated[Decimal | None, FilterLookup("total_with_tax__gte")] = Field(
        None, ge=0, max_digits=18, decimal_places=2, description="total with tax from")
    amount_max: Annotated[Decimal | None, FilterLookup("total_with_tax__lte")] = Field(
        None, ge=0, max_digits=18, decimal_places=2, description="total with tax to")

    def filter_q(self, value) -> Q:
        return Q()  # the keyword search needs the company: list_documents applies it

    def filter_item(self, value) -> Q:
        return Q(pk__in=DocumentLine.objects.filter(item_id=value).values("document_id")) if value else Q()


# ---------------------------------------------------------------- loading with permission


def _documents(request):
    """The caller's company's documents, narrowed to their warehouses when they are scoped."""
    company_id(request, "document.view")
    return visible_documents(request.auth)


def _load(request, doc_id: int) -> Document:
    """A document of the caller's company (404 otherwise) in one of their warehouses (403 otherwise)."""
    doc = get_or_404(Document.objects.filter(company_id=company_id(request, "document.view")), doc_id, "document")
    if not _documents(request).filter(pk=doc.pk).exists():
        raise PermissionDenied(action=_("see document %(number)s") % {"number": doc.number})
    return doc


def _lines(lines) -> list[LineInput] | None:
    return None if lines is None else [LineInput(**ln.dict()) for ln in lines]


def _header(payload, *, partial: bool) -> dict:
    fields = payload.dict(exclude={"lines"}, exclude_unset=partial)
    # memo and custom: null means "leave as it is"; partner/to_warehouse: null clears them
    return {k: v for k, v in fields.items() if v is not None or k in ("partner", "to_warehouse")}


# ---------------------------------------------------------------- endpoints


@router.get("/kinds", response=list[KindOut], summary="The document kinds: code, number prefix, sources (下推)")
def list_kinds(request):
    company_id(request, "document.view")
    return [
        {"code": k.code, "prefix": k.prefix, "label": str(k.label), "partner_role": k.partner_role,
         "sources": list(k.sources), "source_required": k.source_required, "needs_source": k.needs_source,
         "needs_to_warehouse": k.needs_to_warehouse, "inbound": k.inbound}
        for k in KINDS.values()
    ]


@router.get("", response=Page[DocumentOut])
def list_documents(request, page: Query[Paging], filters: Query[DocumentFilters]):
    qs = filters.filter(_documents(request).order_by("-business_on", "-id"))
    if filters.q:  # keyword: number, partner, warehouse, item, lot, memo; Chinese substrings (documents/search.py)
        qs = search.filter_documents(qs, request.auth.company_id, filters.q)
    return paginate(qs, page)


@router.get("/{int:doc_id}", response=DocumentDetail)
def get_document(request, doc_id: int = PK):
    return _load(request, doc_id)


@router.post("", response={201: DocumentDetail},
             summary="Create a document; `advance_to` carries it through submit/approve/post in one transaction")
def create_document(request, payload: DocumentIn):
    source = _load(request, payload.source) if payload.source else None
    header = _header(payload, partial=False)
    header["source"] = source
    payments = header.pop("payments", None)
    if payments and payload.kind not in ("sales_delivery", "sales_return"):
        raise ValidationFailed(field="payments", reason=_("only a sales delivery or a sales return is paid at once"))
    if payments:  # kept on the document; finance/counter.py records them when it is posted
        header["custom"] = {**(header.get("custom") or {}),
                            "payments": [{"method": p["method"], "amount": None if p["amount"] is None
                                          else str(p["amount"])} for p in payments]}
    lines = _lines(payload.lines) or []
    if one_transaction(request):  # the Idempotency-Key's transaction is the document's: no savepoint in it
        with transaction.atomic(savepoint=False):
            return HttpStatus(201, docs.create_document_here(by=request.auth, lines=lines, **header))
    return HttpStatus(201, docs.create_document(by=request.auth, lines=lines, **header))


@router.patch("/{int:doc_id}", response=DocumentDetail, summary="Edit a draft (only the fields sent)")
def patch_document(request, payload: DocumentPatch, doc_id: int = PK):
    doc = _load(request, doc_id)
    return docs.update_document(doc, by=request.auth, lines=_lines(payload.lines), **_header(payload, partial=True))


@router.put("/{int:doc_id}", response=DocumentDetail, summary="Replace a draft's header and lines")
def put_document(request, payload: DocumentPut, doc_id: int = PK):
    doc = _load(request, doc_id)
    return docs.update_document(doc, by=request.auth, lines=_lines(payload.lines), **_header(payload, partial=False))


@router.post("/{int:doc_id}/submit", response=DocumentDetail)
def submit_document(request, doc_id: int = PK):
    return docs.submit_document(_load(request, doc_id), by=request.auth)


@router.post("/{int:doc_id}/approve", response=DocumentDetail)
def approve_document(request, doc_id: int = PK):
    return docs.approve_document(_load(request, doc_id), by=request.auth)


@router.post("/{int:doc_id}/reject", response=DocumentDetail)
def reject_document(request, payload: ReasonIn | None = None, doc_id: int = PK):
    reason = payload.reason if payload else ""
    return docs.reject_document(_load(request, doc_id), by=request.auth, reason=reason)


@router.post("/{int:doc_id}/post", response=DocumentDetail)
def post_document(request, doc_id: int = PK):
    return docs.post_document(_load(request, doc_id), by=request.auth)


@router.post("/{int:doc_id}/void", response=DocumentDetail, summary="Void a posted document by reversal")
def void_document(request, payload: VoidIn, doc_id: int = PK):
    return docs.void_document(_load(request, doc_id), by=request.auth, reason=payload.reason)


@router.post("/{int:doc_id}/cancel", response=DocumentDetail)
def cancel_document(request, payload: ReasonIn | None = None, doc_id: int = PK):
    reason = payload.reason if payload else ""
    return docs.cancel_document(_load(request, doc_id), by=request.auth, reason=reason)


@router.post("/{int:doc_id}/create-from", response={201: DocumentDetail}, summary="下推: a draft from this document")
def create_from(request, payload: CreateFromIn, doc_id: int = PK):
    source = _load(request, doc_id)
    doc = docs.create_from(source, by=request.auth, kind=payload.kind, business_on=payload.business_on)
    return HttpStatus(201, doc)
