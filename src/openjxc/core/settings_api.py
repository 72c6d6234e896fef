"""Company settings (core/company_settings.py) through the API.

The URLs stay under /api/finance/ where integrators found them first; the settings themselves belong to the
company, so the endpoints live here beside the functions they call.
"""

from __future__ import annotations

from typing import Literal

from ninja import Field, Router, Schema

from openjxc.core.company_settings import (
    applies_vat,
    payable_from,
    set_payable_from,
    set_stock_tracking,
    set_vat,
    tracks_stock,
)
from openjxc.core.schemas import company_id

router = Router(tags=["finance"])


class StockTrackingIn(Schema):
    enabled: bool


class StockTrackingOut(Schema):
    stock_tracking: bool


class PayableFromIn(Schema):
    source: Literal["receipt", "bill"]


class PayableFromOut(Schema):
    payable_from: str


@router.get("/stock-tracking", response=StockTrackingOut, summary="Whether documents post to the stock ledger")
def get_stock_tracking(request):
    company_id(request, "settings.view")
    return {"stock_tracking": tracks_stock(request.auth.company)}


@router.put("/stock-tracking", response=StockTrackingOut,
            summary="Switch stock tracking off (trading mode, 进销存无库存版) or on")
def put_stock_tracking(request, payload: StockTrackingIn):
    company = set_stock_tracking(by=request.auth, enabled=payload.enabled)
    return {"stock_tracking": tracks_stock(company)}


@router.get("/payable-from", response=PayableFromOut, summary="What books the payable: receipts or supplier bills")
def get_payable_from(request):
    company_id(request, "settings.view")
    return {"payable_from": payable_from(request.auth.company)}


@router.put("/payable-from", response=PayableFromOut,
            summary="Book payables from purchase receipts (default) or from supplier bills (采购发票)")
def put_payable_from(request, payload: PayableFromIn):
    company = set_payable_from(by=request.auth, source=payload.source)
    return {"payable_from": payable_from(company)}


class VatIn(Schema):
    enabled: bool


class VatOut(Schema):
    vat: bool = Field(description="true: general VAT taxpayer (一般纳税人), lines take their item's rate; "
                                  "false: small-scale (小规模纳税人), lines without separate VAT unless given")


@router.get("/vat", response=VatOut, summary="General VAT taxpayer (一般纳税人) or small-scale (小规模纳税人)")
def get_vat(request):
    company_id(request, "settings.view")
    return {"vat": applies_vat(request.auth.company)}


@router.put("/vat", response=VatOut, summary="Switch between general VAT taxpayer and small-scale taxpayer")
def put_vat(request, payload: VatIn):
    return {"vat": applies_vat(set_vat(by=request.auth, enabled=payload.enabled))}
