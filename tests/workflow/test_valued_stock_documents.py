"""Stock documents carry their value at cost (issue 13, item 3): estimated while draft / submitted, the moves'
value once posted, and approval conditions on `amount` see it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.stock.models import StockMove
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db

D = Decimal
BIG_WRITE_OFFS = [
    {"name": "仓库主管", "approvers": [{"type": "warehouse_manager"}]},
    {"name": "总经理", "approvers": [{"type": "role", "role": Role.ADMIN}],
     "condition": {"field": "amount", "op": ">", "value": "500"}},
]


@pytest.fixture
def average_ten(team):
    """100 @ 5 (the team's) + 100 @ 15: 200 on hand at an average cost of 10."""
    team.shop.receive(team.shop.flour, 100, "15.00")
    return team


def write_off(team, quantity, *, by=None):
    return docs.create_document(by=by or team.keeper, kind="write_off", warehouse=team.shop.main,
                                lines=[LineInput(item=team.shop.flour.pk, quantity=D(quantity))])


def test_a_draft_write_off_is_valued_at_the_current_average_cost(average_ten):
    doc = write_off(average_ten, "60")
    assert doc.total_with_tax == 0  # no selling price
    assert doc.cost_total == D("600.00") and doc.amount == D("600.00")
    doc = docs.update_document(doc, by=average_ten.keeper, lines=[LineInput(item=average_ten.shop.flour.pk,
                                                                            quantity=D("30"))])
    assert doc.cost_total == D("300.00")  # recomputed when the lines are saved


def test_a_write_off_over_500_at_cost_goes_to_the_general_manager(average_ten):
    team = average_ten
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=BIG_WRITE_OFFS)
    big = docs.submit_document(write_off(team, "60"), by=team.keeper)
    small = docs.submit_document(write_off(team, "50"), by=team.keeper)  # 500: not more than 500
    steps = {d.number: [s.name for s in Approval.objects.get(document=d).steps.order_by("position")]
             for d in (big, small)}
    assert steps == {big.number: ["仓库主管", "总经理"], small.number: ["仓库主管"]}
    wf.act(big, by=team.wang, action="approve")
    doc = wf.act(big, by=team.boss, action="approve")
    assert doc.status == "approved"
    doc = docs.post_document(doc, by=team.keeper)
    moved = StockMove.objects.filter(document=doc, is_adjustment=False).aggregate(v=Sum("value"))["v"]
    assert doc.cost_total == moved == D("600.00")
    assert_ledger_consistent()


def test_the_posted_amount_is_the_moves_value_not_the_estimate(average_ten):
    team = average_ten
    doc = write_off(team, "60")
    assert doc.cost_total == D("600.00")
    team.shop.receive(team.shop.flour, 100, "40.00")  # the average moves to 20 before the write-off posts
    doc = docs.advance_document(doc, by=team.boss, to="posted")
    moved = StockMove.objects.filter(document=doc, is_adjustment=False).aggregate(v=Sum("value"))["v"]
    assert moved == D("1200.00") and doc.cost_total == moved


def test_transfers_gains_and_other_issues_carry_their_value(average_ten):
    team, shop = average_ten, average_ten.shop
    gain = docs.create_document(by=team.keeper, kind="gain", warehouse=shop.main,
                                lines=[LineInput(item=shop.flour.pk, quantity=D("3"))])
    priced_gain = docs.create_document(by=team.keeper, kind="gain", warehouse=shop.main,
                                       lines=[LineInput(item=shop.flour.pk, quantity=D("3"), unit_price=D("12"))])
    other_out = docs.create_document(by=team.keeper, kind="other_out", warehouse=shop.main,
                                     lines=[LineInput(item=shop.flour.pk, quantity=D("4"))])
    assert (gain.cost_total, priced_gain.cost_total, other_out.cost_total) == (D("30.00"), D("36.00"), D("40.00"))
    out = docs.create_document(by=team.boss, kind="transfer_out", warehouse=shop.main, to_warehouse=shop.second,
                               lines=[LineInput(item=shop.flour.pk, quantity=D("5"))])
    assert out.cost_total == D("50.00")
    out = docs.advance_document(out, by=team.boss, to="posted")
    arrive = docs.create_document(by=team.boss, kind="transfer_in", source=out,
                                  lines=[LineInput(item=shop.flour.pk, quantity=D("2"),
                                                   source_line=out.lines.get().pk)])
    assert arrive.cost_total == D("20.00")  # its share of what left


def test_the_api_shows_the_amount_at_cost_to_those_who_see_costs(average_ten):
    team = average_ten
    doc = write_off(team, "60")
    body = Api(team.keeper).get(f"/documents/{doc.pk}").json()
    assert D(body["amount"]) == D(body["cost_total"]) == D("600")
    cashier = team.shop.user("cashier1", Role.CASHIER)
    body = Api(cashier).get(f"/documents/{doc.pk}").json()
    assert body["cost_total"] is None and body["amount"] is None  # costs are masked for a cashier
