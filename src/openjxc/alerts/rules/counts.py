"""The evaluator that watches stock counts: counted lines whose difference is beyond tolerance.

It reads the count's state, so the alert clears by itself when the count is posted or the line recounted.
"""

from __future__ import annotations

from decimal import Decimal

from openjxc.counts.models import Count, CountLine, CountStatus
from openjxc.counts.services import beyond_tolerance

from ..rule_models import AlertKind
from . import Finding, Scope, quantity_text


def count_variance(scope: Scope, params: dict) -> dict[str, Finding]:
    """Counted lines of counts in review whose difference is beyond the count's tolerance (quantity or value),
    or beyond the rule's own `tolerance_pct` when that is stricter."""
    pct = Decimal(str(params.get("tolerance_pct", 2))) / 100
    counts = Count.objects.filter(company_id=scope.company_id, status=CountStatus.REVIEW)
    if scope.warehouse_id:
        counts = counts.filter(warehouse_id=scope.warehouse_id)
    counts = {c.pk: c for c in counts}
    if not counts:
        return {}
    lines = CountLine.objects.filter(count_id__in=counts, counted_quantity__isnull=False,
                                     expected_quantity__isnull=False).filter(scope.item_filter())
    out = {}
    for line in lines.select_related("item"):
        diff = line.difference
        if not diff:
            continue
        base = abs(line.expected_quantity)
        rate = (abs(diff) / base) if base else Decimal(1)
        if not (beyond_tolerance(counts[line.count_id], line) or rate > pct):
            continue
        value = (abs(diff) * line.unit_cost).quantize(Decimal("0.01"))
        subject = f"countline:{line.pk}"
        out[subject] = Finding(
            subject, value, item_id=line.item_id, warehouse_id=counts[line.count_id].warehouse_id, lot_id=line.lot_id,
            data={"number": counts[line.count_id].number, "count_id": line.count_id, "line_id": line.pk,
                  "difference": quantity_text(diff), "pct": str((rate * 100).quantize(Decimal("0.1"))),
                  "value": str(value)})
    return out


EVALUATORS = {AlertKind.COUNT_VARIANCE: count_variance}
