"""Warehouses and locations; balances (now or as of a date), an item's ledger, FEFO picks, the ledger check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from ninja import Field, FilterLookup, Path, Query, Router, Schema, Status

from openjxc.catalog.models import Item
from openjxc.core import clock
from openjxc.core.errors import ValidationFailed
from openjxc.core.models import User
from openjxc.core.schemas import (
    MAX_ID,
    MAX_PAGE,
    DictSchema,
    Id,
    Page,
    Paging,
    PositiveQty,
    Search,
    company_id,
    cost_field,
    get_or_404,
    paginate,
    text,
)
from openjxc.stock import asof, selectors
from openjxc.stock import services as stock
from openjxc.stock.access import require_warehouse, scoped_warehouse_ids, visible_warehouses
from openjxc.stock.ledger import check_ledger
from openjxc.stock.locations import default_location
from openjxc.stock.models import STOCKED_KINDS, Location, LocationKind, Lot, Warehouse, WarehouseKind

router = Router(tags=["stock"])
PK = Path(..., ge=1, le=MAX_ID)


def _viewer(request, action="masterdata.view"):
    return company_id(request, action)


# ---------------------------------------------------------------- warehouses


class WarehouseFields(Schema):
    address: text(300) | None = None
    allow_negative: bool | None = None
    manager: Id | None = None


class WarehouseIn(WarehouseFields):
    code: text(32, min_length=1)
    name: text(100, min_length=1)
    kind: WarehouseKind = WarehouseKind.WAREHOUSE


class WarehousePatch(WarehouseFields):
    code: text(32, min_length=1) | None = None
    name: text(100, min_length=1) | None = None
    kind: WarehouseKind | None = None
    is_active: bool | None = None


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    address: str
    allow_negative: bool
    manager: int | None = Field(None, alias="manager_id")
    is_active: bool


class WarehouseFilters(Search):
    kind: WarehouseKind | None = None
    active: Annotated[bool | None, FilterLookup("is_active")] = None


def _warehouses(request):
    _viewer(request)
    return visible_warehouses(request.auth, Warehouse.objects.all())


def _warehouse_fields(request, payload) -> dict:
    fields = payload.dict(exclude_unset=True)
    if fields.get("manager"):
        users = User.objects.filter(company_id=request.auth.company_id)
        fields["manager"] = get_or_404(users, fields["manager"], "user")
    return {k: v for k, v in fields.items() if v is not None or k == "manager"}


@router.get("/warehouses", response=Page[WarehouseOut])
def list_warehouses(request, page: Query[Paging], filters: Query[WarehouseFilters]):
    return paginate(filters.filter(_warehouses(request).order_by("code")), page)


@router.get("/warehouses/{int:warehouse_id}", response=WarehouseOut)
def get_warehouse(request, warehouse_id: int = PK):
    return get_or_404(_warehouses(request), warehouse_id, "warehouse")


@router.post("/warehouses", response={201: WarehouseOut})
def create_warehouse(request, payload: WarehouseIn):
    return Status(201, stock.create_warehouse(by=request.auth, **_warehouse_fields(request, payload)))


@router.patch("/warehouses/{int:warehouse_id}", response=WarehouseOut)
def update_warehouse(request, payload: WarehousePatch, warehouse_id: int = PK):
    wh = get_or_404(_warehouses(request), warehouse_id, "warehouse")
    return stock.update_warehouse(wh, by=request.auth, **_warehouse_fields(request, payload))


# ---------------------------------------------------------------- locations


class LocationIn(Schema):
    warehouse: Id
    code: text(32, min_length=1)
    name: text(100, min_length=1)
    allow_negative: bool = False


class LocationPatch(Schema):
    name: text(100, min_length=1) | None = None
    allow_negative: bool | None = None
    is_active: bool | None = None


class LocationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    warehouse: int | None = Field(None, alias="warehouse_id")
    allow_negative: bool
    is_default: bool
    is_active: bool


class LocationFilters(Search):
    warehouse: Annotated[Id | None, FilterLookup("warehouse_id")] = None
    kind: LocationKind | None = None
    active: Annotated[bool | None, FilterLookup("is_active")] = None


def _locations(request):
    company_id = _viewer(request)
    qs = Location.objects.filter(company_id=company_id)
    scope = scoped_warehouse_ids(request.auth)
    # a scoped user sees the locations of their warehouses (and the virtual ones, which hold no stock)
    return qs if scope is None else qs.filter(Q(warehouse_id__in=scope) | Q(warehouse__isnull=True))


@router.get("/locations", response=Page[LocationOut])
def list_locations(request, page: Query[Paging], filters: Query[LocationFilters]):
    return paginate(filters.filter(_locations(request).order_by("code")), page)


@router.get("/locations/{int:location_id}", response=LocationOut)
def get_location(request, location_id: int = PK):
    return get_or_404(_locations(request), location_id, "location")


@router.post("/locations", response={201: LocationOut})
def create_location(request, payload: LocationIn):
    wh = get_or_404(_warehouses(request), payload.warehouse, "warehouse")
    loc = stock.create_location(by=request.auth, warehouse=wh, code=payload.code, name=payload.name,
                                allow_negative=payload.allow_negative)
    return Status(201, loc)


@router.patch("/locations/{int:location_id}", response=LocationOut)
def update_location(request, payload: LocationPatch, location_id: int = PK):
    loc = get_or_404(_locations(request).filter(kind__in=STOCKED_KINDS), location_id, "location")
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return stock.update_location(loc, by=request.auth, **changes)


# ---------------------------------------------------------------- balances, ledger, FEFO


class Scope:
    """The warehouses a stock query may read: the caller's scope narrowed by the filters (each checked)."""

    def __init__(self, request, *, item=None, warehouse=None, location=None, lot=None):
        user = request.auth
        self.company_id = _viewer(request, "stock.view")
        self.item = get_or_404(Item.objects.filter(company_id=self.company_id), item, "item") if item else None
        self.lot = get_or_404(Lot.objects.filter(company_id=self.company_id), lot, "lot") if lot else None
        self.location = None
        if location:
            locations = Location.objects.filter(company_id=self.company_id).select_related("warehouse")
            self.location = get_or_404(locations, location, "location")
            require_warehouse(user, self.location.warehouse)
        scope = scoped_warehouse_ids(user)
        self.warehouse_ids = None if scope is None else sorted(scope)
        if warehouse:
            wh = get_or_404(Warehouse.objects.filter(company_id=self.company_id), warehouse, "warehouse")
            require_warehouse(user, wh)
            self.warehouse_ids = [wh.pk]


