"""Nobody approves their own document, and nobody decides two steps of one document, unless the flow allows it
(issue 13, item 13). Posting by the creator stays allowed: it is not an approval."""

from __future__ import annotations

import pytest

from openjxc.core.errors import DomainError
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.workflow import selectors
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Decision
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.workflow.test_timers import at

pytestmark = pytest.mark.django_db

def flow(team, steps, **settings):
    return wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=steps, **settings)


def approvers(doc, position=0):
    step = Approval.objects.get(document=doc).steps.get(position=position)
    return {a.user.username: a.via for a in step.approvers.select_related("user")}


def refused(code, fn, *args, **kw):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code, exc.value.as_dict()


def test_the_only_approver_submitting_passes_the_step_to_their_superior_and_the_timeline_says_so(team):
    flow(team, [{"name": "经理审批", "approvers": [{"type": "user", "user": team.wang.pk}]}])
    doc = team.write_off(by=team.wang)
    assert approvers(doc) == {"boss": "substitute:superior"}
    refused("workflow.not_approver", wf.act, doc, by=team.wang, action="approve")
    note = Decision.objects.get(approval__document=doc, decision=Decision.Kind.REASSIGN)
    assert note.user_id is None and "wang" in note.comment and "boss" in note.comment
    lane = selectors.timeline(doc)["approvals"][0]["steps"][0]
    assert [d["decision"] for d in lane["decisions"]] == ["reassign"]
    assert wf.act(doc, by=team.boss, action="approve").status == Status.APPROVED
    # posting is not an approval: the creator posts their own approved write-off
    assert docs.post_document(doc, by=team.wang).status == Status.POSTED
    assert_ledger_consistent()


def test_the_requester_among_several_approvers_is_left_out(team):
    flow(team, [{"name": "经理审批", "approvers": [{"type": "role", "role": Role.MANAGER}]}])
    doc = team.write_off(by=team.wang)
    assert set(approvers(doc)) == {"li", "zhou"}
    assert not Decision.objects.filter(approval__document=doc, decision=Decision.Kind.REASSIGN).exists()
    assert all(row["document"]["id"] != doc.pk for row in selectors.waiting_for(team.wang))


def test_without_a_superior_the_steps_deputy_stands_in(team):
    flow(team, [{"name": "总经理审批", "approvers": [{"type": "user", "user": team.boss.pk}], "time_limit_hours": 4,
                 "escalation": {"rule": "deputy", "deputy": team.li.pk}}])
    doc = team.write_off(by=team.boss)  # the boss has no superior
    assert approvers(doc) == {"li": "substitute:deputy"}


def test_nobody_to_stand_in_refuses_the_submission_with_a_clear_reason(team):
    flow(team, [{"name": "总经理审批", "approvers": [{"type": "user", "user": team.boss.pk}]}])
    draft = team.write_off(by=team.boss, submit=False)
    refused("workflow.no_other_approver", docs.submit_document, draft, by=team.boss)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_flow_may_allow_self_approval(team):
    flow(team, [{"name": "经理审批", "approvers": [{"type": "user", "user": team.wang.pk}]}], allow_self_approval=True)
    doc = team.write_off(by=team.wang)
    assert approvers(doc) == {"wang": "user"}
    assert wf.act(doc, by=team.wang, action="approve").status == Status.APPROVED


def test_whoever_decided_a_step_is_left_out_of_the_next(team):
    flow(team, [
        {"name": "经理初审", "approvers": [{"type": "role", "role": Role.MANAGER}]},
        {"name": "经理复核", "approvers": [{"type": "user", "user": team.wang.pk},
                                          {"type": "user", "user": team.li.pk}]},
    ])
    doc = team.write_off()  # by the keeper
    wf.act(doc, by=team.wang, action="approve")
    assert set(approvers(doc, 1)) == {"li"}
    refused("workflow.not_approver", wf.act, doc, by=team.wang, action="approve")
    assert wf.act(doc, by=team.li, action="approve").status == Status.APPROVED


def test_when_the_earlier_decider_was_the_only_approver_their_superior_decides_the_next_step(team):
    flow(team, [
        {"name": "主管", "approvers": [{"type": "user", "user": team.wang.pk}]},
        {"name": "复核", "approvers": [{"type": "user", "user": team.wang.pk}]},
    ])
    doc = team.write_off()
    wf.act(doc, by=team.wang, action="approve")
    assert approvers(doc, 1) == {"boss": "substitute:approver_superior"}
    assert "boss" in Decision.objects.get(approval__document=doc, decision=Decision.Kind.REASSIGN).comment
    assert wf.act(doc, by=team.boss, action="approve").status == Status.APPROVED


def test_a_flow_may_let_one_person_decide_several_steps(team):
    flow(team, [
        {"name": "主管", "approvers": [{"type": "user", "user": team.wang.pk}]},
        {"name": "复核", "approvers": [{"type": "user", "user": team.wang.pk}]},
    ], allow_same_approver=True)
    doc = team.write_off()
    wf.act(doc, by=team.wang, action="approve")
    assert wf.act(doc, by=team.wang, action="approve").status == Status.APPROVED


def test_the_requester_cannot_approve_as_a_delegate(team, frozen):
    flow(team, [{"name": "经理审批", "approvers": [{"type": "user", "user": team.li.pk}]}])
    wf.create_delegation(by=team.li, delegate=team.keeper, starts_at=at(23, 9), ends_at=at(25, 18))
    doc = team.write_off()  # by the keeper, who stands in for li this week
    refused("workflow.own_document", wf.act, doc, by=team.keeper, action="approve")


def test_the_api_sets_and_shows_the_flow_settings(team):
    boss = Api(team.boss)
    r = boss.post("/workflow/flows", {"name": "报损审批", "kind": "write_off", "steps": [
        {"name": "经理审批", "approvers": [{"type": "role", "role": "manager"}]}]})
    assert r.status_code == 201 and r.json()["allow_self_approval"] is False and r.json()["allow_same_approver"] is False
    r = boss.patch(f"/workflow/flows/{r.json()['id']}", {"allow_self_approval": True, "allow_same_approver": True})
    assert r.status_code == 200 and r.json()["allow_self_approval"] is True and r.json()["allow_same_approver"] is True
