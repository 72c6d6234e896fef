"""The workflow's web pages through Django's test client: the flow editor (add, edit, reorder, remove steps;
conditions as rows), the 待办 inbox (approve / reject from the list), the approval timeline on the document."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openjxc.documents.models import Status
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Flow
from tests.conftest import assert_ledger_consistent

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def steps_of(flow):
    return wf.latest_version(Flow.objects.get(pk=flow.pk)).steps


@pytest.fixture
def boss_client(client, team):
    client.force_login(team.boss)
    return client


def test_a_manager_creates_a_flow_and_adds_a_step_with_a_condition(boss_client, team):
    res = boss_client.post(reverse("workflow:flows"), {"name": "大额采购", "kind": "purchase_order"}, **EN)
    flow = Flow.objects.get(name="大额采购")
    assert res.status_code == 302 and res["Location"].startswith(reverse("workflow:flow", args=[flow.pk]))
    url = reverse("workflow:flow", args=[flow.pk])
    page = boss_client.get(url + "?edit=new", **EN).content.decode()
    assert 'id="step-form"' in page and 'name="cond_field"' in page
    res = boss_client.post(url, {
        "op": "save_step", "position": "1", "name": "总经理审批", "users": [team.boss.pk], "mode": "any",
        "join": "all", "cond_field": ["amount", "warehouse"], "cond_op": [">", "in"],
        "cond_value": ["5,000", f"{team.shop.main.code}, WH9"], "cond_custom": ["", ""],
        "time_limit_hours": "4", "reminder_1": "-1", "reminder_2": "0", "escalation": "superior",
        "escalate_after_hours": "2",
    }, **EN)
    assert res.status_code == 302, res.content.decode()[:3000]
    steps = steps_of(flow)
    assert [s["name"] for s in steps] == ["Manager approval", "总经理审批"]
    added = steps[1]
    assert added["approvers"] == [{"type": "user", "user": team.boss.pk}]
    assert added["condition"] == {"all": [{"field": "amount", "op": ">", "value": "5000"},
                                          {"field": "warehouse", "op": "in", "value": [team.shop.main.code, "WH9"]}]}
    assert added["time_limit_hours"] == "4" and added["reminders"] == [-60, 0]
    assert added["escalation"] == {"rule": "superior", "after_minutes": 120}
    page = boss_client.get(url, **EN).content.decode()
    assert "Amount (with tax; stock documents at cost) greater than 5000 and Warehouse is one of WH1, WH9" in page

    # a new big order goes through both steps, a small one only through the first
    big, small = team.order(6000), team.order(100)
    assert [s.name for s in Approval.objects.get(document=big).steps.all()] == ["Manager approval", "总经理审批"]
    assert [s.name for s in Approval.objects.get(document=small).steps.all()] == ["Manager approval"]


def test_step_form_refusals_are_shown_and_nothing_is_saved(boss_client, team):
    flow = wf.create_flow(by=team.boss, name="报损", kind="write_off",
                          steps=[{"name": "一级", "approvers": [{"type": "role", "role": "manager"}]}])
    url = reverse("workflow:flow", args=[flow.pk])
    res = boss_client.post(url, {"op": "save_step", "name": "二级", "mode": "any", "join": "all",
                                 "cond_field": ["amount"], "cond_op": [">"], "cond_value": ["lots"],
                                 "cond_custom": [""], "escalation": "deputy"}, **EN)
    page = res.content.decode()
    assert res.status_code == 200
    assert "Choose at least one approver" in page and "lots is not a number" in page
    assert "Choose the deputy." in page and "An escalation needs a time limit." in page
    assert len(steps_of(flow)) == 1


def test_edit_reorder_and_remove_steps(boss_client, team):
    flow = wf.create_flow(by=team.boss, name="报损", kind="write_off", steps=[
        {"name": "一级", "approvers": [{"type": "role", "role": "manager"}],
         "condition": {"field": "category", "op": "in", "value": ["FOOD"]}},
        {"name": "二级", "approvers": [{"type": "role", "role": "finance"}]},
    ])
    url = reverse("workflow:flow", args=[flow.pk])
    form = boss_client.get(url + "?edit=0", **EN).context["form"]
    assert form.condition_rows == [{"field": "category", "op": "in", "value": "FOOD", "custom": ""}]
    assert form.initial["roles"] == ["manager"]
    boss_client.post(url, {"op": "down", "index": "0"})
    assert [s["name"] for s in steps_of(flow)] == ["二级", "一级"]
    boss_client.post(url, {"op": "save_step", "index": "1", "name": "一级（改）", "roles": ["manager", "admin"],
                           "mode": "n_of_m", "n": "2", "join": "any", "cond_field": ["custom"], "cond_op": ["="],
                           "cond_value": ["急"], "cond_custom": ["urgency"]})
    assert steps_of(flow)[1]["name"] == "一级（改）" and steps_of(flow)[1]["mode"] == "n_of_m"
    assert steps_of(flow)[1]["condition"] == {"field": "custom.urgency", "op": "=", "value": "急"}
    boss_client.post(url, {"op": "remove", "index": "0"})
    assert [s["name"] for s in steps_of(flow)] == ["一级（改）"]
    assert Flow.objects.get(pk=flow.pk).versions.count() == 4


def test_only_managers_edit_flows(client, team):
    client.force_login(team.keeper)
    assert client.get(reverse("workflow:flows")).status_code == 403


def two_levels(team):
    return [{"name": "仓库经理", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": "1"},
            {"name": "财务", "approvers": [{"type": "role", "role": "finance"}]}]


def test_inbox_approve_and_reject_from_the_list(client, team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    client.force_login(team.wang)
    page = client.get(reverse("workflow:inbox"), **EN).content.decode()
    assert doc.number in page and "仓库经理" in page
    res = client.post(reverse("workflow:decide", args=[doc.pk, "approve"]), {"comment": "属实"},
                      HTTP_HX_REQUEST="true", **EN)
    assert res.status_code == 200 and "Approved" in res.content.decode()
    assert doc.number not in client.get(reverse("workflow:inbox"), **EN).content.decode().split("<main")[1] \
        or "Nothing waits for you." in client.get(reverse("workflow:inbox"), **EN).content.decode()
    decided = client.get(reverse("workflow:inbox") + "?tab=decided", **EN).content.decode()
    assert doc.number in decided and "属实" in decided

    client.force_login(team.finance)
    res = client.post(reverse("workflow:decide", args=[doc.pk, "reject"]), {"comment": ""},
                      HTTP_HX_REQUEST="true", **EN)
    assert "is required to reject" in res.content.decode()  # refused beside the item, nothing changed
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    res = client.post(reverse("workflow:decide", args=[doc.pk, "reject"]), {"comment": "数量不对"}, **EN)
    assert res.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT

    client.force_login(team.keeper)
    mine = client.get(reverse("workflow:inbox") + "?tab=submitted", **EN).content.decode()
    assert doc.number in mine and "数量不对" in mine
    assert_ledger_consistent()


def test_someone_else_cannot_decide_from_the_inbox(client, team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    client.force_login(team.finance)
    res = client.post(reverse("workflow:decide", args=[doc.pk, "approve"]), {}, HTTP_HX_REQUEST="true", **EN)
    assert "may not decide" in res.content.decode()
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED


def test_document_page_shows_the_lanes_and_who_holds_it(client, team, frozen):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    frozen.move(hours=3)
    client.force_login(team.boss)
    page = client.get(reverse("web:document", args=[doc.pk]), **EN).content.decode()
    assert 'id="approval-timeline"' in page and "Now with" in page and "wang" in page
    assert "over the time limit" in page  # one working hour, three hours waiting
    assert 'id="document-history"' in page


def test_document_page_buttons_follow_the_flow_and_the_requester_withdraws(client, team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels(team))
    doc = team.write_off()
    url = reverse("web:document", args=[doc.pk])

    def actions(user):
        client.force_login(user)
        return {a["action"] for a in client.get(url, **EN).context["actions"]}

    assert {"approve", "reject"} <= actions(team.wang)        # the warehouse manager holds step 1
    assert not {"approve", "reject"} & actions(team.li)       # a manager, but not an approver of this step
    assert not {"approve", "reject"} & actions(team.finance)  # step 2 is not active yet
    assert "withdraw" in actions(team.keeper) and "withdraw" not in actions(team.wang)
    client.force_login(team.keeper)
    res = client.post(reverse("web:document_action", args=[doc.pk, "withdraw"]), {"reason": "写错数量"}, **EN)
    assert res.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert Approval.objects.get(document=doc).state == "withdrawn"
