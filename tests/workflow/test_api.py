"""The workflow API: flows with versions, condition check, presets, inbox, acting, delegations, calendar, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.documents.models import Document, Status
from openjxc.workflow.models import Approval, Flow, FlowVersion
from tests.api.conftest import Api
from tests.conftest import Shop, assert_ledger_consistent

pytestmark = pytest.mark.django_db

STEPS = [
    {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 4, "reminders": [-30, 0]},
    {"name": "财务", "approvers": [{"type": "role", "role": "finance"}]},
]


@pytest.fixture
def apis(team):
    return {name: Api(getattr(team, name)) for name in ("boss", "wang", "finance", "keeper", "deputy")}


def test_flows_crud_with_versions(apis, team):
    boss = apis["boss"]
    r = boss.post("/workflow/flows", {"name": "报损审批", "kind": "write_off", "steps": STEPS})
    assert r.status_code == 201, r.content
    flow = r.json()
    assert flow["version"] == 1 and [s["name"] for s in flow["steps"]] == ["主管", "财务"]
    r = boss.patch(f"/workflow/flows/{flow['id']}", {"steps": STEPS[:1], "note": "只留主管"})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert [v["number"] for v in r.json()["versions"]] == [2, 1]
    assert [f["name"] for f in boss.get("/workflow/flows").json()] == ["报损审批"]
    assert boss.get(f"/workflow/flows/{flow['id']}").json()["steps"][0]["reminders"] == [-30, 0]
    r = boss.patch(f"/workflow/flows/{flow['id']}", {"is_active": False})
    assert r.json()["is_active"] is False and r.json()["version"] == 2


def test_flow_errors(apis, team):
    boss = apis["boss"]
    r = boss.post("/workflow/flows", {"name": "x", "kind": "write_off",
                                      "steps": [{"name": "a", "approvers": [{"type": "role", "role": "king"}]}]})
    assert r.status_code == 422
    assert r.json()["code"] == "validation.failed" and r.json()["data"]["field"] == "steps[1].approvers[0].role"
    r = boss.post("/workflow/flows", {"name": "x", "kind": "write_off", "steps": [
        {"name": "a", "approvers": [{"type": "superior"}], "condition": {"field": "amount", "op": "??", "value": 1}}]})
    assert r.status_code == 422 and r.json()["data"]["path"] == "steps[1].condition.op"
    r = boss.post("/workflow/flows", {"name": "x", "kind": "write_off", "steps": STEPS, "colour": "red"})
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    r = apis["keeper"].post("/workflow/flows", {"name": "x", "kind": "write_off", "steps": STEPS})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert boss.get("/workflow/flows/999999").status_code == 404
    assert not Flow.objects.exists() and not FlowVersion.objects.exists()


def test_other_companies_flows_are_404(apis, team):
    other = Shop("OTHER")
    theirs = Api(other.admin).post("/workflow/flows", {"name": "x", "kind": "write_off", "steps": [
        {"name": "a", "approvers": [{"type": "role", "role": "admin"}]}]}).json()
    r = apis["boss"].get(f"/workflow/flows/{theirs['id']}")
    assert r.status_code == 404 and r.json()["code"] == "flow.not_found"
    assert apis["boss"].patch(f"/workflow/flows/{theirs['id']}", {"priority": 3}).status_code == 404


def test_validate_condition(apis):
    ok = apis["boss"].post("/workflow/conditions/validate",
                           {"condition": {"all": [{"field": "amount", "op": ">", "value": "10000"}]}})
    assert ok.status_code == 200 and ok.json() == {"valid": True}
    bad = apis["boss"].post("/workflow/conditions/validate", {"condition": {"all": [{"field": "x", "op": "=",
                                                                                     "value": 1}]}})
    assert bad.status_code == 422
    assert bad.json()["code"] == "workflow.bad_condition" and bad.json()["data"]["path"] == "condition.all[0].field"


def test_presets_install(apis):
    assert {p["name"] for p in apis["boss"].get("/workflow/presets").json()} == {
        "stock_adjustments", "purchase_order_threshold"}
    r = apis["boss"].post("/workflow/presets/purchase_order_threshold/install", {"threshold": "20000"})
    assert r.status_code == 201 and r.json()[0]["steps"][0]["condition"]["value"] == "20000"
    assert apis["boss"].post("/workflow/presets/nope/install").status_code == 404
    assert apis["keeper"].post("/workflow/presets/stock_adjustments/install").status_code == 403
    r = apis["boss"].post("/workflow/presets/purchase_order_threshold/install", {"threshold": "abc"})
    assert r.status_code == 422


def test_inbox_act_and_timeline(apis, team):
    apis["boss"].post("/workflow/flows", {"name": "报损审批", "kind": "write_off", "steps": STEPS})
    doc = team.write_off()
    waiting = apis["wang"].get("/workflow/inbox").json()["waiting"]
    assert [w["document"]["number"] for w in waiting] == [doc.number]
    assert apis["wang"].get("/workflow/inbox/count").json()["waiting"] == 1
    r = apis["finance"].post(f"/workflow/documents/{doc.pk}/approve", {"comment": "ok"})
    assert r.status_code == 403 and r.json()["code"] == "workflow.not_approver" and "wang" in r.json()["message"]
    r = apis["wang"].post(f"/workflow/documents/{doc.pk}/approve", {"comment": "属实"})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = apis["finance"].post(f"/workflow/documents/{doc.pk}/reject", {})
    assert r.status_code == 422 and r.json()["data"]["field"] == "comment"
    r = apis["finance"].post(f"/workflow/documents/{doc.pk}/reject", {"comment": "单价不对"})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    mine = apis["keeper"].get("/workflow/inbox").json()["submitted"]
    assert mine[0]["state"] == "rejected" and mine[0]["reason"] == "单价不对"
    decided = apis["wang"].get("/workflow/inbox").json()["decided"]
    assert [(d["decision"], d["comment"]) for d in decided] == [("approve", "属实")]
    t = apis["keeper"].get(f"/workflow/documents/{doc.pk}/timeline").json()
    steps = t["approvals"][0]["steps"]
    assert [(s["name"], s["state"]) for s in steps] == [("主管", "approved"), ("财务", "rejected")]
    assert steps[1]["decisions"][0]["comment"] == "单价不对"
    assert apis["wang"].post("/workflow/documents/999999/approve").status_code == 404
    assert apis["wang"].post(f"/workflow/documents/{doc.pk}/bless").status_code in (404, 405)


def test_withdraw_through_the_api(apis, team):
    apis["boss"].post("/workflow/flows", {"name": "报损审批", "kind": "write_off", "steps": STEPS})
    doc = team.write_off()
    r = apis["wang"].post(f"/workflow/documents/{doc.pk}/withdraw")
    assert r.status_code == 403
    r = apis["keeper"].post(f"/workflow/documents/{doc.pk}/withdraw", {"comment": "重填"})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = apis["keeper"].post(f"/workflow/documents/{doc.pk}/withdraw")
    assert r.status_code == 409 and r.json()["code"] == "document.invalid_transition"


def test_delegations_through_the_api(apis, team):
    apis["boss"].post("/workflow/flows", {"name": "报损审批", "kind": "write_off", "steps": STEPS})
    r = apis["wang"].post("/workflow/delegations", {"delegate": team.deputy.pk, "starts_at": "2026-11-23T09:00:00+08:00",
                                                    "ends_at": "2026-11-30T18:00:00+08:00", "note": "年假"})
    assert r.status_code == 201, r.content
    delegation = r.json()
    overlap = apis["wang"].post("/workflow/delegations", {"delegate": team.li.pk,
                                                          "starts_at": "2026-11-24T09:00:00+08:00",
                                                          "ends_at": "2026-11-25T18:00:00+08:00"})
    assert overlap.status_code == 409 and overlap.json()["code"] == "workflow.delegation_overlap"
    doc = team.write_off()
    assert apis["deputy"].get("/workflow/inbox").json()["waiting"][0]["on_behalf_of"][0]["name"] == "wang"
    r = apis["deputy"].post(f"/workflow/documents/{doc.pk}/approve", {"comment": "代批"})
    assert r.status_code == 200
    t = apis["deputy"].get(f"/workflow/documents/{doc.pk}/timeline").json()
    d = t["approvals"][0]["steps"][0]["decisions"][0]
    assert (d["user"], d["on_behalf_of"]) == ("deputy", "wang")
    assert apis["deputy"].post(f"/workflow/delegations/{delegation['id']}/cancel").status_code == 403
    r = apis["wang"].post(f"/workflow/delegations/{delegation['id']}/cancel")
    assert r.status_code == 200 and r.json()["cancelled_at"]
    assert [x["id"] for x in apis["deputy"].get("/workflow/delegations").json()] == [delegation["id"]]


def test_calendar_through_the_api(apis):
    r = apis["boss"].get("/workflow/calendar").json()
    assert r["time_zone"] == "Asia/Shanghai" and r["hours"]["0"] == [["09:00", "18:00"]] and "5" not in r["hours"]
    r = apis["boss"].put("/workflow/calendar", {"hours": {"0": [["09:00", "12:00"], ["13:00", "18:00"]]},
                                                "holidays": [{"day": "2027-01-01", "name": "元旦"}]})
    assert r.status_code == 200 and r.json()["holidays"][0]["name"] == "元旦"
    r = apis["boss"].put("/workflow/calendar", {"hours": {"0": [["13:00", "12:00"]]}})
    assert r.status_code == 422 and r.json()["data"]["field"] == "hours.0[0]"
    assert apis["keeper"].put("/workflow/calendar", {"hours": {"0": [["09:00", "18:00"]]}}).status_code == 403


def test_a_whole_story_through_the_api(apis, team):
    """Preset installed, a write-off through both levels, posted; the ledger holds."""
    assert apis["boss"].post("/workflow/presets/stock_adjustments/install").status_code == 201
    doc = team.write_off(qty="3")
    assert apis["wang"].post(f"/workflow/documents/{doc.pk}/approve").json()["status"] == "submitted"
    assert apis["finance"].post(f"/workflow/documents/{doc.pk}/approve").json()["status"] == "approved"
    r = apis["keeper"].post(f"/documents/{doc.pk}/post")
    assert r.status_code == 200
    assert Document.objects.get(pk=doc.pk).status == Status.POSTED
    assert Approval.objects.get(document=doc).state == "approved"
    assert_ledger_consistent()


@pytest.mark.parametrize("step", [
    {"name": "a", "approvers": [{"type": ["role"]}]},
    {"name": "a", "approvers": [{"type": "role", "role": {"x": 1}}]},
    {"name": "a", "approvers": [{"type": "superior"}], "mode": ["any"]},
    {"name": "a", "approvers": [{"type": "superior"}], "condition": {"field": "amount", "op": [">"], "value": 1}},
    {"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1, "escalation": {"rule": ["x"]}},
    {"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": "NaN"},
    {"name": "a", "approvers": [{"type": "superior"}], "time_limit_hours": 1, "reminders": [1e400]},
])
def test_odd_json_in_steps_is_a_422(apis, step):
    r = apis["boss"].post("/workflow/flows", {"name": "x", "kind": "write_off", "steps": [step]})
    assert r.status_code == 422, r.content


def test_a_delegation_without_a_time_zone_is_business_time(apis, team):
    r = apis["wang"].post("/workflow/delegations", {"delegate": team.deputy.pk, "starts_at": "2026-11-23T09:00:00",
                                                    "ends_at": "2026-11-23T18:00:00"})
    assert r.status_code == 201
    assert dt.datetime.fromisoformat(r.json()["starts_at"]) == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
