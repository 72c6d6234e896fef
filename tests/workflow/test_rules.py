"""Conditions as data, flow validation, the working calendar, presets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.catalog import services as catalog
from openjxc.core.errors import NotFound, PermissionDenied, ValidationFailed
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.documents.services import LineInput
from openjxc.presets.install import install_flow_group, install_flow_groups
from openjxc.workflow import services as wf
from openjxc.workflow.calendar import DEFAULT_HOURS, Calendar, add_working_minutes, working_minutes_between
from openjxc.workflow.conditions import BadCondition, Facts, evaluate, validate
from openjxc.workflow.models import Approval, Flow
from tests.conftest import assert_ledger_consistent
from tests.workflow.conftest import SH

# ---------------------------------------------------------------- conditions (pure)

FACTS = Facts(amount=Decimal("12000.50"), quantity=Decimal("3"), kind="write_off", warehouse={1, "WH1"},
              partner={7, "S001"}, category={3, 4, "FOOD", "FOOD01"}, custom={"reason": "damage", "boxes": "12"})


@pytest.mark.parametrize("cond, expected", [
    (None, True),
    ({}, True),
    ({"field": "amount", "op": ">", "value": "10000"}, True),
    ({"field": "amount", "op": "<=", "value": 12000.5}, True),
    ({"field": "amount", "op": "<", "value": "12000.50"}, False),
    ({"field": "kind", "op": "=", "value": "write_off"}, True),
    ({"field": "kind", "op": "in", "value": ["gain", "stock_count"]}, False),
    ({"field": "warehouse", "op": "in", "value": ["WH1", "WH2"]}, True),
    ({"field": "warehouse", "op": "not_in", "value": [1]}, False),
    ({"field": "partner", "op": "in", "value": [7]}, True),
    ({"field": "category", "op": "in", "value": ["FOOD"]}, True),
    ({"field": "category", "op": "in", "value": ["DRINK"]}, False),
    ({"field": "custom.reason", "op": "=", "value": "damage"}, True),
    ({"field": "custom.boxes", "op": ">=", "value": 10}, True),
    ({"field": "custom.missing", "op": "=", "value": "x"}, False),
    ({"field": "custom.missing", "op": "!=", "value": "x"}, True),
    ({"all": [{"field": "amount", "op": ">", "value": 1}, {"field": "kind", "op": "=", "value": "gain"}]}, False),
    ({"any": [{"field": "amount", "op": ">", "value": 1}, {"field": "kind", "op": "=", "value": "gain"}]}, True),
    ({"not": {"field": "kind", "op": "=", "value": "gain"}}, True),
])
def test_conditions_evaluate(cond, expected):
    validate(cond)
    assert evaluate(cond, FACTS) is expected


@pytest.mark.parametrize("cond, path", [
    ([1, 2], "condition"),
    ({"field": "amount", "op": "~", "value": 1}, "condition.op"),
    ({"field": "__class__", "op": "=", "value": 1}, "condition.field"),
    ({"field": "amount", "op": ">", "value": "lots"}, "condition.value"),
    ({"field": "warehouse", "op": "=", "value": 1}, "condition.op"),
    ({"field": "partner", "op": "in", "value": []}, "condition.value"),
    ({"all": []}, "condition.all"),
    ({"any": [{"field": "kind", "op": "=", "value": "gain"}, {"not": {"x": 1}}]}, "condition.any[1].not"),
    ({"field": "amount", "op": ">"}, "condition"),
    ({"all": [{"field": "kind", "op": "=", "value": "gain"}], "any": []}, "condition"),
    ({"field": "kind", "op": ">", "value": "gain"}, "condition.op"),
])
def test_bad_conditions_name_the_bad_part(cond, path):
    with pytest.raises(BadCondition) as exc:
        validate(cond)
    assert exc.value.data["path"] == path
    assert exc.value.http_status == 422


def test_deep_conditions_are_refused():
    cond = {"field": "kind", "op": "=", "value": "gain"}
    for _ in range(12):
        cond = {"not": cond}
    with pytest.raises(BadCondition):
        validate(cond)


# ---------------------------------------------------------------- calendar (pure)


def t(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def test_working_hours_skip_nights_weekends_and_holidays():
    cal = Calendar(time_zone="Asia/Shanghai")
    assert add_working_minutes(cal, t(23, 10), 240) == t(23, 14)
    assert add_working_minutes(cal, t(23, 17), 240) == t(24, 12)  # 1 h Monday, 3 h Tuesday
    assert add_working_minutes(cal, t(23, 7), 60) == t(23, 10)  # before opening: counts from 09:00
    assert add_working_minutes(cal, t(27, 16), 240) == t(30, 11)  # Friday 16:00 -> Monday 11:00
    cal.holidays.add(dt.date(2026, 11, 24))
    assert add_working_minutes(cal, t(23, 17), 240) == t(25, 12)
    cal.workdays.add(dt.date(2026, 11, 28))  # a Saturday made a working day (调休)
    assert add_working_minutes(cal, t(27, 16), 240) == t(28, 11)
    assert working_minutes_between(cal, t(27, 16), t(28, 11)) == 240


def test_lunch_break_and_bad_hours():
    cal = Calendar(time_zone="Asia/Shanghai", hours={**DEFAULT_HOURS, "0": [["09:00", "12:00"], ["13:30", "18:00"]]})
    assert add_working_minutes(cal, t(23, 11), 120) == t(23, 14, 30)


@pytest.mark.django_db
def test_calendar_is_set_and_used_for_due_times(team, frozen):
    with pytest.raises(ValidationFailed) as exc:
        wf.set_calendar(by=team.boss, hours={"0": [["18:00", "09:00"]]})
    assert exc.value.data["field"] == "hours.0[0]"
    with pytest.raises(ValidationFailed):
        wf.set_calendar(by=team.boss, hours={"8": [["09:00", "18:00"]]})
    with pytest.raises(PermissionDenied):
        wf.set_calendar(by=team.keeper, hours={"0": [["09:00", "18:00"]]})
    wf.set_calendar(by=team.boss, hours={str(d): [["08:30", "12:00"], ["13:00", "17:30"]] for d in range(5)},
                    holidays=[{"day": "2026-11-24", "name": "公司年会"}])
    wf.create_flow(by=team.boss, name="报损", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 4}])
    doc = team.write_off()  # Monday 10:00: 2 h in the morning, 2 h after lunch -> 15:00
    assert Approval.objects.get(document=doc).steps.get().due_at == t(23, 15)
    frozen.set(t(23, 16))
    doc2 = team.write_off()  # 1.5 h Monday, Tuesday off, 2.5 h Wednesday -> 11:00
    assert Approval.objects.get(document=doc2).steps.get().due_at == t(25, 11)


# ---------------------------------------------------------------- flow validation


@pytest.mark.django_db
@pytest.mark.parametrize("steps, field", [
    ([], "steps"),
    ([{"name": "", "approvers": [{"type": "superior"}]}], "steps[1].name"),
    ([{"name": "a", "approvers": []}], "steps[1].approvers"),
    ([{"name": "a", "approvers": [{"type": "god"}]}], "steps[1].approvers[0].type"),
    ([{"name": "a", "approvers": [{"type": "role", "role": "king"}]}], "steps[1].approvers[0].role"),
    ([{"name": "a", "approvers": [{"type": "user", "user": 999999}]}], "steps[1].approvers[0].user"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "mode": "most"}], "steps[1].mode"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "mode": "n_of_m", "n": 0}], "steps[1].n"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": -1}], "steps[1].time_limit_hours"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "reminders": [10]}], "steps[1].reminders"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1, "reminders": [1, 2, 3, 4]}],
     "steps[1].reminders"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1, "reminders": [-90]}],
     "steps[1].reminders[0]"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1,
       "escalation": {"rule": "deputy"}}], "steps[1].escalation.deputy"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1, "reminders": [60],
       "escalation": {"rule": "superior", "after_minutes": 30}}], "steps[1].escalation.after_minutes"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "escalation": {"rule": "auto_approve"}}],
     "steps[1].escalation"),
    ([{"name": "a", "approvers": [{"type": "superior"}], "colour": "red"}], "steps[1].colour"),
])
def test_bad_steps_are_refused_naming_the_field(team, steps, field):
    with pytest.raises(ValidationFailed) as exc:
        wf.create_flow(by=team.boss, name="坏流程", kind="write_off", steps=steps)
    assert exc.value.data["field"] == field
    assert not Flow.objects.exists()


@pytest.mark.django_db
def test_bad_condition_in_a_step(team):
    with pytest.raises(BadCondition) as exc:
        wf.create_flow(by=team.boss, name="坏条件", kind="write_off", steps=[
            {"name": "a", "approvers": [{"type": "superior"}], "condition": {"field": "amount", "op": "=>",
                                                                            "value": 1}}])
    assert exc.value.data["path"] == "steps[1].condition.op"


@pytest.mark.django_db
def test_flow_header_refusals(team):
    ok = [{"name": "a", "approvers": [{"type": "superior"}]}]
    with pytest.raises(ValidationFailed):
        wf.create_flow(by=team.boss, name="x", kind="no_such_kind", steps=ok)
    with pytest.raises(PermissionDenied):
        wf.create_flow(by=team.keeper, name="x", kind="write_off", steps=ok)
    with pytest.raises(NotFound):
        wf.create_flow(by=team.boss, name="x", kind="write_off", steps=ok, warehouses=[999999])
    wf.create_flow(by=team.boss, name="x", kind="write_off", steps=ok)
    with pytest.raises(wf.Conflict):
        wf.create_flow(by=team.boss, name="x", kind="gain", steps=ok)


@pytest.mark.django_db
def test_step_conditions_on_the_document(team):
    drinks = catalog.create_category(by=team.shop.admin, code="DRINK", name="饮料")
    cola = catalog.create_item(by=team.shop.admin, code="C001", name="可乐", base_unit=team.shop.pcs,
                               category=drinks, purchase_price=Decimal("2"))
    team.shop.receive(cola, 50, "2.00")
    wf.create_flow(by=team.boss, name="报损", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}]},
        {"name": "饮料另审", "approvers": [{"type": "user", "user": team.li.pk}],
         "condition": {"any": [{"field": "category", "op": "in", "value": ["DRINK"]},
                               {"field": "custom.reason", "op": "=", "value": "theft"}]}},
    ])
    flour_only = team.write_off()
    assert Approval.objects.get(document=flour_only).steps.count() == 1
    with_cola = docs.create_document(by=team.keeper, kind="write_off", warehouse=team.shop.main,
                                     lines=[LineInput(item=cola.pk, quantity=Decimal("1"))])
    with_cola = docs.submit_document(with_cola, by=team.keeper)
    assert [s.name for s in Approval.objects.get(document=with_cola).steps.all()] == ["主管", "饮料另审"]
    theft = team.write_off(custom={"reason": "theft"})
    assert Approval.objects.get(document=theft).steps.count() == 2


# ---------------------------------------------------------------- presets


@pytest.mark.django_db
def test_presets_two_levels_for_adjustments_and_threshold_for_orders(team):
    flows = install_flow_groups(by=team.boss)
    assert {f.kind for f in flows} == {"write_off", "gain", "stock_count", "purchase_order"}
    assert install_flow_groups(by=team.boss) == flows  # installing again changes nothing
    assert Flow.objects.count() == 4

    doc = team.write_off()
    first, second = Approval.objects.get(document=doc).steps.all()
    assert first.approvers.filter(user=team.wang).exists()  # the warehouse's manager (and the managers)
    assert set(second.approvers.values_list("user__username", flat=True)) >= {"liu", "boss"}
    doc = docs.approve_document(doc, by=team.wang)
    assert doc.status == Status.SUBMITTED
    doc = docs.approve_document(doc, by=team.finance)
    assert doc.status == Status.APPROVED
    docs.post_document(doc, by=team.keeper)

    small = team.order("9000")
    assert not Approval.objects.filter(document=small).exists()  # the step's condition fails: single approval
    assert docs.approve_document(small, by=team.shop.admin).status == Status.APPROVED
    big = team.order("12000")
    step = Approval.objects.get(document=big).steps.get()
    assert set(step.approvers.values_list("user__username", flat=True)) == {"wang", "li", "zhou"}
    assert docs.approve_document(big, by=team.li).status == Status.APPROVED
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_preset_is_editable_afterwards(team):
    (po,) = install_flow_group("purchase_order_threshold", by=team.boss, threshold="50000")
    assert team.order("12000").status == Status.SUBMITTED
    assert not Approval.objects.exists()
    steps = wf.latest_version(po).steps
    steps[0]["condition"]["value"] = "5000"
    wf.update_flow(po, by=team.boss, steps=steps)
    assert Approval.objects.filter(document=team.order("6000")).exists()
    with pytest.raises(NotFound):
        install_flow_group("nonsense", by=team.boss)
    with pytest.raises(ValidationFailed):
        install_flow_group("purchase_order_threshold", by=team.boss, threshold="-1")


@pytest.mark.django_db
def test_ordinary_new_companies_get_no_presets(shop):
    assert not Flow.objects.filter(company=shop.company).exists()
