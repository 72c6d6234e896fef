"""The "approval overdue" alert rule follows the workflow: raised once a step passes its time limit,
re-sent after the cool-down, cleared when the step is decided."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.alerts import engine
from openjxc.alerts.rule_models import Alert, AlertKind, AlertStatus
from openjxc.documents import services as docs
from openjxc.workflow import services as wf
from tests.conftest import assert_ledger_consistent
from tests.workflow.conftest import SH

pytestmark = pytest.mark.django_db


def test_approval_overdue_raised_and_cleared(team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 4,
         "reminders": []},
    ])
    engine.save_rule(by=team.boss, kind=AlertKind.APPROVAL_OVERDUE, cooldown_hours=4)
    doc = team.write_off()  # Monday 10:00, due 14:00
    assert engine.scan_company(team.shop.company.pk, kinds=[AlertKind.APPROVAL_OVERDUE]).raised == []
    frozen.set(dt.datetime(2026, 11, 23, 16, 30, tzinfo=SH))
    raised = engine.scan_company(team.shop.company.pk, kinds=[AlertKind.APPROVAL_OVERDUE]).raised
    assert [(a.data["number"], a.data["hours"]) for a in raised] == [(doc.number, "2")]
    assert "2" in engine.render_title(raised[0].kind, raised[0].data)
    docs.approve_document(doc, by=team.wang, comment="ok")
    cleared = engine.scan_company(team.shop.company.pk, kinds=[AlertKind.APPROVAL_OVERDUE]).cleared
    assert [a.pk for a in cleared] == [raised[0].pk]
    assert Alert.objects.get(pk=raised[0].pk).status == AlertStatus.CLOSED
    assert_ledger_consistent()
