"""Workflow as the documents' approval gate (documents/hooks.py), installed when the app is ready.

The document services ask the gate — is this document waiting in a flow, decide its step, start, end —
and never import workflow; the engine answers (workflow/engine.py).
"""

from __future__ import annotations

from openjxc.documents import hooks
from openjxc.workflow import engine
from openjxc.workflow.models import Flow
from openjxc.workflow.selectors import flow_decides

# Whether any active flow exists for the kind, asked with a new document's warehouse (documents/hooks.py
# probes): when none does, no flow can apply and the flows are not read (decision 0017).
FLOW_PROBE = "workflow.flow_exists"


def register_probe() -> None:
    hooks.register_probe(
        FLOW_PROBE,
        f"EXISTS (SELECT 1 FROM {Flow._meta.db_table} f WHERE f.company_id = w.company_id AND f.kind = %s "
        f"AND f.is_active = %s)",
        lambda kind: [kind, True],
    )


class FlowGate:
    """documents.hooks.ApprovalGate answered by the approval flows."""

    def start(self, doc, *, by) -> bool:
        if hooks.probed(doc.warehouse, FLOW_PROBE) is False:
            return False
        return engine.start_approval(doc, by=by) is not None

    def is_pending(self, doc_id: int) -> bool:
        return engine.pending_approval(doc_id) is not None

    def decide(self, doc, *, by, approve: bool, comment: str, changes) -> None:
        engine.decide(doc, by=by, approve=approve, comment=comment, changes=changes)

    def may_decide(self, user, doc) -> bool | None:
        return flow_decides(user, doc)

    def waiting_step(self, doc) -> str:
        waiting = engine.pending_approval(doc)
        return waiting.steps.get(position=waiting.current).name if waiting is not None else ""

    def requester(self, doc) -> int | None:
        approval = engine.pending_approval(doc)
        return approval.requester_id if approval is not None else None

    def withdraw(self, doc, *, by, reason: str) -> None:
        engine.withdraw_approval(doc, by=by, reason=reason)

    def end(self, doc, *, by, reason: str) -> None:
        engine.end_approval(doc, by=by, reason=reason)


GATE = FlowGate()
