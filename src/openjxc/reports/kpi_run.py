"""Compute a KPI of the registry (semantic.KPIS) by name, with its breakdown and parameters checked."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.reports import kpis, kpis_money
from openjxc.reports.kpis import KpiResult
from openjxc.reports.query import Query
from openjxc.reports.semantic import KPIS
from openjxc.stock.models import Warehouse, WarehouseKind

FUNCTIONS = {
    "gross_profit": kpis.gross_profit,
    "revenue": kpis.revenue,
    "gross_margin": kpis.gross_margin,
    "markup": kpis.markup,
    "sell_through_breadth": kpis.sell_through_breadth,
    "sell_through": kpis.sell_through,
    "turnover": kpis.turnover,
    "turnover_days": kpis.turnover_days,
    "days_of_supply": kpis.days_of_supply,
    "stock_to_sales": kpis.stock_to_sales,
    "slow_moving": kpis.slow_moving,
    "ageing": kpis.ageing_kpi,
    "obsolete_rate": kpis.obsolete_rate,
    "on_time_rate": kpis_money.on_time_rate,
    "receivables": kpis_money.receivables,
    "dso": kpis_money.dso,
    "growth": kpis.growth,
    "average_ticket": kpis.average_ticket,
    "tickets": kpis.tickets,
    "returns_rate": kpis.returns_rate,
}
assert set(FUNCTIONS) == set(KPIS), "every KPI of the registry has its function"


def compute(company, name: str, q: Query, *, by: str | None = None, params: dict | None = None) -> KpiResult:
    """KPI `name` over `q`'s period, filters and scope, broken down by `by` (one of the KPI's `by`)."""
    kpi = KPIS.get(name)
    if kpi is None:
        raise NotFound("kpi", name, code="reports.kpi_unknown")
    if by is not None and by not in kpi.by:
        raise ValidationFailed(field="by", reason=_("must be one of %(dims)s") % {"dims": ", ".join(kpi.by) or "-"})
    params = dict(params or {})
    unknown = set(params) - set(kpi.params)
    if unknown:
        raise ValidationFailed(field="params", reason=_("has unknown parameters %(names)s")
                               % {"names": ", ".join(sorted(unknown))})
    if by == "store":  # a breakdown by store is over the stores only, its total too
        stores = list(Warehouse.objects.filter(company_id=company.pk, kind=WarehouseKind.STORE)
                      .values_list("id", flat=True))
        q = replace(q, filters={**q.filters, "store": stores})
    return FUNCTIONS[name](company, q, by, **params)
