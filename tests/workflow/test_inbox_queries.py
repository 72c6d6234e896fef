"""The 待办 inbox reads a constant number of statements however many documents wait."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openjxc.core.models import Role, User
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.todo import inbox_counts
from tests.workflow.test_timers import at

pytestmark = pytest.mark.django_db


def statements(fn, *args):
    with CaptureQueriesContext(connection) as ctx:
        result = fn(*args)
    return len(ctx.captured_queries), result


def test_inbox_queries_do_not_grow_with_the_waiting_documents(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经理", "approvers": [{"type": "role", "role": Role.MANAGER}], "mode": "n_of_m", "n": 2},
    ])
    wf.create_delegation(by=team.li, delegate=team.deputy, starts_at=at(23, 9), ends_at=at(25, 18))
    counts = {}
    for total in (3, 30):
        while len(selectors.submitted_by(team.keeper)) < total:
            doc = team.write_off("1")
            wf.act(doc, by=team.zhou, action="approve")  # one of two: still waiting
        counts[total] = {
            "waiting": statements(selectors.waiting_for, team.wang),
            "delegate": statements(selectors.waiting_for, team.deputy),
            "submitted": statements(selectors.submitted_by, team.keeper),
            # a fresh user object: its warehouse scope is read (and cached on it) each time
            "badge": statements(inbox_counts, User.objects.get(pk=team.wang.pk)),
        }
    # the badge counts all the work of the inbox (issue 13, item 14): the approvals' 4 statements, one count each
    # for postings, transfers to receive, counts, KPI alerts (issue 17) and held terminal operations (sync/todo.py),
    # the user's warehouse scope, and the submissions in approval
    limits = {"waiting": 6, "delegate": 6, "submitted": 6, "badge": 11}
    for name in counts[3]:
        few, many = counts[3][name][0], counts[30][name][0]
        assert few == many, f"{name}: {few} statements for 3 documents, {many} for 30"
        assert few <= limits[name], f"{name}: {few} statements"
    assert len(counts[30]["waiting"][1]) == 30
    assert {p["name"] for row in counts[30]["delegate"][1] for p in row["on_behalf_of"]} == {"li"}
    held = counts[30]["submitted"][1][0]["held_by"]
    assert sorted(h["name"] for h in held) == ["deputy", "li", "wang"]  # zhou decided; deputy stands in for li
