"""`jxc init` sets a new company up from an industry preset, as `jxc demo` and `jxc preset install` do."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from openjxc.alerts.rule_models import AlertKind, AlertRule
from openjxc.core.models import Company
from openjxc.presets.format import load
from openjxc.workflow.models import Flow


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


@pytest.fixture
def no_collectstatic(settings):
    settings.WHITENOISE_USE_FINDERS = True


def test_init_installs_the_workflow_presets_and_alert_rules_once(db, no_collectstatic, monkeypatch):
    monkeypatch.delenv("JXC_ADMIN_PASSWORD", raising=False)
    out = run("init")
    company = Company.objects.get(code="MAIN")
    flows = Flow.objects.filter(company=company)
    assert set(flows.values_list("preset", flat=True)) == set(load("general").flow_groups)
    assert flows.filter(kind="write_off", is_active=True).exists()
    assert flows.filter(kind="purchase_order", is_active=True).exists()
    assert all(f.versions.count() == 1 for f in flows)
    kinds = set(AlertRule.objects.filter(company=company).values_list("kind", flat=True))
    assert kinds == set(AlertKind.values)
    rules = AlertRule.objects.filter(company=company).count()  # one per kind, and three KPI thresholds
    assert rules == len(kinds) + 2
    assert f"installed preset general: {flows.count()} approval flow(s) and {rules} alert rule(s)" in out

    flow_ids = set(flows.values_list("pk", flat=True))
    rule_ids = set(AlertRule.objects.values_list("pk", flat=True))
    again = run("init")
    assert "Nothing to do" in again
    assert set(Flow.objects.values_list("pk", flat=True)) == flow_ids
    assert set(AlertRule.objects.values_list("pk", flat=True)) == rule_ids


def test_init_leaves_an_existing_company_without_presets_alone(db, no_collectstatic, monkeypatch):
    from openjxc.core import services

    monkeypatch.delenv("JXC_ADMIN_PASSWORD", raising=False)
    services.create_company(code="MAIN", name="老公司", time_zone="Asia/Shanghai")
    run("init")  # creates only the administrator: flows would change how a running company approves
    assert not Flow.objects.exists()
    assert not AlertRule.objects.exists()
