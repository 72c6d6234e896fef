"""Escalation goes up the chain: each overrun adds the next superiors with a fresh time limit and reminders;
at the top the administrators are told and nothing more fires. Driven by the fake clock."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.alerts.models import Notification
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Decision, StepApprover, Timer
from tests.workflow.conftest import SH

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def kinds(fired):
    return [(f["kind"], f["seq"]) for f in fired]


@pytest.fixture
def chen(team):
    """A clerk whose superior is wang (whose superior is boss, who has none): a chain three people high."""
    return core.create_user(by=team.shop.admin, username="chen", password="pw-12345678", roles=[Role.KEEPER],
                            display_name="chen", superior=team.wang)


def test_a_second_overrun_escalates_to_the_superiors_superior_then_the_admins_are_told(team, frozen, chen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经办", "approvers": [{"type": "user", "user": chen.pk}], "time_limit_hours": 4,
         "reminders": [-60, 0], "escalation": {"rule": "superior", "after_minutes": 60}},
    ])
    doc = team.write_off()  # Monday 10:00: due 14:00, escalation 15:00
    step = Approval.objects.get(document=doc).steps.get()

    frozen.set(at(23, 15))
    assert kinds(wf.fire_due_timers()) == [("reminder", 1), ("reminder", 2), ("escalation", 1)]
    step.refresh_from_db()
    assert step.due_at == at(24, 10)  # a fresh 4 working hours: 15:00-18:00 Monday, 09:00-10:00 Tuesday
    pending = Timer.objects.filter(step=step, state="pending")
    assert sorted(pending.values_list("kind", "seq")) == [("escalation", 2), ("reminder", 1), ("reminder", 2)]
    assert pending.get(kind="escalation").due_at == at(24, 11)
    assert [r["document"]["number"] for r in selectors.waiting_for(team.wang)] == [doc.number]

    # Tuesday: wang is away too; the reminders reach both, then it goes up to boss
    frozen.set(at(24, 11))
    assert kinds(wf.fire_due_timers()) == [("reminder", 1), ("reminder", 2), ("escalation", 2)]
    assert Notification.objects.filter(recipient=team.wang, topic="workflow.reminder").count() == 2
    assert Notification.objects.filter(recipient=chen, topic="workflow.reminder").count() == 4
    assert Notification.objects.filter(recipient=team.boss, topic="workflow.escalated").count() == 1
    step.refresh_from_db()
    assert step.due_at == at(24, 15)
    assert sorted(StepApprover.objects.filter(step=step).values_list("user__username", "via")) == [
        ("boss", "escalation"), ("chen", "user"), ("wang", "escalation")]

    # boss is the top: the third overrun tells the administrators once, and nothing is scheduled after it
    frozen.set(at(24, 16))
    fired = wf.fire_due_timers()
    assert kinds(fired) == [("reminder", 1), ("reminder", 2), ("escalation", 3)]
    assert fired[-1]["outcome"] == "nobody to escalate to, told 2 admin(s)"
    told = Notification.objects.filter(topic="workflow.escalation_exhausted")
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(
        [team.boss.username, team.shop.admin.username])
    assert not Timer.objects.filter(step=step, state="pending").exists()
    assert StepApprover.objects.filter(step=step).count() == 3  # nobody added twice
    frozen.set(at(30, 10))
    assert wf.fire_due_timers() == []
    assert list(Decision.objects.filter(step=step, decision="escalate").values_list("user", flat=True)) == [None] * 3

    doc = docs.approve_document(doc, by=team.boss, comment="终于")
    assert doc.status == Status.APPROVED


def test_a_deputy_who_also_overruns_is_escalated_to_their_superior(team, frozen):
    core.update_user(team.deputy, by=team.shop.admin, superior=team.li)
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经办", "approvers": [{"type": "user", "user": team.keeper.pk}], "time_limit_hours": 1,
         "escalation": {"rule": "deputy", "deputy": team.deputy.pk, "after_minutes": 0}},
    ])
    doc = team.write_off(by=team.boss)  # Monday 10:00: due 11:00
    step = Approval.objects.get(document=doc).steps.get()
    frozen.set(at(23, 11))
    assert wf.fire_due_timers()[0]["outcome"] == f"escalated to [{team.deputy.pk}]"
    frozen.set(at(23, 12))
    # keeper's superior is wang, deputy's is li: both are the next level up
    assert wf.fire_due_timers()[0]["outcome"] == f"escalated to {sorted([team.wang.pk, team.li.pk])}"
    assert sorted(StepApprover.objects.filter(step=step, via="escalation").values_list("user__username", flat=True)) \
        == ["deputy", "li", "wang"]
    doc = docs.approve_document(doc, by=team.li)
    assert doc.status == Status.APPROVED


def test_an_automatic_decision_stays_final(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 1,
         "escalation": {"rule": "auto_reject", "after_minutes": 0}},
    ])
    doc = team.write_off()
    frozen.set(at(23, 11))
    assert [f["outcome"] for f in wf.fire_due_timers()] == ["auto_reject"]
    assert not Timer.objects.filter(state="pending").exists()
    frozen.set(at(30, 11))
    assert wf.fire_due_timers() == []
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_escalation_skips_the_requester_to_their_own_superior(team, frozen, chen):
    """chen's superior is wang; wang submitted the document, so the escalation goes past him to boss."""
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经办", "approvers": [{"type": "user", "user": chen.pk}], "time_limit_hours": 4,
         "escalation": {"rule": "superior", "after_minutes": 60}},
    ])
    doc = team.write_off(by=team.wang)
    frozen.set(at(23, 15))
    wf.fire_due_timers()
    step = Approval.objects.get(document=doc).steps.get()
    assert sorted(StepApprover.objects.filter(step=step).values_list("user__username", flat=True)) == ["boss", "chen"]
    assert selectors.waiting_for(team.wang) == []
