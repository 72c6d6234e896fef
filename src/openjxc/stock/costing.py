"""Moving weighted average (移动加权平均) per item per warehouse: pure arithmetic, no database.

A warehouse's state is its on-hand quantity Q, value V and last receipt cost. Issues take value
at the average V/Q (the whole remaining value when they empty the warehouse); receipts add their
own value. Negative stock, where a location allows it, is issued at the last cost, and the receipt
that repairs it is valued at its own cost with an explicit adjustment for the difference, so the
ledger always sums to the balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openjxc.core.quantities import ZERO, cost, money


@dataclass
class CostState:
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    last_cost: Decimal = ZERO

    @property
    def average(self) -> Decimal:
        if self.quantity > 0:
            return cost(self.value / self.quantity)
        return self.last_cost


def issue_value(state: CostState, quantity: Decimal) -> Decimal:
    """Value that leaves the warehouse when `quantity` is issued at the moving average."""
    q, v = state.quantity, state.value
    if q > 0 and quantity == q:
        return v  # empty the warehouse exactly: no rounding residue is left behind
    if q > 0 and quantity < q:
        return money(quantity * v / q)
    if q > 0:  # more than on hand (negative allowed): what is there at its value, the rest at last cost
        return v + money((quantity - q) * (state.last_cost or cost(v / q)))
    return money(quantity * state.last_cost)


def apply_issue(state: CostState, quantity: Decimal, value: Decimal) -> None:
    state.quantity -= quantity
    state.value -= value


def apply_receipt(state: CostState, quantity: Decimal, value: Decimal, *, sets_last_cost: bool) -> Decimal:
    """Add a receipt; return the value adjustment needed when it repairs negative stock (else 0)."""
    adjustment = ZERO
    if quantity > 0 and sets_last_cost:
        state.last_cost = cost(value / quantity)
    if state.quantity < 0 and quantity > 0:
        # Stock was negative and issued at the last cost: revalue what is left at this receipt's cost.
        new_quantity = state.quantity + quantity
        target = money(new_quantity * cost(value / quantity))
        adjustment = target - (state.value + value)
    state.quantity += quantity
    state.value += value + adjustment
    return adjustment


def residue(state: CostState) -> Decimal:
    """Value left over when the quantity is zero (after fixed-cost returns); to be cleared."""
    return state.value if state.quantity == 0 and state.value != 0 else ZERO
