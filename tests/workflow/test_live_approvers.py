"""Role and warehouse-manager approvers follow the people as they are now, not as they were at submission."""

from __future__ import annotations

import pytest

from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.stock import services as stock
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Decision, StepApprover

pytestmark = pytest.mark.django_db


def numbers(user):
    return [r["document"]["number"] for r in selectors.waiting_for(user)]


def managers_flow(team, mode="any"):
    return wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经理", "approvers": [{"type": "role", "role": Role.MANAGER}], "mode": mode},
    ])


def test_a_new_manager_sees_a_waiting_document_and_a_former_one_may_no_longer_decide(team, frozen):
    managers_flow(team)
    doc = team.write_off()
    assert numbers(team.li) == [doc.number]

    sun = core.create_user(by=team.shop.admin, username="sun", password="pw-12345678", roles=[Role.MANAGER],
                           display_name="sun")
    assert numbers(sun) == [doc.number]
    assert selectors.is_waiting_for(sun, doc)

    core.update_user(team.li, by=team.shop.admin, roles=[Role.PURCHASER])
    assert numbers(team.li) == []
    assert not selectors.is_waiting_for(team.li, doc)
    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.li)
    held = selectors.timeline(doc)["approvals"][0]["steps"][0]["held_by"]
    assert sorted(h["name"] for h in held) == ["sun", "wang", "zhou"]

    doc = docs.approve_document(doc, by=sun, comment="新任经理")
    assert doc.status == Status.APPROVED
    d = Decision.objects.get(decision="approve")
    assert (d.user, d.on_behalf_of) == (sun, None)


def test_a_delegate_of_a_new_manager_may_decide(team, frozen):
    from tests.workflow.test_timers import at

    managers_flow(team)
    doc = team.write_off()
    sun = core.create_user(by=team.shop.admin, username="sun", password="pw-12345678", roles=[Role.KEEPER],
                           display_name="sun")
    wf.create_delegation(by=sun, delegate=team.deputy, starts_at=at(23, 9), ends_at=at(25, 18))
    assert numbers(team.deputy) == []
    core.update_user(sun, by=team.shop.admin, roles=[Role.MANAGER])
    assert numbers(team.deputy) == [doc.number]
    doc = docs.approve_document(doc, by=team.deputy)
    assert doc.status == Status.APPROVED
    d = Decision.objects.get(decision="approve")
    assert (d.user, d.on_behalf_of) == (team.deputy, sun)


def test_all_managers_means_the_managers_there_are_now(team, frozen):
    managers_flow(team, mode="all")
    doc = team.write_off()
    step = Approval.objects.get(document=doc).steps.get()
    assert step.required == 3  # wang, li, zhou
    docs.approve_document(doc, by=team.wang)
    core.update_user(team.li, by=team.shop.admin, roles=[Role.PURCHASER])
    sun = core.create_user(by=team.shop.admin, username="sun", password="pw-12345678", roles=[Role.MANAGER],
                           display_name="sun")
    step.refresh_from_db()
    assert step.required == 3  # wang (decided), zhou, sun
    doc = docs.approve_document(doc, by=team.zhou)
    assert doc.status == Status.SUBMITTED
    doc = docs.approve_document(doc, by=sun)
    assert doc.status == Status.APPROVED


def test_a_decision_stands_when_its_maker_later_loses_the_role(team, frozen):
    managers_flow(team, mode="all")
    doc = team.write_off()
    docs.approve_document(doc, by=team.wang)
    core.update_user(team.wang, by=team.shop.admin, roles=[Role.PURCHASER])
    step = Approval.objects.get(document=doc).steps.get()
    assert StepApprover.objects.filter(step=step, user=team.wang).exists()  # kept: wang decided
    docs.approve_document(doc, by=team.li)
    doc = docs.approve_document(doc, by=team.zhou)
    assert doc.status == Status.APPROVED


def test_a_new_warehouse_manager_takes_over_the_waiting_step(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}]},
    ])
    doc = team.write_off()
    assert numbers(team.wang) == [doc.number]
    stock.update_warehouse(team.shop.main, by=team.shop.admin, manager=team.li)
    assert numbers(team.wang) == [] and numbers(team.li) == [doc.number]
    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.wang)
    doc = docs.approve_document(doc, by=team.li)
    assert doc.status == Status.APPROVED


def test_a_named_approver_stays_whatever_their_roles(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "指定", "approvers": [{"type": "user", "user": team.li.pk}]},
    ])
    doc = team.write_off()
    core.update_user(team.li, by=team.shop.admin, roles=[Role.PURCHASER])
    assert numbers(team.li) == [doc.number]
    doc = docs.approve_document(doc, by=team.li)
    assert doc.status == Status.APPROVED
