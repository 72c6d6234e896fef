"""The JSON API of the semantic layer: its registry, the query layer, every KPI, drill-down to documents.

Read-only; the caller needs `reports.view` or `reports.store` (reports/access.py). Warehouse-scoped users see
only their warehouses (partner-ledger figures are not kept per warehouse, so they are refused to them, and to
`reports.store` readers); costs are masked (null, listed in `masked`) for roles without `stock.cost`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from ninja import Query as QueryParams
from ninja import Router, Schema
from pydantic import Field

from openjxc.core import clock
from openjxc.core.errors import ValidationFailed
from openjxc.core.permissions import allowed
from openjxc.core.schemas import MAX_ID
from openjxc.reports import drill as drilling
from openjxc.reports.access import require_reader, warehouse_scope
from openjxc.reports.kpi_run import compute
from openjxc.reports.query import Query, run
from openjxc.reports.semantic import DIMENSIONS, FAMILIES, KPIS, MEASURES, formula, parts_of

router = Router(tags=["reports"])
FILTER_DIMS = ("item", "category", "warehouse", "store", "customer", "customer_group", "region", "supplier",
               "salesperson", "channel", "flow", "book")


class DimensionOut(Schema):
    name: str
    label: str
    families: list[str]
    grain: str | None
    tree: str | None


class MeasureOut(Schema):
    name: str
    label: str
    family: str
    kind: str
    unit: str
    cost: bool
    formula: str
    formula_zh: str
    formula_en: str


class KpiOut(Schema):
    name: str
    label: str
    unit: str
    cost: bool
    by: list[str]
    params: dict[str, Any]
    formula: str
    formula_zh: str
    formula_en: str


class SemanticOut(Schema):
    dimensions: list[DimensionOut]
    measures: list[MeasureOut]
    kpis: list[KpiOut]


class QueryIn(Schema):
    measures: list[str] = Field(..., min_length=1, max_length=12)
    dimensions: list[str] = Field(default_factory=list, max_length=4)
    start: dt.date | None = Field(None, description="first day; default the first day of this month")
    end: dt.date | None = Field(None, description="last day, inclusive; default today")
    filters: dict[str, list[int]] = Field(default_factory=dict, description="dimension -> ids (trees: subtrees)")
    subtotals: str = Field("none", description="none | rollup | cube")
    top: int | None = Field(None, ge=1, le=1000, description="keep the first dimension's top N, the rest as 其他")
    top_by: str | None = None


class RowOut(Schema):
    keys: list[Any]
    labels: list[str]
    values: dict[str, Decimal | None]
    subtotal: bool


class QueryOut(Schema):
    dimensions: list[str]
    measures: list[MeasureOut]
    rows: list[RowOut]
    masked: list[str]
    truncated: bool


class KpiParams(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    by: str | None = Field(None, max_length=32)
    warehouse: list[int] = Field(default_factory=list)
    category: list[int] = Field(default_factory=list)
    item: list[int] = Field(default_factory=list)
    supplier: list[int] = Field(default_factory=list)
    customer: list[int] = Field(default_factory=list)
    days: int | None = Field(None, ge=1, le=3650, description="slow_moving: no sale for this many days")
    grace_days: int | None = Field(None, ge=0, le=365, description="on_time_rate")
    tolerance: Decimal | None = Field(None, ge=0, le=1, description="on_time_rate, e.g. 0.02")
    raw_materials: bool | None = Field(None, description="turnover: total issue cost instead of COGS")
    obsolete_age: int | None = Field(None, ge=1, le=3650)
    obsolete_idle: int | None = Field(None, ge=1, le=3650)


class KpiRowOut(Schema):
    key: Any
    label: str
    value: Decimal | None
    parts: dict[str, Any]


class KpiResultOut(Schema):
    kpi: KpiOut
    start: dt.date
    end: dt.date
    masked: bool
    rows: list[KpiRowOut]
    extra: dict[str, Any]


class DrillIn(Schema):
    family: str = Field(..., max_length=16)
    cell: dict[str, Any] = Field(default_factory=dict, description="dimension -> value of the cell")
    start: dt.date | None = None
    end: dt.date | None = None
    filters: dict[str, list[int]] = Field(default_factory=dict)


class DrillRowOut(Schema):
    id: int
    type: str
    number: str
    kind: str
    business_on: dt.date
    status: str
    partner: int | None
    amount: Decimal


def _measure_out(name: str) -> dict:
    m = MEASURES[name]
    return {"name": m.name, "label": str(m.label), "family": m.family, "kind": m.kind, "unit": m.unit,
            "cost": m.cost, "formula": formula(m, get_language()), "formula_zh": m.formula_zh,
            "formula_en": m.formula_en}


def _kpi_out(name: str) -> dict:
    k = KPIS[name]
    return {"name": k.name, "label": str(k.label), "unit": k.unit, "cost": k.cost, "by": list(k.by),
            "params": dict(k.params), "formula": formula(k, get_language()), "formula_zh": k.formula_zh,
            "formula_en": k.formula_en}


def _period(user, start, end) -> tuple[dt.date, dt.date]:
    end = end or clock.today(user.company.time_zone)
    start = start or end.replace(day=1)
    if end < start:
        raise ValidationFailed(field="end", reason=_("must not be before the start"))
    return start, end


def _scope(user, families) -> frozenset[int] | None:
    return warehouse_scope(user, families)


def _filters(raw: dict[str, list[int]]) -> dict[str, list[int]]:
    for name, values in raw.items():
        if name not in FILTER_DIMS:
            raise ValidationFailed(field="filters", reason=_("has an unknown dimension %(name)s") % {"name": name})
        if len(values) > 1000 or any(not (0 <= v <= MAX_ID) for v in values):
            raise ValidationFailed(field=f"filters.{name}", reason=_("must be at most 1,000 ids"))
    return raw


@router.get("/semantic", response=SemanticOut, summary="The dimensions, measures and KPIs, with their formulas")
def semantic(request):
    require_reader(request.auth)
    return {
        "dimensions": [{"name": d.name, "label": str(d.label), "families": sorted(d.families), "grain": d.grain,
                        "tree": d.tree} for d in DIMENSIONS.values()],
        "measures": [_measure_out(n) for n in MEASURES],
        "kpis": [_kpi_out(n) for n in KPIS],
    }


@router.post("/query", response=QueryOut, summary="Measures × dimensions × period × filters, with subtotals")
def query(request, payload: QueryIn):
    require_reader(request.auth)
    user = request.auth
    unknown = [m for m in payload.measures if m not in MEASURES]
    if unknown:
        raise ValidationFailed(field="measures", reason=_("has an unknown measure %(name)s") % {"name": unknown[0]})
    families = {MEASURES[p].family for m in payload.measures for p in parts_of(m)}
    start, end = _period(user, payload.start, payload.end)
    q = Query(measures=payload.measures, dimensions=payload.dimensions, start=start, end=end,
              filters=_filters(payload.filters), subtotals=payload.subtotals, top=payload.top, top_by=payload.top_by,
              warehouse_ids=_scope(user, families), show_cost=allowed(user, "stock.cost"))
    res = run(user.company, q)
    return {"dimensions": res.dimensions, "measures": [_measure_out(m) for m in res.measures],
            "rows": [{"keys": [k.isoformat() if isinstance(k, dt.date) else k for k in r.keys],
                      "labels": list(r.labels), "values": r.values, "subtotal": r.subtotal} for r in res.rows],
            "masked": res.masked, "truncated": res.truncated}


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | Decimal):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


@router.get("/kpis/{name}", response=KpiResultOut, summary="One KPI of the registry for a period, broken down")
def kpi(request, name: str, params: QueryParams[KpiParams]):
    require_reader(request.auth)
    user = request.auth
    if name not in KPIS:
        compute(user.company, name, Query(measures=[]))  # reports.kpi_unknown
    k = KPIS[name]
    families = {"partner"} if name in ("receivables", "dso") else set()
    start, end = _period(user, params.start, params.end)
    filters = {d: getattr(params, d) for d in ("warehouse", "category", "item", "supplier", "customer")
               if getattr(params, d)}
    q = Query(measures=[], start=start, end=end, filters=filters, warehouse_ids=_scope(user, families),
              show_cost=allowed(user, "stock.cost"))
    extra = {p: getattr(params, p) for p in k.params if getattr(params, p, None) is not None}
    masked = k.cost and not q.show_cost
    result = compute(user.company, name, q, by=params.by, params=extra)
    rows = [{"key": r.key.isoformat() if isinstance(r.key, dt.date) else r.key, "label": r.label,
             "value": None if masked else r.value, "parts": {} if masked else _plain(r.parts)} for r in result.rows]
    detail = {} if masked else {key: _plain(v) for key, v in result.extra.items() if key != "rows"}
    return {"kpi": _kpi_out(name), "start": start, "end": end, "masked": masked, "rows": rows, "extra": detail}


@router.post("/drill", response=list[DrillRowOut], summary="The documents behind one cell of a report")
def drill(request, payload: DrillIn):
    require_reader(request.auth)
    user = request.auth
    if payload.family not in FAMILIES:
        raise ValidationFailed(field="family", reason=_("must be one of %(names)s") % {"names": ", ".join(FAMILIES)})
    for name in payload.cell:
        if name not in DIMENSIONS:
            raise ValidationFailed(field="cell", reason=_("has an unknown dimension %(name)s") % {"name": name})
    start, end = _period(user, payload.start, payload.end)
    q = Query(measures=[], start=start, end=end, filters=_filters(payload.filters),
              warehouse_ids=_scope(user, {payload.family}))
    return drilling.drill(user.company, q, payload.family, payload.cell)
