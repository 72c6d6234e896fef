"""Stock counts (盘点) over the API: plans, counts, counting entries, variance, the adjustment, accuracy.

The adjustment a count creates is an ordinary `stock_count` document: submit, approve and post it with
/api/documents/{id}/submit|approve|post. On a blind count the book (and so the difference) is hidden
from users who may not see it (`counts.services.may_see_book`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Count as N
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from ninja import Field, FilterLookup, FilterSchema, Path, Query, Router, Schema
from ninja import Status as HttpStatus
from pydantic import ConfigDict

from openjxc.catalog.models import Item
from openjxc.core import clock
from openjxc.core.errors import PermissionDenied, ValidationFailed
from openjxc.core.schemas import (
    MAX_ID,
    Id,
    Money,
    Page,
    PageParams,
    Paging,
    can_see_cost,
    company_id,
    get_or_404,
    paginate,
    search_text,
    text,
)
from openjxc.counts import selectors
from openjxc.counts import services as counts
from openjxc.counts.models import Count, CountLine, CountPlan, CountStatus, Reason, Scope
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import Warehouse

router = Router(tags=["counts"])
PK = Path(..., ge=1, le=MAX_ID)
EntryQty = Field(None, max_digits=18, decimal_places=4, description="typed quantity; omit for one scan (+1)")


# ---------------------------------------------------------------- plans


class PlanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: text(100, min_length=1)
    warehouse: Id
    scope: Scope = Scope.FULL
    locations: list[Id] = Field(default_factory=list, max_length=1000)
    category: Id | None = None
    abc_class: Literal["A", "B", "C", ""] = ""
    sample_size: int = Field(0, ge=0, le=100_000)
    every_days: int | None = Field(None, ge=1, le=3660, description="default: A 7, B 30, C 90, others 30")
    next_due_on: dt.date | None = None
    assignees: list[Id] = Field(default_factory=list, max_length=100)
    blind: bool = True
    freeze: bool = False
    tolerance_rate: Decimal = Field(Decimal("0.02"), ge=0, le=100, max_digits=7, decimal_places=4)
    tolerance_value: Money = Decimal("100")
    tolerance_quantity: Decimal = Field(Decimal("1"), ge=0, max_digits=18, decimal_places=4,
                                        description="base units a line may differ from a book of 0")


class PlanPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: text(100, min_length=1) | None = None
    every_days: int | None = Field(None, ge=1, le=3660)
    next_due_on: dt.date | None = None
    assignees: list[Id] | None = Field(None, max_length=100)
    blind: bool | None = None
    freeze: bool | None = None
    tolerance_rate: Decimal | None = Field(None, ge=0, le=100, max_digits=7, decimal_places=4)
    tolerance_value: Money | None = None
    tolerance_quantity: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    sample_size: int | None = Field(None, ge=0, le=100_000)
    is_active: bool | None = None


class PlanOut(Schema):
    id: int
    name: str
    warehouse: int = Field(..., alias="warehouse_id")
    scope: str
    locations: list[int]
    category: int | None = Field(None, alias="category_id")
    abc_class: str
    sample_size: int
    every_days: int
    next_due_on: dt.date | None
    assignees: list[int]
    blind: bool
    freeze: bool
    tolerance_rate: Decimal
    tolerance_value: Decimal
    tolerance_quantity: Decimal
    is_active: bool

    @staticmethod
    def resolve_locations(obj):
        return sorted(obj.locations.values_list("id", flat=True))

    @staticmethod
    def resolve_assignees(obj):
        return sorted(obj.assignees.values_list("id", flat=True))


def _plans(request, action="stock.view"):
    cid = company_id(request, action)
    qs = CountPlan.objects.filter(company_id=cid)
    scope = scoped_warehouse_ids(request.auth)
    return qs if scope is None else qs.filter(warehouse_id__in=scope)


class PlanFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup("name__icontains")] = Field(None, description="substring of the name")


@router.get("/plans", response=Page[PlanOut])
def list_plans(request, page: Query[Paging], filters: Query[PlanFilters]):
    return paginate(filters.filter(_plans(request).order_by("next_due_on", "id")), page)


@router.post("/plans", response={201: PlanOut})
def create_plan(request, payload: PlanIn):
    return HttpStatus(201, counts.create_plan(by=request.auth, **payload.dict()))


@router.get("/plans/{int:plan_id}", response=PlanOut)
def get_plan(request, plan_id: int = PK):
    return get_or_404(_plans(request), plan_id, "count_plan")


@router.patch("/plans/{int:plan_id}", response=PlanOut)
def update_plan(request, payload: PlanPatch, plan_id: int = PK):
    plan = get_or_404(_plans(request), plan_id, "count_plan")
    return counts.update_plan(plan, by=request.auth, **payload.dict(exclude_unset=True))


# ---------------------------------------------------------------- counts


class CountIn(Schema):
    model_config = ConfigDict(extra="forbid")

    warehouse: Id
    scope: Scope = Scope.FULL
    locations: list[Id] = Field(default_factory=list, max_length=1000)
    category: Id | None = None
    abc_class: Literal["A", "B", "C", ""] = ""
    sample_size: int = Field(0, ge=0, le=100_000)
    items: list[Id] = Field(default_factory=list, max_length=10_000)
    name: text(100) = ""
    blind: bool = True
    freeze: bool = False
    tolerance_rate: Decimal = Field(Decimal("0.02"), ge=0, le=100, max_digits=7, decimal_places=4)
    tolerance_value: Money = Decimal("100")
    tolerance_quantity: Decimal = Field(Decimal("1"), ge=0, max_digits=18, decimal_places=4,
                                        description="base units a line may differ from a book of 0")
    due_on: dt.date | None = None
    assignees: list[Id] = Field(default_factory=list, max_length=100)
    start: bool = Field(False, description="start counting at once (snapshot the book now)")


class CountOut(Schema):
    id: int
    number: str
    name: str
    plan: int | None = Field(None, alias="plan_id")
    warehouse: int = Field(..., alias="warehouse_id")
    scope: str
    status: str
    blind: bool
    freeze: bool
    tolerance_rate: Decimal
    tolerance_value: Decimal
    tolerance_quantity: Decimal
    due_on: dt.date | None
    assignees: list[int]
    document: int | None = Field(None, alias="document_id")
    document_number: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    posted_at: dt.datetime | None
    lines: int
    counted: int
    recount: int

    @staticmethod
    def resolve_assignees(obj):
        return sorted(obj.assignees.values_list("id", flat=True))

    @staticmethod
    def resolve_document_number(obj):
        return obj.document.number if obj.document_id else None

    # list pages read the annotated figures (one query); a count a service just returned is counted here
    @staticmethod
    def resolve_lines(obj):
        n = getattr(obj, "n_lines", None)
        return n if n is not None else CountLine.objects.filter(count=obj).count()

    @staticmethod
    def resolve_counted(obj):
        n = getattr(obj, "n_counted", None)
        return n if n is not None else CountLine.objects.filter(count=obj, counted_quantity__isnull=False).count()

    @staticmethod
    def resolve_recount(obj):
        n = getattr(obj, "n_recount", None)
        return n if n is not None else CountLine.objects.filter(
            count=obj, recount_requested=True, counted_quantity__isnull=True).count()


@router.post("/plans/{int:plan_id}/run", response={201: CountOut}, summary="Create the plan's count now")
def run_plan(request, plan_id: int = PK):
    plan = get_or_404(_plans(request), plan_id, "count_plan")
    return HttpStatus(201, counts.create_count_from_plan(plan, by=request.auth))




class CountFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup(["number__icontains", "name__icontains"])] = Field(
        None, description="substring of the number or name")
    status: CountStatus | None = None
    warehouse: Annotated[Id | None, FilterLookup("warehouse_id")] = None
    mine: bool = Field(False, description="only counts assigned to me")

    def filter_mine(self, value) -> Q:
        return Q()  # who "me" is comes with the request: list_counts applies it


def _counts(request):
    cid = company_id(request, "stock.view")
    qs = Count.objects.filter(company_id=cid).select_related("document").annotate(
        n_lines=N("lines"), n_counted=N("lines", filter=Q(lines__counted_quantity__isnull=False)),
        n_recount=N("lines", filter=Q(lines__recount_requested=True, lines__counted_quantity__isnull=True)),
    )
    scope = scoped_warehouse_ids(request.auth)
    return qs if scope is None else qs.filter(warehouse_id__in=scope)


def _count(request, count_id) -> Count:
    return get_or_404(_counts(request), count_id, "count")


@router.get("", response=Page[CountOut])
def list_counts(request, page: Query[Paging], filters: Query[CountFilters]):
    qs = filters.filter(_counts(request).order_by("-created_at", "-id"))
    return paginate(qs.filter(assignees=request.auth) if filters.mine else qs, page)


@router.post("", response={201: CountOut})
def create_count(request, payload: CountIn):
    fields = payload.dict()
    start = fields.pop("start")
    count = counts.create_count(by=request.auth, **fields)
    if start:
        count = counts.start_count(count, by=request.auth)
    return HttpStatus(201, count)


@router.get("/{int:count_id}", response=CountOut)
def get_count(request, count_id: int = PK):
    return _count(request, count_id)


@router.post("/{int:count_id}/start", response=CountOut, summary="Start counting: snapshot the book")
def start_count(request, count_id: int = PK):
    return counts.start_count(_count(request, count_id), by=request.auth)


class FinishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    uncounted_as_zero: bool = False
    skip_uncounted: bool = Field(False, description="finish blank lines as not counted (no adjustment)")


@router.post("/{int:count_id}/finish", response=CountOut,
             summary="End a round: lines beyond tolerance go to a recount, else the count goes to review")
def finish_count(request, payload: FinishIn | None = None, count_id: int = PK):
    return counts.finish_count(_count(request, count_id), by=request.auth,
                               uncounted_as_zero=bool(payload and payload.uncounted_as_zero),
                               skip_uncounted=bool(payload and payload.skip_uncounted))


class RecountIn(Schema):
    model_config = ConfigDict(extra="forbid")
    lines: list[Id] = Field(..., min_length=1, max_length=100_000)


@router.post("/{int:count_id}/recount", response=CountOut, summary="Send lines back for another blind round")
def recount(request, payload: RecountIn, count_id: int = PK):
    return counts.request_recount(_count(request, count_id), by=request.auth, lines=payload.lines)


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: text(300) = ""


@router.post("/{int:count_id}/cancel", response=CountOut)
def cancel_count(request, payload: CancelIn | None = None, count_id: int = PK):
    return counts.cancel_count(_count(request, count_id), by=request.auth, reason=payload.reason if payload else "")


class CountDocumentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    business_on: dt.date | None = None
    memo: text(500) = ""


@router.post("/{int:count_id}/document", response=CountOut,
             summary="Create the stock_count adjustment (draft) from a reviewed count")
def create_document(request, payload: CountDocumentIn | None = None, count_id: int = PK):
    payload = payload or CountDocumentIn()
    return counts.create_count_document(_count(request, count_id), by=request.auth,
                                        business_on=payload.business_on, memo=payload.memo)


# ---------------------------------------------------------------- counting


class EntryIn(Schema):
    model_config = ConfigDict(extra="forbid")

    barcode: text(200) = Field("", description="a scanned barcode or GS1 element string (lot, expiry)")
    item: Id | None = None
    quantity: Decimal | None = EntryQty
    location: Id | None = None
    lot_code: text(64) = ""
    expires_on: dt.date | None = None
    produced_on: dt.date | None = None


class EntriesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    entries: list[EntryIn] = Field(..., min_length=1, max_length=counts.MAX_ENTRIES)


class CountEntryOut(Schema):
    line: int
    entry: int
    item: int
    item_code: str
    item_name: str
    location: int
    lot: str
    added: bool
    round: int
    counted_quantity: Decimal | None
    expected_quantity: Decimal | None = Field(None, description="hidden on a blind count")


@router.post("/{int:count_id}/entries", response={201: list[CountEntryOut]},
             summary="Record scans (+1 each) or typed quantities; all or nothing")
def record_entries(request, payload: EntriesIn, count_id: int = PK):
    count = _count(request, count_id)
    results = counts.record_entries(count, by=request.auth, entries=[
        counts.EntryInput(**e.dict()) for e in payload.entries
    ])
    show = counts.may_see_book(request.auth, count)
    return HttpStatus(201, [
        {"line": r.line.pk, "entry": r.entry.pk, "item": r.item.pk, "item_code": r.item.code,
         "item_name": r.item.name, "location": r.line.location_id,
         "lot": r.line.lot.code if r.line.lot else "", "added": r.added, "round": r.line.round,
         "counted_quantity": r.line.counted_quantity,
         "expected_quantity": r.line.expected_quantity if show else None}
        for r in results
    ])


class CounterOut(Schema):
    user: int
    username: str
    quantity: Decimal


class CountLineOut(Schema):
    id: int
    item: int
    item_code: str
    item_name: str
    location: int
    location_code: str
    lot: str
    expires_on: dt.date | None
    snapshot_quantity: Decimal | None
    expected_quantity: Decimal | None
    counted_quantity: Decimal | None
    difference: Decimal | None
    unit_cost: Decimal | None
    difference_value: Decimal | None
    within: bool | None
    round: int
    recount_requested: bool
    is_added: bool
    not_counted: bool
    reason: str
    reason_note: str
    counted_at: dt.datetime | None
    counters: list[CounterOut]


class LineFilters(PageParams):
    limit: int = Field(200, ge=1, le=2000)
    differences: bool = Field(False, description="only lines with a difference")
    recount: bool = Field(False, description="only lines waiting for a recount")
    location: Id | None = None


@router.get("/{int:count_id}/lines", response=Page[CountLineOut],
            summary="Per line: book at start, book when counted, counted, difference, value, counters, reason")
def list_lines(request, filters: Query[LineFilters], count_id: int = PK):
    count = _count(request, count_id)
    show, costs = counts.may_see_book(request.auth, count), can_see_cost(request)
    # on a blind count, "only differences" would tell the counter where the book disagrees
    rows = selectors.variance_rows(count, only_differences=filters.differences and show)
    if filters.recount:
        rows = [r for r in rows if r["recount_requested"] and r["counted_quantity"] is None]
    if filters.location:
        rows = [r for r in rows if r["location"] == filters.location]
    if filters.q:
        q = filters.q.lower()
        rows = [r for r in rows if q in r["item_code"].lower() or q in r["item_name"].lower()]
    if not show or not costs:
        for r in rows:
            if not show:
                for k in ("snapshot_quantity", "expected_quantity", "difference", "difference_value", "within"):
                    r[k] = None
            if not costs:
                r["unit_cost"] = r["difference_value"] = None
    return paginate(rows, filters)


class CountReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    note: text(300) = ""


@router.patch("/{int:count_id}/lines/{int:line_id}", response=dict, summary="Record why a line differs")
def set_reason(request, payload: CountReasonIn, count_id: int = PK, line_id: int = PK):
    ln = counts.set_reason(_count(request, count_id), by=request.auth, line=line_id, reason=payload.reason,
                           note=payload.note)
    return {"id": ln.pk, "reason": ln.reason, "reason_note": ln.reason_note}


def _book_reader(request, count: Count) -> None:
    if not counts.may_see_book(request.auth, count):
        raise PermissionDenied(action=_("see the book quantities of a blind count"))


@router.get("/{int:count_id}/variance", response=dict, summary="Differences by location and by counter")
def variance(request, count_id: int = PK):
    count = _count(request, count_id)
    _book_reader(request, count)
    return selectors.variance_summary(count)


@router.get("/{int:count_id}/accuracy", response=dict,
            summary="Share of lines within ±2% and value-weighted accuracy of one count")
def count_accuracy(request, count_id: int = PK):
    count = _count(request, count_id)
    _book_reader(request, count)
    return selectors.count_accuracy(count)


# ---------------------------------------------------------------- accuracy and ABC


class TrendFilters(Schema):
    period: Literal["week", "month"] = "week"
    since: dt.date | None = Field(None, description="default: 26 weeks (or 12 months) ago")
    until: dt.date | None = None
    warehouse: Id | None = None


@router.get("/accuracy/trend", response=list[dict], summary="Count accuracy per week or month")
def accuracy_trend(request, filters: Query[TrendFilters]):
    cid = company_id(request, "stock.view")
    company = request.auth.company
    until = filters.until or clock.today(company.time_zone)
    if filters.since is None and until < dt.date(1, 1, 1) + dt.timedelta(weeks=52):
        raise ValidationFailed(field="until", reason=_("is too early"))
    since = filters.since or until - dt.timedelta(weeks=26 if filters.period == "week" else 52)
    return selectors.accuracy_trend(cid, period=filters.period, since=since, until=until,
                                    warehouse_id=filters.warehouse, tz=company.time_zone)


class OffenderFilters(Schema):
    days: int = Field(180, ge=1, le=3660)
    min_counts: int = Field(2, ge=1, le=100)
    warehouse: Id | None = None


@router.get("/accuracy/offenders", response=dict,
            summary="Items and locations found wrong (beyond ±2%) in several counts")
def offenders(request, filters: Query[OffenderFilters]):
    cid = company_id(request, "stock.view")
    return selectors.repeat_offenders(cid, since=clock.now() - dt.timedelta(days=filters.days),
                                      min_counts=filters.min_counts, warehouse_id=filters.warehouse)


class AbcFilters(Schema):
    warehouse: Id
    days: int = Field(90, ge=1, le=3660)


@router.get("/abc", response=list[dict], summary="ABC class of each item from its consumption value")
def abc(request, filters: Query[AbcFilters]):
    cid = company_id(request, "stock.view")
    wh = get_or_404(Warehouse.objects.filter(company_id=cid), filters.warehouse, "warehouse")
    scope = scoped_warehouse_ids(request.auth)
    if scope is not None and wh.pk not in scope:
        raise PermissionDenied(action=_("work in warehouse %(warehouse)s") % {"warehouse": wh.name})
    today = clock.today(request.auth.company.time_zone)
    classes = selectors.abc_classes(cid, wh.pk, on=today, days=filters.days)
    values = selectors.consumption_values(cid, wh.pk, on=today, days=filters.days)
    names = {i: (c, n) for i, c, n in Item.objects.filter(pk__in=classes).values_list("id", "code", "name")}
    show = can_see_cost(request)
    return sorted(
        ({"item": i, "code": names[i][0], "name": names[i][1], "class": c,
          "consumption_value": values.get(i, Decimal(0)) if show else None} for i, c in classes.items()),
        key=lambda r: (r["class"], -(r["consumption_value"] or 0), r["code"]),
    )
