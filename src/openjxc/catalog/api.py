"""Units, the category tree, items (barcodes, alternative units, per-warehouse levels), barcode lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, Path, Query, Router, Schema, Status

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Category, Item, Tracking, Unit
from openjxc.core import permissions
from openjxc.core.schemas import (
    MAX_ID,
    Code,
    Id,
    Name,
    NonNegQty,
    Page,
    Paging,
    PositiveQty,
    Price,
    Search,
    company_id,
    cost_field,
    get_or_404,
    paginate,
    save_changes,
    search_text,
    text,
)

router = Router(tags=["catalog"])
PK = Path(..., ge=1, le=MAX_ID)


def _viewer(request):
    return company_id(request, "masterdata.view")


# ---------------------------------------------------------------- units


class UnitIn(Schema):
    code: text(16, min_length=1)
    name: text(32, min_length=1)


class UnitPatch(Schema):
    code: text(16, min_length=1) | None = None
    name: text(32, min_length=1) | None = None


class UnitOut(Schema):
    id: int
    code: str
    name: str


def _units(request):
    return Unit.objects.filter(company_id=_viewer(request))


@router.get("/units", response=Page[UnitOut])
def list_units(request, page: Query[Paging], filters: Query[Search]):
    return paginate(filters.filter(_units(request).order_by("code")), page)


@router.get("/units/{int:unit_id}", response=UnitOut)
def get_unit(request, unit_id: int = PK):
    return get_or_404(_units(request), unit_id, "unit")


@router.post("/units", response={201: UnitOut})
def create_unit(request, payload: UnitIn):
    return Status(201, catalog.create_unit(by=request.auth, code=payload.code, name=payload.name))


@router.patch("/units/{int:unit_id}", response=UnitOut)
def update_unit(request, payload: UnitPatch, unit_id: int = PK):
    unit = get_or_404(_units(request), unit_id, "unit")
    return save_changes(unit, request, payload, ["code", "name"], "unit.updated")


# ---------------------------------------------------------------- categories


class CategoryIn(Schema):
    code: text(32, min_length=1)
    name: text(100, min_length=1)
    parent: Id | None = None


class CategoryPatch(Schema):
    code: text(32, min_length=1) | None = None
    name: text(100, min_length=1) | None = None


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent: int | None = Field(None, alias="parent_id")
    path: str


class CategoryNode(CategoryOut):
    children: list[CategoryNode] = []


class CategoryFilters(Search):
    parent: Annotated[Id | None, FilterLookup("parent_id")] = None


def _categories(request):
    return Category.objects.filter(company_id=_viewer(request))


@router.get("/categories", response=Page[CategoryOut])
def list_categories(request, page: Query[Paging], filters: Query[CategoryFilters]):
    return paginate(filters.filter(_categories(request).order_by("path", "code")), page)


@router.get("/categories/tree", response=list[CategoryNode], summary="The whole category tree")
def category_tree(request):
    nodes = {c.pk: {"id": c.pk, "code": c.code, "name": c.name, "parent_id": c.parent_id, "path": c.path,
                    "children": []} for c in _categories(request).order_by("code")}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    return roots


@router.get("/categories/{int:category_id}", response=CategoryOut)
def get_category(request, category_id: int = PK):
    return get_or_404(_categories(request), category_id, "category")


@router.post("/categories", response={201: CategoryOut})
def create_category(request, payload: CategoryIn):
    parent = get_or_404(_categories(request), payload.parent, "category") if payload.parent else None
    cat = catalog.create_category(by=request.auth, code=payload.code, name=payload.name, parent=parent)
    return Status(201, cat)


@router.patch("/categories/{int:category_id}", response=CategoryOut)
def update_category(request, payload: CategoryPatch, category_id: int = PK):
    cat = get_or_404(_categories(request), category_id, "category")
    return save_changes(cat, request, payload, ["code", "name"], "category.updated")


# ---------------------------------------------------------------- items


class ItemUnitIn(Schema):
    unit: Id
    factor: PositiveQty


class BarcodeIn(Schema):
    code: text(64, min_length=1)
    unit: Id | None = None


class LevelsIn(Schema):
    safety_stock: NonNegQty | None = None
    reorder_point: NonNegQty | None = None
    max_stock: NonNegQty | None = None


class ItemFields(Schema):
    spec: text(200) | None = None
    category: Id | None = None
    tracking: Tracking | None = None
    shelf_life_days: int | None = Field(None, ge=0, le=36500)
    purchase_price: Price | None = None
    standard_cost: Price | None = Field(None, description="what the item is issued at when it has no cost history "
                                                          "(before the purchase price)")
    sale_price: Price | None = None
    tax_rate: Decimal | None = Field(None, ge=0, le=1, max_digits=5, decimal_places=4)


class ItemIn(ItemFields):
    code: Code
    name: Name
    base_unit: Id
    barcodes: list[text(64, min_length=1)] = Field(default_factory=list, max_length=50)
    units: list[ItemUnitIn] = Field(default_factory=list, max_length=20)


class ItemPatch(ItemFields):
    code: Code | None = None
    name: Name | None = None
    is_active: bool | None = None


class ItemUnitOut(Schema):
    unit: int = Field(alias="unit_id")
    code: str = Field(alias="unit.code")
    name: str = Field(alias="unit.name")
    factor: Decimal


class BarcodeOut(Schema):
    code: str
    unit: int | None = Field(None, alias="unit_id")


class LevelOut(Schema):
    warehouse: int = Field(alias="warehouse_id")
    safety_stock: Decimal
    reorder_point: Decimal
    max_stock: Decimal | None


class ItemOut(Schema):
    id: int
    code: str
    name: str
    spec: str
    category: int | None = Field(None, alias="category_id")
    base_unit: int = Field(alias="base_unit_id")
    tracking: str
    shelf_life_days: int | None
    purchase_price: Decimal | None
    standard_cost: Decimal | None
    sale_price: Decimal
    tax_rate: Decimal
    is_active: bool

    @staticmethod
    def resolve_purchase_price(obj, context):
        return cost_field(obj.purchase_price, context)

    @staticmethod
    def resolve_standard_cost(obj, context):
        return cost_field(obj.standard_cost, context)


class ItemDetail(ItemOut):
    barcodes: list[BarcodeOut]
    units: list[ItemUnitOut]
    levels: list[LevelOut]

    @staticmethod
    def resolve_barcodes(obj):
        return list(obj.barcodes.all())

    @staticmethod
    def resolve_units(obj):
        return list(obj.units.select_related("unit"))

    @staticmethod
    def resolve_levels(obj):
        return list(obj.levels.all())


class ItemFilters(Search):
    q: Annotated[search_text(), FilterLookup(["code__icontains", "name__icontains", "barcodes__code",
                                              "search_key__icontains"])] = Field(
        None, description="substring of the code, the name or its pinyin (full or initials: kekoukele, kkkl), "
                          "or a barcode")
    category: Id | None = Field(None, description="this category and its subcategories")
    active: Annotated[bool | None, FilterLookup("is_active")] = None
    tracking: Tracking | None = None

    def filter_category(self, value) -> Q:
        return Q(category__path__contains=f"/{value}/") if value else Q()  # a path lists the ancestors' ids


def _items(request):
    return Item.objects.filter(company_id=_viewer(request))


def _resolve_item_refs(request, payload) -> dict:
    """Turn the payload's ids into rows of the caller's company (404 for anything else)."""
    fields = payload.dict(exclude_unset=True, exclude={"barcodes", "units", "base_unit", "code", "name"})
    if fields.get("category"):
        fields["category"] = get_or_404(_categories(request), fields["category"], "category")
    return {k: v for k, v in fields.items() if v is not None or k == "category"}


@router.get("/items", response=Page[ItemOut])
def list_items(request, page: Query[Paging], filters: Query[ItemFilters]):
    if filters.category:
        get_or_404(_categories(request), filters.category, "category")
    qs = filters.filter(_items(request).order_by("code"))
    return paginate(qs.distinct() if filters.q else qs, page)  # one row per item, whichever barcode matched


@router.get("/items/{int:item_id}", response=ItemDetail)
def get_item(request, item_id: int = PK):
    return get_or_404(_items(request), item_id, "item")


@router.post("/items", response={201: ItemDetail})
def create_item(request, payload: ItemIn):
    units = _units(request)
    base = get_or_404(units, payload.base_unit, "unit")
    alt = [(get_or_404(units, u.unit, "unit"), u.factor) for u in payload.units]
    item = catalog.create_item(by=request.auth, code=payload.code, name=payload.name, base_unit=base,
                               barcodes=payload.barcodes, units=alt, **_resolve_item_refs(request, payload))
    return Status(201, item)


@router.patch("/items/{int:item_id}", response=ItemDetail)
def update_item(request, payload: ItemPatch, item_id: int = PK):
    item = get_or_404(_items(request), item_id, "item")
    changes = _resolve_item_refs(request, payload)
    changes.update({k: v for k, v in payload.dict(exclude_unset=True, include={"code", "name"}).items() if v})
    return catalog.update_item(item, by=request.auth, **changes)


@router.post("/items/{int:item_id}/barcodes", response={201: ItemDetail})
def add_barcode(request, payload: BarcodeIn, item_id: int = PK):
    item = get_or_404(_items(request), item_id, "item")
    unit = get_or_404(_units(request), payload.unit, "unit") if payload.unit else None
    catalog.add_barcode(item, by=request.auth, code=payload.code, unit=unit)
    return Status(201, item)


@router.post("/items/{int:item_id}/units", response={201: ItemDetail}, summary="Add or change an alternative unit")
def add_item_unit(request, payload: ItemUnitIn, item_id: int = PK):
    permissions.require(request.auth, "masterdata.edit")
    item = get_or_404(_items(request), item_id, "item")
    unit = get_or_404(_units(request), payload.unit, "unit")
    catalog.add_item_unit(item, by=request.auth, unit=unit, factor=payload.factor)
    return Status(201, item)


# ---------------------------------------------------------------- barcode lookup


class ScanOut(Schema):
    item: ItemOut
    unit: UnitOut | None
    lot: str | None
    expires_on: dt.date | None
    produced_on: dt.date | None
    gs1: bool
    units: list[ItemUnitOut]  # the item's other units with their factors (a line may be in any of them)

    @staticmethod
    def resolve_units(obj):
        return list(obj["item"].units.select_related("unit"))


@router.get("/barcodes/{code}", response=ScanOut,
            summary="Resolve a scan: a plain barcode or a GS1 element string (GTIN, lot, dates)")
def lookup_barcode(request, code: text(200, min_length=1)):
    return catalog.lookup_barcode(_viewer(request), code)