class StockFilters(Schema):
    item: Id | None = None
    warehouse: Id | None = None
    location: Id | None = None
    lot: Id | None = None
    as_of: dt.date | None = Field(None, description="balances at the end of this business day, from the ledger")
    include_zero: bool = False
    limit: int = Field(100, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_ID)


class BalanceOut(DictSchema):
    item: int
    item_code: str
    item_name: str
    warehouse: int | None
    location: int
    location_code: str
    lot: int | None
    lot_code: str | None
    expires_on: dt.date | None
    quantity: Decimal
    value: Decimal | None

    @staticmethod
    def resolve_value(obj, context):
        return cost_field(obj["value"], context)


@router.get("/balances", response=Page[BalanceOut], summary="Stock on hand (now, or as of a date)")
def list_balances(request, filters: Query[StockFilters]):
    s = Scope(request, item=filters.item, warehouse=filters.warehouse, location=filters.location, lot=filters.lot)
    if filters.as_of is None:
        where = dict(warehouse_ids=s.warehouse_ids, item_id=filters.item, location_id=filters.location,
                     lot_id=filters.lot, include_zero=filters.include_zero)
        count = selectors.balances(s.company_id, **where).count()
        return {
            "count": count, "limit": filters.limit, "offset": filters.offset,
            "items": selectors.balance_rows(s.company_id, offset=filters.offset, limit=filters.limit, count=count,
                                            **where),
        }
    locs = selectors.stocked_ids(s.company_id, warehouse_ids=s.warehouse_ids, location_id=filters.location)
    count, items = asof.page_as_of(asof.AsOf(s.company_id, filters.as_of, locs, filters.item, filters.lot),
                                   offset=filters.offset, limit=filters.limit)
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "items": items}


class LedgerFilters(Schema):
    item: Id
    warehouse: Id | None = None
    limit: int = Field(MAX_PAGE, ge=1, le=MAX_PAGE)
    before: Id | None = Field(None, description="only moves older than this move id: the next page is "
                                                "before=<the last row's id>")


class LedgerRow(Schema):
    id: int
    business_on: dt.date
    posted_at: dt.datetime
    document: int | None
    document_number: str | None
    document_kind: str | None
    from_location: str
    to_location: str
    lot: str | None
    reverses: int | None
    quantity_change: Decimal
    quantity_after: Decimal
    unit_cost: Decimal | None
    value_change: Decimal | None
    value_after: Decimal | None

    @staticmethod
    def resolve_unit_cost(obj, context):
        return cost_field(obj["unit_cost"], context)

    @staticmethod
    def resolve_value_change(obj, context):
        return cost_field(obj["value_change"], context)

    @staticmethod
    def resolve_value_after(obj, context):
        return cost_field(obj["value_after"], context)


