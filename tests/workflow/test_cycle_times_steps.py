"""Cycle times per approval step and per approver, and SLA breaches, from the workflow's steps and decisions
(constructed with the fake clock; both engines)."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.documents import services as docs
from openjxc.reports.cycle_times import Filters, cycle_times
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval
from tests.conftest import assert_ledger_consistent

H = 3600.0


def test_waiting_per_step_and_approver_and_breaches(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库经理", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": "1"},
        {"name": "财务", "approvers": [{"type": "role", "role": "finance"}], "time_limit_hours": "2"},
    ])
    start = frozen.now  # Monday 10:00 Shanghai; working hours 09:00–18:00
    d1, d2, d3 = team.write_off(), team.write_off(), team.write_off()

    def at(hours):
        frozen.set(start + dt.timedelta(hours=hours))

    at(0.5)
    docs.approve_document(d1, by=team.wang)       # step 1 of d1: 0.5 h, within 1 h
    at(2)
    docs.approve_document(d2, by=team.wang)       # step 1 of d2: 2 h, due 11:00: over
    at(2.5)
    docs.approve_document(d2, by=team.finance)    # step 2 of d2: 0.5 h (from 12:00), within 2 h
    at(3.5)
    docs.approve_document(d1, by=team.finance)    # step 2 of d1: 3 h (from 10:30), due 12:30: over
    at(4)                                         # 14:00: d3 still with wang since 10:00, due 11:00

    day = start.date()
    r = cycle_times(team.shop.company, Filters(start=day, end=day))
    steps = {(s.kind, s.position, s.name): s for s in r.steps}
    assert sorted(steps) == [("write_off", 0, "仓库经理"), ("write_off", 1, "财务")]  # positions count from 0
    first, second = steps[("write_off", 0, "仓库经理")], steps[("write_off", 1, "财务")]
    assert (first.stats.count, first.stats.breaches, first.overdue_now) == (2, 1, 1)
    assert (first.stats.avg / H, first.stats.median / H, first.stats.p90 / H) == pytest.approx((1.25, 1.25, 1.85))
    assert (second.stats.count, second.stats.breaches, second.overdue_now) == (2, 1, 0)
    assert (second.stats.avg / H, second.stats.p90 / H) == pytest.approx((1.75, 2.75))
    assert r.total_breaches == 3

    people = {a.user_id: a.stats for a in r.approvers}
    assert (people[team.wang.pk].count, people[team.wang.pk].breaches) == (2, 1)
    assert people[team.wang.pk].avg / H == pytest.approx(1.25)
    assert (people[team.finance.pk].count, people[team.finance.pk].breaches) == (2, 1)
    assert people[team.finance.pk].median / H == pytest.approx(1.75)

    # the worst first: d3 still waiting 3 h past its limit, then the two decided one hour late
    assert [(b.number, b.step, b.finished_at is None, round(b.over_seconds / H, 6)) for b in r.breaches] == [
        (d3.number, "仓库经理", True, 3.0), (d2.number, "仓库经理", False, 1.0), (d1.number, "财务", False, 1.0),
    ] or [(b.number, b.step, b.finished_at is None, round(b.over_seconds / H, 6)) for b in r.breaches] == [
        (d3.number, "仓库经理", True, 3.0), (d1.number, "财务", False, 1.0), (d2.number, "仓库经理", False, 1.0),
    ]  # the two one-hour overruns tie
    assert r.breaches[0].approvers == "wang"

    # the log agrees: the final approvals are logged with their step
    assert sorted((k, s.count) for k, s in r.approval.items() if k[0] == "write_off") == [(("write_off", 1), 2)]
    # another kind filters everything out
    assert cycle_times(team.shop.company, Filters(start=day, end=day, kind="gain")).steps == []
    assert_ledger_consistent()


def test_an_escalated_step_still_counts_against_its_first_time_limit(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库经理", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": "1",
         "escalation": {"rule": "superior", "after_minutes": 0}},
    ])
    start = frozen.now  # Monday 10:00: due 11:00
    doc = team.write_off()
    frozen.set(start + dt.timedelta(hours=1))
    wf.fire_due_timers()  # escalated at 11:00: a fresh limit, 12:00
    step = Approval.objects.get(document=doc).steps.get()
    assert (step.sla_due_at, step.due_at) == (start + dt.timedelta(hours=1), start + dt.timedelta(hours=2))
    frozen.set(start + dt.timedelta(hours=1.5))
    docs.approve_document(doc, by=team.wang)  # within the fresh limit, half an hour past the first one
    day = start.date()
    r = cycle_times(team.shop.company, Filters(start=day, end=day))
    assert r.total_breaches == 1
    assert [(b.number, round(b.over_seconds / H, 6)) for b in r.breaches] == [(doc.number, 0.5)]
    assert_ledger_consistent()
