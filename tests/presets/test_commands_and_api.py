"""`jxc preset list / install / export` and the presets API: the same installer, audited, idempotent."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openjxc.alerts.rule_models import AlertRule
from openjxc.core.models import AuditRecord, Role
from openjxc.presets import format as preset_format
from openjxc.workflow.models import Flow
from tests.api.conftest import Api
from tests.conftest import Shop

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


def test_jxc_preset_lists_installs_once_and_exports_a_file_another_company_installs(tmp_path):
    a, b = Shop("A"), Shop("B")
    listed = run("preset", "list")
    for name in ("general", "food", "manufacturing", "restaurant", "trading"):
        assert name in listed

    out = run("preset", "install", "food", "--company", "A", "--language", "zh-hans")
    assert "Installed preset food v1 into company A (as a-admin)" in out and "批次临期" in out
    assert Flow.objects.filter(company=a.company).count() == 4
    assert AlertRule.objects.get(company=a.company, kind="dead_stock").params == {"days": 30}
    audits = AuditRecord.objects.filter(company=a.company, action="preset.install").count()
    assert "Nothing to do" in run("preset", "install", "food", "--company", "A")
    assert AuditRecord.objects.filter(company=a.company, action="preset.install").count() == audits == 1

    path = tmp_path / "a.json"
    run("preset", "export", "--company", "A", "--output", str(path))
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["settings"]["stock_tracking"] is True and len(exported["alert_rules"]) == 12

    out = run("preset", "install", str(path), "--company", "B", "--user", "b-admin")
    assert "approval flows added: 4" in out and "alert rules added: 12" in out
    assert sorted(AlertRule.objects.filter(company=b.company).values_list("name", flat=True)) == sorted(
        AlertRule.objects.filter(company=a.company).values_list("name", flat=True))


def test_jxc_preset_refuses_clearly():
    Shop("A"), Shop("B")
    with pytest.raises(CommandError, match="Name the company"):
        run("preset", "install", "general")
    with pytest.raises(CommandError, match="preset.not_found"):
        run("preset", "install", "bakery", "--company", "A")
    with pytest.raises(CommandError, match="No active user"):
        run("preset", "install", "general", "--company", "A", "--user", "nobody")
    with pytest.raises(CommandError, match="GROUP.NAME=VALUE"):
        run("preset", "install", "general", "--company", "A", "--param", "threshold=5")
    with pytest.raises(CommandError, match="preset.invalid"):
        run("preset", "install", "general", "--company", "A", "--param", "purchase_order_threshold.threshold=-5")
    assert not Flow.objects.exists()


def test_jxc_preset_install_takes_a_flow_groups_parameter():
    shop = Shop("A")
    run("preset", "install", "general", "--company", "A", "--param", "purchase_order_threshold.threshold=2500")
    flow = Flow.objects.get(company=shop.company, kind="purchase_order")
    assert flow.versions.get().steps[0]["condition"]["value"] == "2500"


def test_presets_api_lists_installs_and_exports_for_administrators():
    shop = Shop()
    admin, keeper = Api(shop.admin), Api(shop.user("keeper", Role.KEEPER))
    listed = admin.get("/presets").json()
    assert [p["name"] for p in listed][0] == "general" and len(listed) == 5

    refused = keeper.post("/presets/general/install", {})
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    assert keeper.get("/presets/export").status_code == 403
    assert admin.post("/presets/bakery/install", {}).status_code == 404

    done = admin.post("/presets/restaurant/install", {"language": "en",
                                                     "parameters": {"purchase_order_threshold": {"threshold": "3000"}}})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["changed"] and len(body["flows"]) == 4 and len(body["alert_rules"]) == 12
    assert admin.post("/presets/restaurant/install", {}).json()["changed"] is False

    exported = admin.get("/presets/export").json()
    assert exported["format"] == 1 and exported["flows"][3]["steps"][0]["condition"]["value"] == "3000"
    other = Shop("OTHER")
    installed = Api(other.admin).post("/presets/install", {"preset": exported}).json()
    assert installed["changed"] and len(installed["alert_rules"]) == 12

    bad = admin.post("/presets/install", {"preset": {**exported, "settings": {"colour": "red"}}})
    assert bad.status_code == 422 and bad.json()["code"] == "preset.invalid"


def test_the_approval_flow_presets_stay_where_they_were():
    shop = Shop()
    manager = Api(shop.user("boss", Role.MANAGER))
    groups = manager.get("/workflow/presets").json()
    assert [g["name"] for g in groups] == list(preset_format.load("general").flow_groups)
    made = manager.post("/workflow/presets/purchase_order_threshold/install", {"threshold": "20000"})
    assert made.status_code == 201 and made.json()[0]["steps"][0]["condition"]["value"] == "20000"
