"""Evaluators of the alert kinds that watch other apps: count variance (counts), approval overdue (workflow),
failing notification channels (this app). Terminals register their own (sync/alert_rules.py).

Each reads the other app's state, so an alert clears by itself when the count is posted or recounted, the
step is decided, the channel recovers.
"""

from __future__ import annotations

from decimal import Decimal

from openjxc.core import clock

from . import rules
from .rule_models import AlertKind


def count_variance(scope: rules.Scope, params: dict) -> dict[str, rules.Finding]:
    """Counted lines of counts in review whose difference is beyond the count's tolerance (quantity or value),
    or beyond the rule's own `tolerance_pct` when that is stricter."""
    from openjxc.counts.models import Count, CountLine, CountStatus
    from openjxc.counts.services import beyond_tolerance

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
        out[subject] = rules.Finding(
            subject, value, item_id=line.item_id, warehouse_id=counts[line.count_id].warehouse_id, lot_id=line.lot_id,
            data={"number": counts[line.count_id].number, "count_id": line.count_id, "line_id": line.pk,
                  "difference": rules._num(diff), "pct": str((rate * 100).quantize(Decimal("0.1"))),
                  "value": str(value)})
    return out


def approval_overdue(scope: rules.Scope, params: dict) -> dict[str, rules.Finding]:
    """Approval steps still waiting for a decision after their time limit."""
    from openjxc.workflow.models import ApprovalStep, StepState

    now = clock.now()
    steps = (ApprovalStep.objects.filter(company_id=scope.company_id, state=StepState.ACTIVE, due_at__lt=now)
             .select_related("approval__document"))
    if scope.warehouse_id:
        steps = steps.filter(approval__document__warehouse_id=scope.warehouse_id)
    out = {}
    for step in steps:
        doc = step.approval.document
        hours = Decimal(int((now - step.due_at).total_seconds() // 3600))
        subject = f"step:{step.pk}"
        out[subject] = rules.Finding(subject, hours, warehouse_id=doc.warehouse_id,
                                     data={"number": doc.number, "document_id": doc.pk, "step": step.name,
                                           "hours": str(hours), "due_at": step.due_at.isoformat()})
    return out


def channel_failing(scope: rules.Scope, params: dict) -> dict[str, rules.Finding]:
    """Notification channels marked failing (consecutive failures or a delivery given up)."""
    from .models import Channel

    out = {}
    for ch in Channel.objects.filter(company_id=scope.company_id, enabled=True, is_failing=True):
        subject = f"channel:{ch.pk}"
        out[subject] = rules.Finding(subject, Decimal(ch.consecutive_failures),
                                     data={"channel": ch.name, "channel_id": ch.pk, "kind": ch.kind,
                                           "error": (ch.last_error or "")[:200]})
    return out


def register() -> None:
    rules.register(AlertKind.COUNT_VARIANCE, count_variance)
    rules.register(AlertKind.APPROVAL_OVERDUE, approval_overdue)
    rules.register(AlertKind.CHANNEL_FAILING, channel_failing)
