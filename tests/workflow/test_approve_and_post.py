"""A flow step "approve and post" (issue 13, item 15): a two-level write-off needs no third visit to post."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.core.errors import DomainError
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.stock.models import StockMove
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, ApprovalState
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def two_levels(second_approver: dict, **extra):
    return [
        {"name": "仓库主管", "approvers": [{"type": "warehouse_manager"}]},
        {"name": "复核", "approvers": [second_approver], "post_on_approve": True, **extra},
    ]


def test_the_last_approval_of_an_approve_and_post_step_posts_the_write_off_in_the_same_request(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=two_levels({"type": "role", "role": "admin"}))
    doc = team.write_off("10")
    wf.act(doc, by=team.wang, action="approve")
    assert Document.objects.get(pk=doc.pk).status == Status.SUBMITTED
    r = Api(team.boss).post(f"/workflow/documents/{doc.pk}/approve", {"comment": "同意"})
    assert r.status_code == 200 and r.json()["status"] == Status.POSTED
    doc.refresh_from_db()
    assert doc.posted_by_id == team.boss.pk and doc.approved_by_id == team.boss.pk
    assert StockMove.objects.filter(document=doc).count() == 1 and doc.cost_total == Decimal("50.00")
    assert_ledger_consistent()


def test_an_approver_who_may_not_post_leaves_it_approved_for_the_keeper(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off",
                   steps=two_levels({"type": "role", "role": "finance"}))
    doc = team.write_off("10")
    wf.act(doc, by=team.wang, action="approve")
    doc = wf.act(doc, by=team.finance, action="approve")  # finance may not post
    assert doc.status == Status.APPROVED and not StockMove.objects.filter(document=doc).exists()
    assert docs.post_document(doc, by=team.keeper).status == Status.POSTED


def test_a_posting_refusal_refuses_the_approval_and_writes_nothing(team):
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "复核", "approvers": [{"type": "role", "role": "admin"}], "post_on_approve": True}])
    doc = docs.submit_document(docs.create_document(
        by=team.keeper, kind="write_off", warehouse=team.shop.main,
        lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("500"))]), by=team.keeper)  # 100 on hand
    with pytest.raises(DomainError) as exc:
        wf.act(doc, by=team.boss, action="approve")
    assert exc.value.code == "stock.insufficient"
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    assert Approval.objects.get(document=doc).state == ApprovalState.PENDING


def test_the_option_is_kept_by_the_flow_and_refused_when_not_a_yes_or_no(team):
    flow = wf.create_flow(by=team.boss, name="报损审批", kind="write_off",
                          steps=two_levels({"type": "role", "role": "admin"}))
    assert [s.get("post_on_approve", False) for s in wf.latest_version(flow).steps] == [False, True]
    with pytest.raises(DomainError) as exc:
        wf.update_flow(flow, by=team.boss, steps=two_levels({"type": "role", "role": "admin"})[:1] + [
            {"name": "复核", "approvers": [{"type": "role", "role": "admin"}], "post_on_approve": "yes"}])
    assert exc.value.as_dict()["data"]["field"] == "steps[2].post_on_approve"
