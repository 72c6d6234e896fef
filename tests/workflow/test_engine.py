"""The approval engine through the document services: levels, modes, rejection, withdrawal, versions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.alerts.models import Notification
from openjxc.core.errors import DomainError, PermissionDenied, ValidationFailed
from openjxc.core.models import AuditRecord, Event
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.documents.services import LineInput
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, ApprovalState, Decision, StepState
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def two_levels(team, **extra):
    return [
        {"name": "仓库主管", "approvers": [{"type": "warehouse_manager"}], **extra},
        {"name": "财务复核", "approvers": [{"type": "role", "role": "finance"}]},
    ]


def test_without_a_flow_the_single_approval_stays(team):
    doc = team.write_off()
    assert not Approval.objects.filter(document=doc).exists()
    with pytest.raises(PermissionDenied):
        docs.approve_document(doc, by=team.keeper)
    doc = docs.approve_document(doc, by=team.shop.admin)
    assert doc.status == Status.APPROVED


def test_two_levels_then_posting(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    assert doc.status == Status.SUBMITTED
    approval = Approval.objects.get(document=doc)
    first, second = approval.steps.all()
    assert first.state == StepState.ACTIVE and second.state == StepState.WAITING
    assert list(first.approvers.values_list("user_id", flat=True)) == [team.wang.pk]
    # the waiting approver was told, in-app
    assert Notification.objects.filter(recipient=team.wang, topic="workflow.waiting").count() == 1

    with pytest.raises(wf.NotApprover) as exc:
        docs.approve_document(doc, by=team.finance)  # finance is the second level, not the first
    assert exc.value.http_status == 403 and "wang" in exc.value.render_message()
    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.shop.admin)  # a role that could approve before does not count here

    doc = docs.approve_document(doc, by=team.wang, comment="数量属实")
    assert doc.status == Status.SUBMITTED
    second.refresh_from_db()
    assert second.state == StepState.ACTIVE
    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.wang)  # the first level is done; the second is not theirs

    doc = docs.approve_document(doc, by=team.finance)
    assert doc.status == Status.APPROVED and doc.approved_by == team.finance
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    decisions = list(Decision.objects.filter(approval=approval).values_list("user__username", "decision", "comment"))
    assert decisions == [("wang", "approve", "数量属实"), ("liu", "approve", "")]
    assert Event.objects.filter(topic="workflow.decided", object_id=str(approval.pk)).count() == 2
    assert AuditRecord.objects.filter(action="decide.approve", object_id=str(approval.pk)).count() == 2
    assert Notification.objects.filter(recipient=team.keeper, topic="workflow.approved").count() == 1

    doc = docs.post_document(doc, by=team.keeper)
    assert doc.status == Status.POSTED
    assert_ledger_consistent()


def test_rejection_needs_a_reason_and_returns_to_draft(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    with pytest.raises(ValidationFailed):
        docs.reject_document(doc, by=team.wang, reason="  ")
    doc = docs.reject_document(doc, by=team.wang, reason="数量不对，请重盘")
    assert doc.status == Status.DRAFT
    approval = Approval.objects.get(document=doc)
    assert approval.state == ApprovalState.REJECTED and approval.reason == "数量不对，请重盘"
    assert [s.state for s in approval.steps.all()] == [StepState.REJECTED, StepState.CANCELLED]
    note = Notification.objects.get(recipient=team.keeper, topic="workflow.rejected")
    assert "数量不对" in note.title
    # edited and submitted again: a fresh approval from the first step
    doc = docs.update_document(doc, by=team.keeper, lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("1"))])
    doc = docs.submit_document(doc, by=team.keeper)
    assert Approval.objects.filter(document=doc).count() == 2
    assert wf.pending_approval(doc).steps.get(position=0).state == StepState.ACTIVE
    assert_ledger_consistent()


def test_the_requester_withdraws(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    with pytest.raises(PermissionDenied):
        docs.withdraw_document(doc, by=team.wang)
    doc = docs.withdraw_document(doc, by=team.keeper, reason="写错仓库")
    assert doc.status == Status.DRAFT
    approval = Approval.objects.get(document=doc)
    assert approval.state == ApprovalState.WITHDRAWN
    assert Decision.objects.get(approval=approval).decision == "withdraw"
    with pytest.raises(DomainError) as exc:
        docs.approve_document(doc, by=team.wang)
    assert exc.value.http_status in (403, 409)


def test_withdraw_without_a_flow(team):
    doc = team.write_off()
    doc = docs.withdraw_document(doc, by=team.keeper)
    assert doc.status == Status.DRAFT


def test_in_flight_documents_keep_their_version(team):
    flow = wf.create_flow(by=team.boss, name="报损审批", kind="write_off",
                          steps=[{"name": "主管", "approvers": [{"type": "warehouse_manager"}]}])
    old = team.write_off()
    wf.update_flow(flow, by=team.boss, steps=two_levels(team), note="加财务复核")
    assert flow.versions.count() == 2
    new = team.write_off()
    assert Approval.objects.get(document=old).version.number == 1
    assert Approval.objects.get(document=new).version.number == 2
    old = docs.approve_document(old, by=team.wang)
    assert old.status == Status.APPROVED  # one step, as when it was submitted
    new = docs.approve_document(new, by=team.wang)
    assert new.status == Status.SUBMITTED  # the new version has a second step
    new = docs.approve_document(new, by=team.finance)
    assert new.status == Status.APPROVED
    # saving the same steps again does not make a version
    wf.update_flow(flow, by=team.boss, steps=two_levels(team))
    assert flow.versions.count() == 2


def test_all_mode_needs_everyone(team):
    wf.create_flow(by=team.boss, name="会签", kind="write_off", steps=[
        {"name": "经理会签", "mode": "all", "approvers": [{"type": "role", "role": "manager"}]}])
    doc = team.write_off()
    for n, manager in enumerate([team.wang, team.li, team.zhou]):
        doc = docs.approve_document(doc, by=manager)
        assert doc.status == (Status.APPROVED if n == 2 else Status.SUBMITTED)
        if n == 0:
            with pytest.raises(DomainError) as again:
                docs.approve_document(doc, by=team.wang)
            assert again.value.code == "workflow.already_decided"


def test_n_of_m(team):
    wf.create_flow(by=team.boss, name="三取二", kind="write_off", steps=[
        {"name": "经理", "mode": "n_of_m", "n": 2, "approvers": [{"type": "role", "role": "manager"}]}])
    doc = team.write_off()
    doc = docs.approve_document(doc, by=team.li)
    assert doc.status == Status.SUBMITTED
    doc = docs.approve_document(doc, by=team.zhou)
    assert doc.status == Status.APPROVED
    step = Approval.objects.get(document=doc).steps.get()
    assert step.required == 2 and step.state == StepState.APPROVED


def test_n_larger_than_the_approvers_is_refused_on_submit(team):
    wf.create_flow(by=team.boss, name="五取四", kind="write_off", steps=[
        {"name": "经理", "mode": "n_of_m", "n": 4, "approvers": [{"type": "role", "role": "manager"}]}])
    doc = team.write_off(submit=False)
    with pytest.raises(DomainError) as exc:
        docs.submit_document(doc, by=team.keeper)
    assert exc.value.code == "workflow.too_few_approvers"
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT  # nothing half-written


def test_a_step_without_any_approver_refuses_the_submission(team):
    wf.create_flow(by=team.boss, name="上级", kind="write_off", steps=[
        {"name": "上级审批", "approvers": [{"type": "superior"}]}])
    doc = team.write_off(by=team.boss, submit=False)  # the boss has no superior
    with pytest.raises(DomainError) as exc:
        docs.submit_document(doc, by=team.boss)
    assert exc.value.code == "workflow.no_approver" and "上级审批" in exc.value.render_message()


def test_advance_through_a_flow(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    with pytest.raises(DomainError) as exc:
        docs.create_document(by=team.wang, kind="write_off", warehouse=team.shop.main, advance_to="posted",
                             lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("1"))])
    # wang manages the warehouse, but he submits it: his own step goes to his superior (issue 13, item 13)
    assert exc.value.code == "workflow.not_approver" and "boss" in exc.value.render_message()
    # where the flow allows self-approval, one person who holds the only step may carry it through at once
    wf.create_flow(by=team.boss, name="溢余", kind="gain", allow_self_approval=True, steps=[
        {"name": "经理", "approvers": [{"type": "user", "user": team.wang.pk}]}])
    doc = docs.create_document(by=team.wang, kind="gain", warehouse=team.shop.main, advance_to="posted",
                               lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("1"),
                                                unit_price=Decimal("5"))])
    assert doc.status == Status.POSTED
    assert Approval.objects.get(document=doc).state == ApprovalState.APPROVED
    assert_ledger_consistent()


def test_cancel_ends_the_approval_and_its_timers(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off",
                   steps=two_levels(team, time_limit_hours=4, reminders=[-30]))
    doc = team.write_off()
    docs.cancel_document(doc, by=team.keeper, reason="不需要了")
    approval = Approval.objects.get(document=doc)
    assert approval.state == ApprovalState.CANCELLED
    assert set(approval.steps.values_list("timers__state", flat=True)) == {"cancelled", None}


def test_warehouse_specific_flow_wins(team):
    wf.create_flow(by=team.boss, name="通用", kind="write_off", steps=two_levels(team))
    wf.create_flow(by=team.boss, name="总仓", kind="write_off", warehouses=[team.shop.main.pk],
                   steps=[{"name": "经理", "approvers": [{"type": "user", "user": team.li.pk}]}])
    doc = team.write_off()
    assert Approval.objects.get(document=doc).version.flow.name == "总仓"
