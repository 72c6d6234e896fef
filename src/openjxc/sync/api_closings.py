"""Till closings (交班 / 日结) through the API: what a till should hold now, close it, list and print closings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from openjxc.core.permissions import require
from openjxc.core.schemas import Id, Page, Paging, get_or_404, paginate, text
from openjxc.sync import closing as tills
from openjxc.sync.closing_print import closing_pdf
from openjxc.sync.models import TillClosing

router = Router(tags=["tills"])


class ExpectedOut(Schema):
    terminal: int
    terminal_code: str
    since: dt.datetime | None
    cash_sales: Decimal
    cash_refunds: Decimal
    cash_voided: Decimal
    expected_without_float: Decimal
    sales_count: int
    by_method: dict[str, Decimal]


class ClosingIn(Schema):
    terminal: Id | str
    counted: Decimal = Field(..., ge=0, max_digits=18, decimal_places=2)
    opening_float: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=2)
    reason: text(500) = ""


class ClosingOut(Schema):
    id: int
    number: str
    terminal: int = Field(alias="terminal_id")
    terminal_code: str = Field(alias="terminal.code")
    cashier: int = Field(alias="cashier_id")
    business_on: dt.date
    closed_at: dt.datetime
    opening_float: Decimal
    cash_sales: Decimal
    cash_refunds: Decimal
    cash_voided: Decimal
    expected: Decimal
    counted: Decimal
    difference: Decimal
    reason: str
    by_method: dict
    sales_count: int


class ClosingFilters(Schema):
    terminal: Id | None = None
    cashier: Id | None = None


def _closings(request):
    require(request.auth, "till.view", tills.CLOSE_ROLES)
    return TillClosing.objects.filter(company_id=request.auth.company_id).select_related("terminal")


@router.get("/closings/expected", response=ExpectedOut, summary="What the till should hold since its last closing")
def expected(request, terminal: str):
    require(request.auth, "till.view", tills.CLOSE_ROLES)
    ref: int | str = int(terminal) if terminal.isdigit() else terminal
    exp = tills.expected_cash(tills.till_of(request.auth.company, ref))
    return {"terminal": exp.terminal.pk, "terminal_code": exp.terminal.code, "since": exp.since,
            "cash_sales": exp.cash_sales, "cash_refunds": exp.cash_refunds, "cash_voided": exp.cash_voided,
            "expected_without_float": exp.expected(Decimal(0)), "sales_count": exp.sales_count,
            "by_method": exp.by_method}


@router.post("/closings", response={201: ClosingOut}, summary="Close a till (交班): counted cash, difference, reason")
def create_closing(request, payload: ClosingIn):
    return HttpStatus(201, tills.close_till(by=request.auth, terminal=payload.terminal, counted=payload.counted,
                                            opening_float=payload.opening_float, reason=payload.reason))


@router.get("/closings", response=Page[ClosingOut], summary="Till closings, newest first")
def list_closings(request, page: Query[Paging], filters: Query[ClosingFilters]):
    qs = _closings(request).order_by("-id")
    if filters.terminal:
        qs = qs.filter(terminal_id=filters.terminal)
    if filters.cashier:
        qs = qs.filter(cashier_id=filters.cashier)
    return paginate(qs, page)


@router.get("/closings/{int:pk}", response=ClosingOut)
def get_closing(request, pk: int):
    return get_or_404(_closings(request), pk, "till closing")


@router.get("/closings/{int:pk}/pdf", summary="The closing on an 80 mm receipt roll (PDF)")
def closing_receipt(request, pk: int):
    c = get_or_404(_closings(request), pk, "till closing")
    return HttpResponse(closing_pdf(c), content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{c.number}.pdf"'})
