"""Orders through the API: progress, the 上查/下推 trail, close, push down with tax, availability,
purchase on-time rate, reorder suggestions and the purchase orders made from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from openjxc.catalog.models import Item
from openjxc.core.errors import NotFound
from openjxc.core.schemas import Id, PositiveQty, company_id, text
from openjxc.documents import orders, reorder
from openjxc.documents.api import PK, DocumentDetail, _documents, _load
from openjxc.documents.on_time import on_time_rate
from openjxc.stock.access import require_warehouse, scoped_warehouse_ids
from openjxc.stock.models import Warehouse

router = Router(tags=["orders"])


class LineProgressOut(Schema):
    line_id: int
    line_no: int
    item: int = Field(alias="item_id")
    ordered: Decimal
    fulfilled: Decimal = Field(description="received (purchase) or delivered (sales)")
    returned: Decimal
    billed: Decimal
    remaining: Decimal
    promised_on: dt.date | None
    status: str = Field(description="open / partial / done / closed")
    status_label: str


class ProgressOut(Schema):
    order: int
    number: str
    status: str
    lines: list[LineProgressOut]


class Brief(Schema):
    id: int
    number: str
    kind: str
    status: str
    business_on: dt.date
    total_quantity: Decimal


class TrailNode(Brief):
    derived: list[TrailNode] = []


class TrailOut(Schema):
    document: Brief
    upstream: list[Brief] = Field(description="what it was created from, nearest first")
    downstream: list[TrailNode] = Field(description="what was created from it")


class CloseIn(Schema):
    reason: text(500, min_length=1)


class PushIn(Schema):
    kind: text(32, min_length=1)
    partner: Id | None = Field(None, description="required when the source has no partner (purchase request)")
    warehouse: Id | None = None
    business_on: dt.date | None = None


class AvailableOut(Schema):
    item: int
    warehouse: int
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class OnTimeOut(Schema):
    supplier: int
    lines: int = Field(description="order lines promised in the period (not closed or voided before)")
    on_time: int = Field(description="of those, received in full (less the tolerance) by the promised date")
    rate: Decimal
    ordered: Decimal
    received_on_time: Decimal
    qty_rate: Decimal | None = Field(description="received on time (at most the ordered) ÷ ordered")


class SuggestionOut(Schema):
    item: int = Field(alias="item_id")
    warehouse: int = Field(alias="warehouse_id")
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    position: Decimal
    reorder_point: Decimal
    max_stock: Decimal | None
    quantity: Decimal
    supplier: int | None = Field(alias="supplier_id")


class SelectionIn(Schema):
    item: Id
    warehouse: Id
    quantity: PositiveQty | None = None
    supplier: Id | None = None


class ReorderIn(Schema):
    lines: list[SelectionIn] = Field(..., min_length=1, max_length=1000)
    supplier: Id | None = Field(None, description="for items never bought before")


@router.get("/{int:doc_id}/progress", response=ProgressOut, summary="Ordered / received / returned / billed per line")
def order_progress(request, doc_id: int = PK):
    order = _load(request, doc_id)
    return {"order": order.pk, "number": order.number, "status": orders.order_status(order),
            "lines": orders.order_progress(order)}


@router.get("/trail/{int:doc_id}", response=TrailOut, summary="上查 / 下推: what a document came from and led to")
def document_trail(request, doc_id: int = PK):
    trail = orders.document_trail(_load(request, doc_id))
    if scoped_warehouse_ids(request.auth) is None:
        return trail
    # a user limited to some warehouses sees only the documents of those in the trail
    ids = _trail_ids(trail["upstream"]) | _trail_ids(trail["downstream"])
    visible = set(_documents(request).filter(pk__in=ids).values_list("pk", flat=True))
    return {**trail, "upstream": [d for d in trail["upstream"] if d["id"] in visible],
            "downstream": _prune(trail["downstream"], visible)}


def _trail_ids(nodes) -> set[int]:
    return {n["id"] for n in nodes} | {i for n in nodes for i in _trail_ids(n.get("derived", []))}


def _prune(nodes, visible: set[int]) -> list[dict]:
    return [{**n, "derived": _prune(n["derived"], visible)} for n in nodes if n["id"] in visible]


@router.post("/{int:doc_id}/close", response=DocumentDetail, summary="Close an order short")
def close_order(request, payload: CloseIn, doc_id: int = PK):
    return orders.close_order(_load(request, doc_id), by=request.auth, reason=payload.reason)


@router.post("/{int:doc_id}/push", response={201: DocumentDetail},
             summary="下推 keeping tax rates, tax-inclusive prices and promised dates")
def push_down(request, payload: PushIn, doc_id: int = PK):
    doc = orders.push_down(_load(request, doc_id), by=request.auth, kind=payload.kind, partner=payload.partner,
                           warehouse=payload.warehouse, business_on=payload.business_on)
    return HttpStatus(201, doc)


@router.get("/available", response=AvailableOut, summary="On hand, reserved by sales orders, available")
def available(request, item: Id, warehouse: Id):
    cid = company_id(request, "stock.view")
    it = Item.objects.filter(company_id=cid, pk=item).first()
    wh = Warehouse.objects.filter(company_id=cid, pk=warehouse).first()
    if it is None:
        raise NotFound("item", item)
    if wh is None:
        raise NotFound("warehouse", warehouse)
    require_warehouse(request.auth, wh)
    return orders.available(it, wh)


class OrderSettings(Schema):
    over_receipt_tolerance: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2,
                                                   description="percent a purchase order line may be over-received")
    refuse_sales_beyond_available: bool | None = None


def _order_settings(company) -> dict:
    return {"over_receipt_tolerance": orders.over_receipt_tolerance(company),
            "refuse_sales_beyond_available": bool((company.settings or {}).get("refuse_sales_beyond_available"))}


@router.get("/settings", response=OrderSettings, summary="The company's order settings")
def get_order_settings(request):
    company_id(request, "document.view")
    return _order_settings(request.auth.company)


@router.put("/settings", response=OrderSettings, summary="Change the company's order settings (administrators)")
def put_order_settings(request, payload: OrderSettings):
    return _order_settings(orders.set_order_settings(by=request.auth, **payload.dict()))


class OnTimeFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    supplier: Id | None = None
    grace_days: int = Field(0, ge=0, le=365, description="days after the promised date that still count")
    tolerance: Decimal = Field(Decimal("0.02"), ge=0, le=1, description="short delivery still on time, 0.02 = 2 %")


@router.get("/on-time", response=list[OnTimeOut], summary="采购到货准时率 per supplier for a period")
def on_time(request, filters: Query[OnTimeFilters]):
    cid = company_id(request, "document.view")
    return on_time_rate(cid, date_from=filters.date_from, date_to=filters.date_to,
                        supplier_id=filters.supplier, grace_days=filters.grace_days, tolerance=filters.tolerance)


@router.get("/reorder-suggestions", response=list[SuggestionOut], summary="Items below their reorder point")
def reorder_suggestions(request, warehouse: Id | None = None):
    cid = company_id(request, "stock.view")
    scope = scoped_warehouse_ids(request.auth)
    ids = [warehouse] if warehouse else None
    if scope is not None:
        ids = [w for w in (ids or scope) if w in scope]
    return reorder.reorder_suggestions(cid, warehouse_ids=ids)


@router.post("/reorder-suggestions/purchase-orders", response={201: list[DocumentDetail]},
             summary="Draft purchase orders from selected suggestions, one per supplier and warehouse")
def create_purchase_orders(request, payload: ReorderIn):
    selections = [reorder.Selection(**s.dict()) for s in payload.lines]
    return HttpStatus(201, reorder.create_purchase_orders(by=request.auth, selections=selections,
                                                          supplier=payload.supplier))
