"""Prices through the API: customer groups, price lists with quantity breaks, price lookup, VAT rates,
the last purchase price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from ninja import Status as HttpStatus

from openjxc.catalog import pricing
from openjxc.catalog.models import CustomerGroup, Item, PriceList
from openjxc.core.schemas import (
    Id,
    NonNegQty,
    Page,
    Paging,
    PositiveQty,
    Price,
    company_id,
    get_or_404,
    paginate,
    search_text,
)
from openjxc.core.schemas import text as text_
from openjxc.partners.models import Partner

router = Router(tags=["pricing"])


class PriceItemIn(Schema):
    item: Id
    price: Price
    unit: Id | None = None
    min_quantity: NonNegQty = Decimal("0")
    tax_inclusive: bool = True


class PriceItemOut(Schema):
    item: int = Field(alias="item_id")
    unit: int = Field(alias="unit_id")
    min_quantity: Decimal
    price: Decimal
    tax_inclusive: bool


class PriceListIn(Schema):
    name: text_(100, min_length=1)
    partner: Id | None = None
    customer_group: Id | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    is_active: bool = True
    items: list[PriceItemIn] = Field([], max_length=10_000)


class PriceListPatch(Schema):
    name: text_(100, min_length=1) | None = None
    partner: Id | None = None
    customer_group: Id | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    is_active: bool | None = None
    items: list[PriceItemIn] | None = Field(None, max_length=10_000)


class PriceListOut(Schema):
    id: int
    name: str
    partner: int | None = Field(None, alias="partner_id")
    customer_group: int | None = Field(None, alias="customer_group_id")
    valid_from: dt.date | None
    valid_to: dt.date | None
    is_active: bool
    items: list[PriceItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.order_by("item_id", "unit_id", "min_quantity"))


class GroupIn(Schema):
    code: text_(32, min_length=1)
    name: text_(100, min_length=1)
    members: list[Id] = Field([], max_length=10_000)


class GroupOut(Schema):
    id: int
    code: str
    name: str
    members: list[int]

    @staticmethod
    def resolve_members(obj):
        return sorted(obj.members.values_list("id", flat=True))


class PriceOut(Schema):
    unit_price: Decimal
    tax_inclusive: bool
    unit: int = Field(alias="unit_id")
    price_list: int | None = Field(alias="price_list_id")
    min_quantity: Decimal
    tax_rate: Decimal


class PriceQuery(Schema):
    item: Id
    partner: Id | None = None
    quantity: PositiveQty = Decimal("1")
    unit: Id | None = None
    on: dt.date | None = None


def _header(request, payload, *, partial: bool) -> dict:
    cid = company_id(request, "masterdata.edit")
    fields = payload.dict(exclude={"items"}, exclude_unset=partial)
    if fields.get("partner") is not None:
        fields["partner"] = get_or_404(Partner.objects.filter(company_id=cid), fields["partner"], "partner")
    if fields.get("customer_group") is not None:
        fields["customer_group"] = get_or_404(CustomerGroup.objects.filter(company_id=cid),
                                              fields["customer_group"], "customer_group")
    return {k: v for k, v in fields.items() if v is not None or k in ("partner", "customer_group", "valid_from",
                                                                       "valid_to")}


def _prices(items):
    return None if items is None else [pricing.PriceInput(**i.dict()) for i in items]


def _load(request, list_id: int, action: str = "masterdata.view") -> PriceList:
    return get_or_404(PriceList.objects.filter(company_id=company_id(request, action)), list_id, "price_list")



@router.get("/vat-rates", response=list[Decimal], summary="China's VAT rates, as data")
def vat_rates(request):
    return list(pricing.VAT_RATES)


@router.get("/customer-groups", response=list[GroupOut])
def list_groups(request):
    return list(CustomerGroup.objects.filter(company_id=company_id(request, "masterdata.view")).order_by("code"))


@router.post("/customer-groups", response={201: GroupOut})
def create_group(request, payload: GroupIn):
    company_id(request, "masterdata.edit")
    return HttpStatus(201, pricing.create_customer_group(by=request.auth, **payload.dict()))


class MembersIn(Schema):
    members: list[Id] = Field(..., max_length=10_000)


@router.put("/customer-groups/{int:group_id}/members", response=GroupOut, summary="Replace a group's customers")
def set_group_members(request, payload: MembersIn, group_id: int):
    group = get_or_404(CustomerGroup.objects.filter(company_id=company_id(request, "masterdata.edit")), group_id,
                       "customer_group")
    pricing.set_group_members(group, by=request.auth, members=payload.members)
    return group


class PriceListFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup("name__icontains")] = Field(None, description="substring of the name")


@router.get("/price-lists", response=Page[PriceListOut])
def list_price_lists(request, page: Query[Paging], filters: Query[PriceListFilters]):
    qs = PriceList.objects.filter(company_id=company_id(request, "masterdata.view")).order_by("name", "id")
    return paginate(filters.filter(qs), page)


@router.post("/price-lists", response={201: PriceListOut})
def create_price_list(request, payload: PriceListIn):
    header = _header(request, payload, partial=False)
    return HttpStatus(201, pricing.create_price_list(by=request.auth, prices=_prices(payload.items), **header))


@router.get("/price-lists/{int:list_id}", response=PriceListOut)
def get_price_list(request, list_id: int):
    return _load(request, list_id)


@router.patch("/price-lists/{int:list_id}", response=PriceListOut, summary="Change a list; `items` replaces its prices")
def update_price_list(request, payload: PriceListPatch, list_id: int):
    pl = _load(request, list_id, "masterdata.edit")
    return pricing.update_price_list(pl, by=request.auth, prices=_prices(payload.items),
                                     **_header(request, payload, partial=True))


@router.delete("/price-lists/{int:list_id}", response={204: None})
def delete_price_list(request, list_id: int):
    pricing.delete_price_list(_load(request, list_id, "masterdata.edit"), by=request.auth)
    return HttpStatus(204, None)


@router.get("/price", response=PriceOut, summary="The price for a customer, item and quantity on a date")
def price_lookup(request, query: Query[PriceQuery]):
    from openjxc.core import clock

    cid = company_id(request, "masterdata.view")
    item = get_or_404(Item.objects.filter(company_id=cid), query.item, "item")
    partner = get_or_404(Partner.objects.filter(company_id=cid), query.partner, "partner") if query.partner else None
    on = query.on or clock.today(request.auth.company.time_zone)
    return pricing.price_for(cid, partner, item, query.quantity, on, unit=query.unit)
