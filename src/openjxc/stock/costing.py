"""Moving weighted average (移动加权平均) per item per warehouse: pure arithmetic, no database.

A warehouse's state is its on-hand quantity Q, value V and last receipt cost. Issues take value
at the average V/Q (the whole remaining value when they empty the warehouse); receipts add their
own value. Negative stock, where a location allows it, is issued at the last cost, and the receipt
that repairs it is valued at its own cost with an explicit adjustment for the difference, so the
ledger always sums to the balances.

An item without any cost history (never received here, no last cost) is issued at its fallback
cost: the standard cost, else the purchase price, else zero (`fallback_cost`; zero raises the
"costed at zero" alert). Posting (stock/posting.py) and re-costing (stock/recost.py) use these same
functions, so a replay of the ledger in business-date order reproduces what posting wrote.
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


def fallback_cost(item) -> Decimal:
    """What an item without cost history is issued at: its standard cost, else its purchase price, else 0."""
    for candidate in (getattr(item, "standard_cost", None), getattr(item, "purchase_price", None)):
        if candidate:
            return cost(candidate)
    return ZERO


def has_history(state: CostState) -> bool:
    """Whether the state can cost an issue by itself (stock on hand, or a last cost)."""
    return state.quantity > 0 or state.last_cost != 0


def issue_value(state: CostState, quantity: Decimal, fallback: Decimal = ZERO) -> Decimal:
    """Value that leaves the warehouse when `quantity` is issued at the moving average.

    `fallback` is the unit cost used when the state has no cost history at all (fallback_cost)."""
    q, v = state.quantity, state.value
    if q > 0 and quantity == q:
        return v  # empty the warehouse exactly: no rounding residue is left behind
    if q > 0 and quantity < q:
        return money(quantity * v / q)
    if q > 0:  # more than on hand (negative allowed): what is there at its value, the rest at last cost
        return v + money((quantity - q) * (state.last_cost or cost(v / q)))
    return money(quantity * (state.last_cost or fallback))


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
