"""Suppliers, customers and regions."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, Path, Query, Router, Schema, Status

from openjxc.core.schemas import (
    MAX_ID,
    Code,
    Id,
    Money,
    Name,
    Page,
    Paging,
    Search,
    company_id,
    get_or_404,
    paginate,
    save_changes,
    text,
)
from openjxc.partners import services as partners
from openjxc.partners.models import Partner, PartnerKind, Region

router = Router(tags=["partners"])
PK = Path(..., ge=1, le=MAX_ID)


def _viewer(request):
    return company_id(request, "masterdata.view")


# ---------------------------------------------------------------- regions


class RegionIn(Schema):
    code: text(32, min_length=1)
    name: text(100, min_length=1)
    parent: Id | None = None


class RegionPatch(Schema):
    code: text(32, min_length=1) | None = None
    name: text(100, min_length=1) | None = None


class RegionOut(Schema):
    id: int
    code: str
    name: str
    parent: int | None = Field(None, alias="parent_id")


def _regions(request):
    return Region.objects.filter(company_id=_viewer(request))


@router.get("/regions", response=Page[RegionOut])
def list_regions(request, page: Query[Paging], filters: Query[Search]):
    return paginate(filters.filter(_regions(request).order_by("code")), page)


@router.get("/regions/{int:region_id}", response=RegionOut)
def get_region(request, region_id: int = PK):
    return get_or_404(_regions(request), region_id, "region")


@router.post("/regions", response={201: RegionOut})
def create_region(request, payload: RegionIn):
    parent = get_or_404(_regions(request), payload.parent, "region") if payload.parent else None
    region = partners.create_region(by=request.auth, code=payload.code, name=payload.name, parent=parent)
    return Status(201, region)


@router.patch("/regions/{int:region_id}", response=RegionOut)
def update_region(request, payload: RegionPatch, region_id: int = PK):
    region = get_or_404(_regions(request), region_id, "region")
    return save_changes(region, request, payload, ["code", "name"], "region.updated")


# ---------------------------------------------------------------- partners


class PartnerFields(Schema):
    region: Id | None = None
    contact: text(100) | None = None
    phone: text(50) | None = None
    email: text(254) | None = None
    address: text(300) | None = None
    tax_number: text(50) | None = None
    credit_limit: Money | None = None
    is_walk_in: bool | None = Field(None, description="the store's walk-in customer (门店散客): must pay in full")


class PartnerIn(PartnerFields):
    code: Code
    name: Name
    kind: PartnerKind


class PartnerPatch(PartnerFields):
    code: Code | None = None
    name: Name | None = None
    kind: PartnerKind | None = None
    is_active: bool | None = None


class PartnerOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region: int | None = Field(None, alias="region_id")
    contact: str
    phone: str
    email: str
    address: str
    tax_number: str
    credit_limit: Decimal | None
    is_active: bool
    is_walk_in: bool


class PartnerFilters(Search):
    kind: PartnerKind | None = Field(None, description="supplier or customer (partners who are both included)")
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    active: Annotated[bool | None, FilterLookup("is_active")] = None

    def filter_kind(self, value) -> Q:
        return Q(kind__in=[value, PartnerKind.BOTH]) if value else Q()


def _partners(request):
    return Partner.objects.filter(company_id=_viewer(request))


def _fields(request, payload) -> dict:
    fields = payload.dict(exclude_unset=True)
    if fields.get("region"):
        fields["region"] = get_or_404(_regions(request), fields["region"], "region")
    # null clears a nullable reference or limit; for text fields it means "unchanged"
    return {k: v for k, v in fields.items() if v is not None or k in ("region", "credit_limit")}


@router.get("", response=Page[PartnerOut])
def list_partners(request, page: Query[Paging], filters: Query[PartnerFilters]):
    return paginate(filters.filter(_partners(request).order_by("code")), page)


@router.get("/{int:partner_id}", response=PartnerOut)
def get_partner(request, partner_id: int = PK):
    return get_or_404(_partners(request), partner_id, "partner")


@router.post("", response={201: PartnerOut})
def create_partner(request, payload: PartnerIn):
    return Status(201, partners.create_partner(by=request.auth, **_fields(request, payload)))


@router.patch("/{int:partner_id}", response=PartnerOut)
def update_partner(request, payload: PartnerPatch, partner_id: int = PK):
    partner = get_or_404(_partners(request), partner_id, "partner")
    return partners.update_partner(partner, by=request.auth, **_fields(request, payload))
