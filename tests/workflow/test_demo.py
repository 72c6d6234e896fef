"""`jxc demo` sets the company up as for real: presets installed, adjustments approved at two levels."""

from __future__ import annotations

import pytest

from openjxc.core.models import User
from openjxc.presets.demo import build_demo
from openjxc.workflow import selectors
from openjxc.workflow.models import Approval, Flow
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def test_demo_installs_the_presets_and_runs_adjustments_through_them():
    result = build_demo(items=20, days=7)
    company = result.company
    assert set(Flow.objects.filter(company=company).values_list("kind", flat=True)) == {
        "write_off", "gain", "stock_count", "purchase_order"}
    done = Approval.objects.filter(company=company, document__kind__in=["write_off", "gain"], state="approved")
    assert done.exists()
    for approval in done:
        assert [s.state for s in approval.steps.all()] == ["approved", "approved"]
        deciders = list(approval.decisions.values_list("user__username", flat=True))
        assert len(deciders) == 2
    manager = User.objects.get(username="demo-manager")
    waiting = selectors.waiting_for(manager)
    # today's big purchase order at the general manager's step, the write-off at the first level
    assert sorted(w["document"]["kind"] for w in waiting) == ["purchase_order", "write_off"]
    assert_ledger_consistent(company.pk)
