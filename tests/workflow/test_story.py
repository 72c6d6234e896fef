"""Story: a write-off submitted on a Friday afternoon before a holiday, while the warehouse manager is away."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.alerts.models import Notification
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.presets.install import install_flow_groups
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.models import Decision
from tests.conftest import assert_ledger_consistent
from tests.workflow.conftest import SH

pytestmark = pytest.mark.django_db


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def test_friday_write_off_over_a_holiday_with_the_manager_away(team, frozen):
    # given the company's presets, a holiday on Monday 30 Nov, and the warehouse manager away all week
    install_flow_groups(by=team.boss)
    wf.set_calendar(by=team.boss, holidays=[{"day": "2026-11-30", "name": "调休"}])
    wf.create_delegation(by=team.wang, delegate=team.deputy, starts_at=at(11, 27, 0), ends_at=at(12, 5, 0),
                         note="年假")
    # when the keeper writes off damaged flour on Friday at 15:00
    frozen.set(at(11, 27, 15))
    doc = team.write_off(qty="4")

    # then the first level (8 working hours) is due on Tuesday at 14:00: Friday 3 h, Monday off, Tuesday 5 h
    approval = wf.pending_approval(doc)
    first = approval.steps.get(position=0)
    assert first.due_at == at(12, 1, 14)
    assert "deputy" in [h["name"] for h in selectors.timeline(doc)["approvals"][0]["steps"][0]["held_by"]]

    # the first reminder (an hour before the limit) finds both wang and his delegate
    frozen.set(at(12, 1, 13, 0))
    assert [f["seq"] for f in wf.fire_due_timers()] == [1]
    assert Notification.objects.filter(topic="workflow.reminder", recipient__in=[team.wang, team.deputy]).count() == 2

    # wang's delegate approves on his behalf; the second level goes to finance (and the boss)
    frozen.set(at(12, 1, 13, 20))
    doc = docs.approve_document(doc, by=team.deputy, comment="照片已核对")
    assert doc.status == Status.SUBMITTED
    assert [r["document"]["number"] for r in selectors.waiting_for(team.finance)] == [doc.number]

    # finance signs off the next morning; the keeper posts
    frozen.set(at(12, 2, 9, 30))
    doc = docs.approve_document(doc, by=team.finance)
    assert doc.status == Status.APPROVED
    doc = docs.post_document(doc, by=team.keeper)
    assert doc.status == Status.POSTED

    # the record: who decided, for whom, how long each level took in working time
    decisions = list(Decision.objects.filter(approval=approval).values_list("user__username",
                                                                            "on_behalf_of__username", "decision"))
    assert decisions == [("deputy", "wang", "approve"), ("liu", None, "approve")]
    steps = selectors.timeline(doc)["approvals"][0]["steps"]
    assert steps[0]["working_minutes"] == 3 * 60 + 4 * 60 + 20  # Fri 15-18, Tue 09-13:20
    assert steps[1]["working_minutes"] == (18 * 60 - (13 * 60 + 20)) + 30
    assert wf.fire_due_timers() == []  # nothing left to remind anyone of
    assert_ledger_consistent()
