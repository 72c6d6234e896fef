"""Moving weighted average (移动加权平均) arithmetic: pure unit tests of stock/costing.py, no database."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from openjxc.stock.costing import CostState, apply_issue, apply_receipt, issue_value, residue


def receive(state, quantity, unit_cost):
    q, c = D(quantity), D(unit_cost)
    return apply_receipt(state, q, (q * c).quantize(D("0.01")), sets_last_cost=True)


def issue(state, quantity):
    q = D(quantity)
    value = issue_value(state, q)
    apply_issue(state, q, value)
    return value


def test_average_of_two_receipts():
    s = CostState()
    assert receive(s, "10", "5.00") == 0
    assert receive(s, "10", "7.00") == 0
    assert (s.quantity, s.value) == (D("20"), D("120.00"))
    assert s.average == D("6.000000")
    assert s.last_cost == D("7.000000")


def test_issue_takes_the_average_and_keeps_it():
    s = CostState()
    receive(s, "10", "5.00")
    receive(s, "10", "7.00")
    assert issue(s, "5") == D("30.00")
    assert (s.quantity, s.value) == (D("15"), D("90.00"))
    assert s.average == D("6.000000")


def test_issue_rounds_half_up_to_cents():
    s = CostState()
    receive(s, "3", "1.00")  # 3.00 for 3: average 1
    receive(s, "3", "1.01")  # +3.03: 6.03 for 6, average 1.005
    assert issue(s, "1") == D("1.01")  # 1.005 rounds half up
    assert s.value == D("5.02")


def test_emptying_the_warehouse_takes_the_whole_value_without_residue():
    s = CostState()
    receive(s, "3", "1.00")
    receive(s, "3", "1.01")
    taken = [issue(s, "1") for _ in range(5)] + [issue(s, "1")]
    assert sum(taken) == D("6.03")
    assert (s.quantity, s.value) == (0, 0)


def test_issue_when_empty_is_at_last_cost():
    s = CostState(last_cost=D("4.5"))
    assert issue_value(s, D("2")) == D("9.00")


def test_issue_beyond_stock_values_the_missing_part_at_last_cost():
    s = CostState()
    receive(s, "2", "5.00")
    receive(s, "2", "7.00")  # 4 for 24.00, last cost 7
    value = issue(s, "6")
    assert value == D("24.00") + D("14.00")
    assert (s.quantity, s.value) == (D("-2"), D("-14.00"))


def test_receipt_repairing_negative_stock_revalues_what_is_left_at_its_own_cost():
    s = CostState(last_cost=D("5"))
    issue(s, "4")  # -4 at 5: value -20
    adjustment = receive(s, "10", "6.00")  # 60.00 in; 6 left must be worth 36.00
    assert adjustment == D("36.00") - (D("-20.00") + D("60.00"))
    assert (s.quantity, s.value) == (D("6"), D("36.00"))
    assert s.last_cost == D("6.000000")


def test_receipt_that_does_not_cover_negative_stock_leaves_it_valued_at_the_new_cost():
    s = CostState(last_cost=D("5"))
    issue(s, "10")  # -10, -50
    adjustment = receive(s, "4", "6.00")  # -6 left, valued at 6: -36
    assert s.quantity == D("-6")
    assert s.value == D("-36.00")
    assert adjustment == D("-36.00") - (D("-50.00") + D("24.00"))


def test_receipt_without_setting_last_cost_keeps_it():
    s = CostState(last_cost=D("5"))
    apply_receipt(s, D("1"), D("9.00"), sets_last_cost=False)
    assert s.last_cost == D("5")


def test_average_falls_back_to_last_cost_when_nothing_is_on_hand():
    assert CostState(last_cost=D("3.3")).average == D("3.3")
    assert CostState(quantity=D("-1"), value=D("-3"), last_cost=D("3.3")).average == D("3.3")


def test_residue_is_the_value_left_without_quantity():
    assert residue(CostState(quantity=D("0"), value=D("0.01"))) == D("0.01")
    assert residue(CostState(quantity=D("1"), value=D("0.01"))) == 0
    assert residue(CostState()) == 0


@given(
    receipts=st.lists(
        st.tuples(st.integers(1, 50), st.decimals("0.01", "99.99", places=2)), min_size=1, max_size=8
    ),
    splits=st.lists(st.integers(1, 50), max_size=10),
)
def test_issuing_everything_takes_exactly_the_value_received(receipts, splits):
    """Whatever the order of issues, emptying the warehouse takes out exactly what came in."""
    s = CostState()
    received = D(0)
    for q, c in receipts:
        receive(s, q, c)
        received += (D(q) * c).quantize(D("0.01"))
    taken = D(0)
    for q in splits:
        if D(q) >= s.quantity:
            break
        taken += issue(s, q)
        assert s.value >= 0
    taken += issue(s, s.quantity)
    assert taken == received
    assert (s.quantity, s.value) == (0, 0)
