"""Industry presets: installing one (idempotent, audited, all or nothing), what the shipped files hold, and a
company exported as a preset file installed into a fresh company."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from openjxc.alerts import rules as alert_rules
from openjxc.alerts.engine import DEFAULT_ROLES, save_rule
from openjxc.alerts.rule_models import AlertKind, AlertRule
from openjxc.core.company_settings import tracks_stock
from openjxc.core.errors import DomainError, PermissionDenied
from openjxc.core.models import AuditRecord, Company, Event, Role
from openjxc.documents.orders import over_receipt_tolerance, set_order_settings
from openjxc.presets import format as preset_format
from openjxc.presets.export import export_company
from openjxc.presets.install import install_preset
from openjxc.workflow import services as wf
from openjxc.workflow.models import Flow, FlowVersion
from tests.conftest import Shop

pytestmark = pytest.mark.django_db
D = Decimal


def rows(company: Company) -> dict[str, list]:
    """What a preset can write for a company, row by row."""
    return {
        "flows": list(Flow.objects.filter(company=company).order_by("pk").values_list("pk", "name", "preset")),
        "versions": list(FlowVersion.objects.filter(company=company).order_by("pk").values_list("pk", "steps")),
        "rules": list(AlertRule.objects.filter(company=company).order_by("pk").values_list("pk", "kind", "params")),
        "audit": AuditRecord.objects.filter(company=company).count(),
        "events": Event.objects.filter(company=company).count(),
        "settings": Company.objects.get(pk=company.pk).settings,
    }


def test_installing_a_preset_twice_writes_its_rows_once_and_audits_the_install():
    shop = Shop()
    first = install_preset(preset_format.load("general"), by=shop.admin, language="zh-hans")
    assert {f.kind for f in first.flows} == {"write_off", "gain", "stock_count", "purchase_order"}
    assert {r.kind for r in first.rules} == set(AlertKind.values)
    assert AlertRule.objects.get(company=shop.company, kind="low_stock").name == "库存不足"
    steps = [s["name"] for s in wf.latest_version(Flow.objects.get(company=shop.company, kind="write_off")).steps]
    assert steps == ["仓库主管审核", "财务 / 总经理复核"]
    po = wf.latest_version(Flow.objects.get(company=shop.company, kind="purchase_order")).steps[0]
    assert po["name"] == "总经理审批（超过 10000）" and po["condition"]["value"] == "10000"
    audit = AuditRecord.objects.get(company=shop.company, action="preset.install")
    assert audit.actor_id == shop.admin.pk and audit.after["preset"] == "general"
    assert len(audit.after["flows"]) == 4 and len(audit.after["alert_rules"]) == 15  # 12 kinds, 3 KPI thresholds
    assert Company.objects.get(pk=shop.company.pk).settings["preset"] == {"name": "general", "version": 1}

    before = rows(shop.company)
    again = install_preset(preset_format.load("general"), by=shop.admin, language="zh-hans")
    assert not again.changed and (again.kept_flows, again.kept_rules) == (4, 15)
    assert rows(shop.company) == before  # not a row more: no flow, rule, audit record or event


def test_a_preset_keeps_what_the_company_changed_and_adds_only_what_it_lacks():
    shop = Shop()
    install_preset(preset_format.load("general"), by=shop.admin, language="en")
    low = AlertRule.objects.get(company=shop.company, kind="low_stock")
    save_rule(by=shop.admin, rule=low, name="Running low", params={})
    AlertRule.objects.filter(company=shop.company, kind="dead_stock").delete()
    food = install_preset(preset_format.load("food"), by=shop.admin, language="en")
    assert [r.kind for r in food.rules] == ["dead_stock"]  # the one missing, with food's 30 days
    assert AlertRule.objects.get(company=shop.company, kind="dead_stock").params == {"days": 30}
    assert AlertRule.objects.get(pk=low.pk).name == "Running low"
    assert food.flows == [] and food.settings == {"preset": {"name": "food", "version": 1}}


def test_only_an_administrator_sets_the_company_up_from_a_preset():
    shop = Shop()
    manager = shop.user("boss", Role.MANAGER)
    with pytest.raises(PermissionDenied):
        install_preset(preset_format.load("general"), by=manager)
    assert not Flow.objects.exists() and not AlertRule.objects.exists()


def test_the_general_preset_holds_todays_flows_rules_and_names():
    general = preset_format.load("general")
    assert {r.kind for r in general.alert_rules} == set(AlertKind.values)
    for rule in general.alert_rules:  # the alerts app's own defaults, named as its kinds are
        if rule.kind == "kpi_threshold":
            continue  # made rule by rule: below
        assert rule.params == alert_rules.DEFAULT_PARAMS[rule.kind], rule.kind
        assert rule.recipient_roles == [str(r) for r in DEFAULT_ROLES[rule.kind]], rule.kind
        assert rule.name["en"] == str(AlertKind(rule.kind).label)
        assert rule.cooldown_hours == 24
    assert general.settings == {"stock_tracking": True, "vat": True, "payable_from": "receipt"}
    assert [(f.group, f.kind) for f in general.flows] == [
        ("stock_adjustments", "write_off"), ("stock_adjustments", "gain"), ("stock_adjustments", "stock_count"),
        ("purchase_order_threshold", "purchase_order")]
    assert general.flow_groups["purchase_order_threshold"].parameters == {"threshold": "10000"}


def test_the_general_preset_brings_the_three_kpi_thresholds_switched_off():
    shop = Shop()
    install_preset(preset_format.load("general"), by=shop.admin, language="zh-hans")
    kpi = AlertRule.objects.filter(company=shop.company, kind="kpi_threshold").order_by("pk")
    assert [(r.name, r.is_active, r.params["kpi"], r.params["by"], r.params["role"]) for r in kpi] == [
        ("单品周销售额连续两周下降超过 30%", False, "revenue", "item", "purchaser"),
        ("分类本月毛利率低于 15%", False, "gross_margin", "category", "manager"),
        ("供应商到货准时率低于 90%", False, "on_time_rate", "supplier", "purchaser")]
    weekly = kpi[0].params
    assert (weekly["period"], weekly["which"], weekly["compare"], weekly["threshold"], weekly["running"]) == (
        "week", "last", "previous", -30, 2)
    assert (kpi[1].params["threshold"], kpi[2].params["threshold"]) == (15, 90)


def test_industry_presets_differ_from_general_only_where_the_industry_does():
    general = preset_format.load("general")

    def differences(name):
        other = preset_format.load(name)
        assert [f.steps for f in other.flows] == [f.steps for f in general.flows if f.group in other.flow_groups]
        mine = {r.kind: r for r in general.alert_rules}
        return {(r.kind, key): value for r in other.alert_rules for key, value in r.model_dump().items()
                if value != getattr(mine[r.kind], key)}

    assert differences("food") == {("expiring", "cooldown_hours"): 12, ("expired", "cooldown_hours"): 4,
                                   ("dead_stock", "params"): {"days": 30},
                                   ("count_variance", "params"): {"tolerance_pct": 1}}
    assert differences("manufacturing") == {("dead_stock", "params"): {"days": 180}}
    assert preset_format.load("manufacturing").flow_groups["purchase_order_threshold"].parameters == {
        "threshold": "50000"}
    trading = preset_format.load("trading")
    assert trading.settings["stock_tracking"] is False
    assert {r.kind for r in trading.alert_rules} == {"approval_overdue", "channel_failing"}
    assert [f.kind for f in trading.flows] == ["purchase_order"]


def test_a_preset_the_company_can_no_longer_take_is_refused_whole():
    shop = Shop()
    shop.receive(shop.water, 10, "1.20")  # stock has moved: trading mode is out of reach
    with pytest.raises(DomainError) as err:
        install_preset(preset_format.load("trading"), by=shop.admin)
    assert err.value.code == "company.has_stock"
    assert not Flow.objects.exists() and not AlertRule.objects.exists() and tracks_stock(shop.company)


@pytest.mark.parametrize(("change", "code", "field"), [
    (lambda d: d.update(settings={"colour": "red"}), "preset.invalid", "settings.colour"),
    (lambda d: d.update(format=2), "preset.invalid", "format"),
    (lambda d: d["alert_rules"][0].update(warehouse="NOPE"), "preset.unknown_reference", None),
    (lambda d: d["flows"][0].update(group="elsewhere"), "preset.invalid", "flows.0.group"),
    (lambda d: d["flows"][0]["steps"][0].update(approvers=[]), "validation.failed", "steps[1].approvers"),
    (lambda d: d["alert_rules"][0].update(params={"speed": 3}), "validation.failed", "params"),
])
def test_a_bad_preset_file_is_refused_and_nothing_is_written(change, code, field):
    shop = Shop()
    data = json.loads((preset_format.FILES / "general.json").read_text())
    change(data)
    with pytest.raises(DomainError) as err:
        install_preset(preset_format.parse(data), by=shop.admin)
    assert err.value.code == code
    if field:
        assert err.value.data["field"] == field
    assert not Flow.objects.exists() and not AlertRule.objects.exists()
    assert not AuditRecord.objects.filter(action="preset.install").exists()


def test_not_json_is_refused_with_a_reason():
    with pytest.raises(DomainError) as err:
        preset_format.loads(b"{flows: [")
    assert err.value.code == "preset.invalid" and err.value.data["field"] == "file"


def test_an_exported_company_installs_into_a_fresh_company_as_the_same_setup():
    a, b = Shop("A"), Shop("B")
    install_preset(preset_format.load("general"), by=a.admin, language="zh-hans")
    # the company made it its own: a flow edited and limited to a warehouse, a rule for one warehouse and
    # category, an order setting, a flow of its own
    flow = Flow.objects.get(company=a.company, kind="write_off")
    steps = wf.latest_version(flow).steps[:1]
    wf.update_flow(flow, by=a.admin, steps=steps, warehouses=["WH1"], priority=5)
    wf.create_flow(by=a.admin, name="大额调拨", kind="transfer_out",
                   steps=[{"name": "经理审批", "approvers": [{"type": "role", "role": "manager"}],
                           "condition": {"field": "amount", "op": ">", "value": "5000"}}])
    save_rule(by=a.admin, kind=AlertKind.OVER_MAX, name="总仓食品超储", warehouse=a.main, category=a.food,
              recipient_roles=["keeper"], cooldown_hours=6)
    set_order_settings(by=a.admin, over_receipt_tolerance=D("5"))

    exported = export_company(a.company, by=a.admin)
    text = preset_format.dumps(exported)
    result = install_preset(preset_format.loads(text.encode()), by=b.admin)
    assert result.changed and len(result.flows) == 5 and len(result.rules) == 16

    again = export_company(b.company, by=b.admin)
    for key in ("name", "title", "description"):
        exported.pop(key), again.pop(key)
    assert again == exported
    assert over_receipt_tolerance(Company.objects.get(pk=b.company.pk)) == D("5")
    rule = AlertRule.objects.get(company=b.company, name="总仓食品超储")
    assert (rule.warehouse, rule.category, rule.cooldown_hours) == (b.main, b.food, 6)
    assert list(Flow.objects.get(company=b.company, kind="write_off").warehouses.all()) == [b.main]


def test_an_export_names_people_and_they_must_exist_where_it_is_installed():
    a, b = Shop("A"), Shop("B")
    deputy = a.user("zhao", Role.MANAGER)
    wf.create_flow(by=a.admin, name="赵经理审批", kind="gain",
                   steps=[{"name": "赵经理", "approvers": [{"type": "user", "user": deputy.pk}]}])
    exported = export_company(a.company, by=a.admin)
    assert exported["flows"][0]["steps"][0]["approvers"] == [{"type": "user", "username": "zhao"}]
    with pytest.raises(DomainError) as err:
        install_preset(preset_format.parse(exported), by=b.admin)
    assert err.value.code == "preset.unknown_reference" and err.value.data["name"] == "zhao"
    assert not Flow.objects.filter(company=b.company).exists()
