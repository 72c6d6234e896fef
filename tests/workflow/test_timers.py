"""Reminders, escalation and delegation, driven by the fake clock through the timer scan."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.alerts.models import Notification
from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Decision, StepState, Timer
from tests.conftest import assert_ledger_consistent
from tests.workflow.conftest import SH

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def flow(team, escalation, *, reminders=(-60, 0, 60), approvers=None):
    return wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库主管", "approvers": approvers or [{"type": "warehouse_manager"}], "time_limit_hours": 4,
         "reminders": list(reminders), "escalation": escalation},
    ])


def reminders_to(user):
    return list(Notification.objects.filter(recipient=user, topic="workflow.reminder").order_by("pk"))


def test_reminders_fire_once_each_then_escalation_to_the_superior(team, frozen):
    flow(team, {"rule": "superior", "after_minutes": 120})
    doc = team.write_off()  # Monday 10:00; 4 working hours: due 14:00
    step = Approval.objects.get(document=doc).steps.get()
    assert step.due_at == at(23, 14)
    assert sorted(Timer.objects.filter(step=step).values_list("kind", "due_at")) == [
        ("escalation", at(23, 16)), ("reminder", at(23, 13)), ("reminder", at(23, 14)), ("reminder", at(23, 15))]

    frozen.set(at(23, 12, 59))
    assert wf.fire_due_timers() == []
    frozen.set(at(23, 13, 0))
    fired = wf.fire_due_timers()
    assert [(f["kind"], f["seq"]) for f in fired] == [("reminder", 1)]
    assert wf.fire_due_timers() == []  # a second scan finds nothing more
    assert len(reminders_to(team.wang)) == 1 and "1/3" in reminders_to(team.wang)[0].title
    assert "late" not in reminders_to(team.wang)[0].body

    # the worker was down from 13:00 to 15:30: reminders 2 and 3 fire late, and say so
    frozen.set(at(23, 15, 30))
    fired = wf.fire_due_timers()
    assert [(f["seq"], f["late_seconds"]) for f in fired] == [(2, 90 * 60), (3, 30 * 60)]
    late = reminders_to(team.wang)[1]
    assert "90 minutes late" in late.body and late.data["late"] is True
    assert Event.objects.filter(topic="workflow.reminded").count() == 3

    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.boss)  # not before the escalation
    frozen.set(at(23, 16, 0))
    fired = wf.fire_due_timers()
    assert [f["kind"] for f in fired] == ["escalation"]
    assert Notification.objects.filter(recipient=team.boss, topic="workflow.escalated").count() == 1
    step.refresh_from_db()
    assert step.escalated_at is not None
    assert Decision.objects.filter(step=step, decision="escalate", user=None).count() == 1
    doc = docs.approve_document(doc, by=team.boss, comment="代为审批")
    assert doc.status == Status.APPROVED
    assert wf.fire_due_timers() == []
    assert len(reminders_to(team.wang)) == 3
    assert_ledger_consistent()


def test_deciding_cancels_the_timers(team, frozen):
    flow(team, {"rule": "superior", "after_minutes": 120})
    doc = team.write_off()
    docs.approve_document(doc, by=team.wang)
    frozen.set(at(24, 10))
    assert wf.fire_due_timers() == []
    assert set(Timer.objects.values_list("state", flat=True)) == {"cancelled"}


def test_escalation_to_a_deputy(team, frozen):
    flow(team, {"rule": "deputy", "deputy": team.li.pk, "after_minutes": 60}, reminders=())
    doc = team.write_off()
    frozen.set(at(23, 15))
    assert [f["kind"] for f in wf.fire_due_timers()] == ["escalation"]
    doc = docs.approve_document(doc, by=team.li)
    assert doc.status == Status.APPROVED


def test_auto_approve_after_the_time_limit(team, frozen):
    flow(team, {"rule": "auto_approve"}, reminders=(-30,))
    doc = team.write_off()
    frozen.set(at(23, 14, 1))
    fired = wf.fire_due_timers()
    assert [f["kind"] for f in fired] == ["reminder", "escalation"]
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED and doc.approved_by is None
    d = Decision.objects.get(decision="auto_approve")
    assert d.user is None and "仓库主管" in d.comment
    doc = docs.post_document(doc, by=team.keeper)
    assert doc.status == Status.POSTED
    assert_ledger_consistent()


def test_auto_reject_returns_the_document_to_its_requester(team, frozen):
    flow(team, {"rule": "auto_reject"}, reminders=())
    doc = team.write_off()
    frozen.set(at(24, 9))  # overnight: 4 working hours ran out Monday 14:00
    wf.fire_due_timers()
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert Approval.objects.get(document=doc).state == "rejected"
    assert Notification.objects.filter(recipient=team.keeper, topic="workflow.rejected").count() == 1


def test_a_delegate_decides_and_both_names_are_recorded(team, frozen):
    flow(team, {"rule": "superior", "after_minutes": 120})
    wf.create_delegation(by=team.wang, delegate=team.deputy, starts_at=at(23, 9), ends_at=at(25, 18), note="出差")
    doc = team.write_off()
    # the delegate was told it waits, and sees it in the inbox on wang's behalf
    assert Notification.objects.filter(recipient=team.deputy, topic="workflow.waiting").count() == 1
    inbox = selectors.waiting_for(team.deputy)
    assert [(row["document"]["number"], [p["name"] for p in row["on_behalf_of"]]) for row in inbox] == [
        (doc.number, ["wang"])]
    frozen.set(at(23, 13))
    wf.fire_due_timers()
    assert len(reminders_to(team.deputy)) == 1 and len(reminders_to(team.wang)) == 1
    doc = docs.approve_document(doc, by=team.deputy, comment="代批")
    assert doc.status == Status.APPROVED
    d = Decision.objects.get(decision="approve")
    assert (d.user, d.on_behalf_of) == (team.deputy, team.wang)
    line = selectors.timeline(doc)["approvals"][0]["steps"][0]["decisions"][0]
    assert (line["user"], line["on_behalf_of"]) == ("deputy", "wang")
    assert selectors.decided_by(team.deputy)[0]["on_behalf_of"] == "wang"


def test_a_delegation_counts_only_in_its_period(team, frozen):
    flow(team, {"rule": "superior", "after_minutes": 120})
    wf.create_delegation(by=team.wang, delegate=team.deputy, starts_at=at(24, 9), ends_at=at(24, 18))
    doc = team.write_off()
    with pytest.raises(wf.NotApprover):
        docs.approve_document(doc, by=team.deputy)  # Monday: not yet
    frozen.set(at(24, 10))
    doc = docs.approve_document(doc, by=team.deputy)
    assert doc.status == Status.APPROVED


def test_delegation_refusals(team, frozen):
    wf.create_delegation(by=team.wang, delegate=team.deputy, starts_at=at(24, 9), ends_at=at(26, 18))
    with pytest.raises(wf.Conflict):
        wf.create_delegation(by=team.wang, delegate=team.li, starts_at=at(25, 9), ends_at=at(27, 18))
    with pytest.raises(wf.ValidationFailed):
        wf.create_delegation(by=team.wang, delegate=team.wang, starts_at=at(28, 9), ends_at=at(29, 18))
    with pytest.raises(wf.ValidationFailed):
        wf.create_delegation(by=team.wang, delegate=team.li, starts_at=at(29, 9), ends_at=at(28, 18))
    with pytest.raises(wf.PermissionDenied):
        wf.create_delegation(by=team.keeper, user=team.wang, delegate=team.keeper, starts_at=at(28, 9),
                             ends_at=at(29, 18))


def test_timeline_shows_who_holds_it_and_how_long_each_step_took(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 2},
        {"name": "财务", "approvers": [{"type": "role", "role": "finance"}]},
    ])
    doc = team.write_off()
    frozen.set(at(23, 11, 30))
    docs.approve_document(doc, by=team.wang)
    frozen.set(at(23, 12, 0))
    t = selectors.timeline(doc)
    first, second = t["approvals"][0]["steps"]
    assert first["state"] == StepState.APPROVED and first["seconds"] == 90 * 60 and first["working_minutes"] == 90
    assert first["overdue"] is False
    assert second["state"] == StepState.ACTIVE and [h["name"] for h in second["held_by"]] == ["liu"]
    assert second["seconds"] == 30 * 60
    mine = selectors.submitted_by(team.keeper)
    assert mine[0]["current_step"] == "财务" and [h["name"] for h in mine[0]["held_by"]] == ["liu"]
    assert [r["document"]["number"] for r in selectors.waiting_for(team.finance)] == [doc.number]
    assert selectors.waiting_for(team.wang) == []


def test_the_periodic_task_fires_the_due_timers(team, frozen):
    from huey.contrib.djhuey import HUEY

    from openjxc.workflow.tasks import fire_timers

    assert fire_timers.task_class in HUEY._registry._registry.values()  # periodic, every minute
    assert fire_timers.task_class().validate_datetime(dt.datetime(2026, 11, 23, 3, 17))
    flow(team, {"rule": "auto_approve"}, reminders=())
    doc = team.write_off()
    frozen.set(at(23, 14, 5))
    fired = fire_timers.call_local()
    assert [f["outcome"] for f in fired] == ["auto_approve"]
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED
