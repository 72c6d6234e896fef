"""Documents ask the approval gate (documents/hooks.py) and never import workflow: without a gate installed the
lifecycle still runs (one manager approves); with workflow's gate, a flow's approvers decide. That no module of
documents imports workflow (or any app above it) is tests/test_layers.py's."""

from __future__ import annotations

import pytest

from openjxc.core.errors import DomainError
from openjxc.documents import hooks
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.workflow import services as wf
from tests.documents.helpers import line


def _steps(approver):
    return [{"name": "主管审批", "approvers": [{"type": "user", "user": approver.pk}]}]


def test_without_an_approval_gate_one_manager_approves(shop, monkeypatch):
    boss = shop.user("boss", "manager")
    wf.create_flow(by=shop.admin, name="write-offs", kind="write_off", steps=_steps(boss))
    monkeypatch.setattr(hooks, "_gate", [])  # as if no approval process were installed
    shop.receive(shop.flour, 5, "5.00")
    doc = docs.create_document(by=shop.admin, kind="write_off", warehouse=shop.main, lines=[line(shop.flour, 1)])
    doc = docs.submit_document(doc, by=shop.admin)
    doc = docs.approve_document(doc, by=shop.admin)  # the flow's approver is not asked
    assert doc.status == Status.APPROVED and wf.pending_approval(doc) is None


def test_with_the_flows_gate_only_the_steps_approver_decides(shop):
    boss = shop.user("boss", "manager")
    wf.create_flow(by=shop.admin, name="write-offs", kind="write_off", steps=_steps(boss))
    assert hooks.approval_gate() is not None
    shop.receive(shop.flour, 5, "5.00")
    doc = docs.create_document(by=shop.admin, kind="write_off", warehouse=shop.main, lines=[line(shop.flour, 1)])
    doc = docs.submit_document(doc, by=shop.admin)
    assert hooks.approval_gate().is_pending(doc.pk)
    with pytest.raises(DomainError) as refused:
        docs.approve_document(doc, by=shop.admin)
    assert refused.value.code == "workflow.not_approver"
    doc = docs.advance_document(doc, by=boss, to="posted")  # advancing in a flow: the approver's decision
    assert doc.status == Status.POSTED and not hooks.approval_gate().is_pending(doc.pk)