@router.get("/ledger", response=list[LedgerRow],
            summary="An item's moves, newest first, with the balance after each; page back with `before`")
def item_ledger(request, filters: Query[LedgerFilters]):
    s = Scope(request, item=filters.item, warehouse=filters.warehouse)
    rows = selectors.item_ledger(s.company_id, s.item.pk, warehouse_ids=s.warehouse_ids, limit=filters.limit,
                                 before=filters.before)
    return [
        {
            "id": r["move"].pk, "business_on": r["move"].business_on, "posted_at": r["move"].posted_at,
            "document": r["move"].document_id,
            "document_number": r["move"].document.number if r["move"].document else None,
            "document_kind": r["move"].document.kind if r["move"].document else None,
            "from_location": r["move"].from_location.code, "to_location": r["move"].to_location.code,
            "lot": r["move"].lot.code if r["move"].lot else None, "reverses": r["move"].reverses_id,
            "quantity_change": r["quantity_change"], "quantity_after": r["quantity_after"],
            "unit_cost": r["move"].unit_cost, "value_change": r["value_change"], "value_after": r["value_after"],
        }
        for r in rows
    ]


class CostFilters(Schema):
    as_of: dt.date | None = Field(None, description="at the end of this business day (default: now)")
    warehouse: Id | None = None


class WarehouseCost(Schema):
    warehouse: int
    warehouse_code: str
    warehouse_name: str
    quantity: Decimal
    unit_cost: Decimal | None
    value: Decimal | None

    @staticmethod
    def resolve_unit_cost(obj, context):
        return cost_field(obj["unit_cost"], context)

    @staticmethod
    def resolve_value(obj, context):
        return cost_field(obj["value"], context)


class ItemCostOut(Schema):
    item: int
    as_of: dt.date | None
    quantity: Decimal
    value: Decimal | None
    warehouses: list[WarehouseCost]

    @staticmethod
    def resolve_value(obj, context):
        return cost_field(obj["value"], context)


@router.get("/items/{int:item_id}/cost", response=ItemCostOut,
            summary="An item's unit cost and value per warehouse, now or as of a date (costs need stock.cost)")
def item_cost(request, filters: Query[CostFilters], item_id: int = PK):
    s = Scope(request, item=item_id, warehouse=filters.warehouse)
    rows = selectors.item_cost(s.company_id, s.item.pk, warehouse_ids=s.warehouse_ids, as_of=filters.as_of)
    return {"item": s.item.pk, "as_of": filters.as_of, "warehouses": rows,
            "quantity": sum((r["quantity"] for r in rows), Decimal(0)),
            "value": sum((r["value"] for r in rows), Decimal(0))}


class FefoFilters(Schema):
    item: Id
    quantity: PositiveQty
    warehouse: Id | None = None
    location: Id | None = None
    on: dt.date | None = Field(None, description="the day of picking (expired lots are skipped); default today")


class FefoPick(Schema):
    lot: str
    lot_id: int
    expires_on: dt.date | None
    quantity: Decimal


class FefoOut(Schema):
    location: int
    picks: list[FefoPick]
    shortfall: Decimal


@router.get("/fefo", response=FefoOut, summary="Which lots to pick, first expiry first out")
def fefo(request, filters: Query[FefoFilters]):
    s = Scope(request, item=filters.item, warehouse=filters.warehouse, location=filters.location)
    location = s.location
    if location is None:
        if filters.warehouse is None:
            raise ValidationFailed(field="warehouse", reason=_("or location is required"))
        location = default_location(Warehouse.objects.get(pk=filters.warehouse))
    on = filters.on or clock.today(request.auth.company.time_zone)
    picks = selectors.fefo_suggestion(s.company_id, s.item.pk, location.pk, filters.quantity, on)
    taken = sum((p["quantity"] for p in picks), Decimal(0))
    return {"location": location.pk, "picks": picks, "shortfall": filters.quantity - taken}


class LedgerProblem(Schema):
    code: str
    detail: str


class LedgerCheckOut(Schema):
    ok: bool
    problems: list[LedgerProblem]


@router.get("/check-ledger", response=LedgerCheckOut, summary="Check that balances equal the ledger")
def ledger_check(request):
    company_id = _viewer(request, "ledger.check")
    problems = check_ledger(company_id, full=False)  # since the last check (stock/ledger.py)
    return {"ok": not problems, "problems": [{"code": p.code, "detail": p.detail} for p in problems]}
