"""The evaluator that watches approvals: steps still waiting after their time limit (clears once decided)."""

from __future__ import annotations

from decimal import Decimal

from openjxc.core import clock
from openjxc.workflow.models import ApprovalStep, StepState

from ..rule_models import AlertKind
from . import Finding, Scope


def approval_overdue(scope: Scope, params: dict) -> dict[str, Finding]:
    """Approval steps still waiting for a decision after their time limit."""
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
        out[subject] = Finding(subject, hours, warehouse_id=doc.warehouse_id,
                                     data={"number": doc.number, "document_id": doc.pk, "step": step.name,
                                           "hours": str(hours), "due_at": step.due_at.isoformat()})
    return out


EVALUATORS = {AlertKind.APPROVAL_OVERDUE: approval_overdue}
