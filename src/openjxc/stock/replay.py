"""Replaying one item's moving average in one warehouse in business-date order: pure, no database.

The ledger of an item in a warehouse, read in (business date, id) order, determines every value that
posting derived from the running state: what an issue took at the moving average, what a return or a
transfer-in took from its source, what a reversal gave back, the revaluation posted when negative stock
was repaired and the rounding residue cleared when the stock reached zero. `replay` recomputes those
values and says where the stored ones differ; re-costing (stock/recost.py) posts the differences as
corrections, the ledger check (stock/ledger.py) reports them.

Vocabulary:
- a *primary* move is one a posting planned (or a reversal of one); `corrects` is empty.
- a *correction* points at the primary it corrects (`corrects`). An *own* correction goes the same way
  as its primary and changes the value the primary carried; a *state* correction comes from the cost
  adjustment location into the warehouse (negative stock repaired, residue cleared, or a later change
  of those). Both have quantity 0 and the business date, document and line of their primary.
- the *own value* of a move is its value plus its own corrections: what the goods carried.
- the *decider* of a primary is the warehouse whose state fixes its own value: the warehouse it leaves
  if it leaves one, else the warehouse it enters. The other side takes the value as it stands.

How each primary's own value is decided in its decider warehouse:
- a reversal: the own value of the move it reverses;
- a move that follows a source line (a return, a transfer-in): its share of the source's own value,
  the one that takes the last of the source taking whatever is left (as documents._check_remaining);
- any other move leaving the warehouse: the moving average (stock/costing.issue_value), except while
  the item has no cost history at all, where the value posting chose (the fallback cost) stands;
- any other move entering the warehouse: its own value as posted (receipts keep their price).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from openjxc.core.quantities import ZERO, money
from openjxc.stock.costing import CostState, apply_issue, apply_receipt, has_history, issue_value, residue


@dataclass(slots=True)
class Row:
    """A stock move as the replay reads it."""

    id: int
    business_on: dt.date
    from_id: int
    to_id: int
    lot_id: int | None
    quantity: Decimal
    value: Decimal
    reverses_id: int | None
    corrects_id: int | None
    is_adjustment: bool
    line_id: int | None
    document_id: int | None
    item_id: int = 0

    @property
    def key(self) -> tuple[dt.date, int]:
        return (self.business_on, self.id)


@dataclass
class Primary:
    """A primary move with the corrections that belong to it."""

    row: Row
    own: list[Row] = field(default_factory=list)  # own corrections
    state: list[Row] = field(default_factory=list)  # state corrections (and legacy adjustments)

    @property
    def stored_own(self) -> Decimal:
        return self.row.value + sum((c.value for c in self.own), ZERO)


@dataclass
class Difference:
    """A stored value that differs from the replay: post `delta` as a correction of `primary`."""

    primary: Row
    kind: str  # "own" (same way as the primary) or "state" (from the adjustment location to `location`)
    location: int
    delta: Decimal
    expected: Decimal
    stored: Decimal


@dataclass
class Outcome:
    state: CostState
    differences: list[Difference] = field(default_factory=list)
    decided: dict[int, Decimal] = field(default_factory=dict)  # primary id -> own value decided here


def group(rows: list[Row], adjustment_location: int) -> list[Primary]:
    """The primaries of `rows` (in the order given) with their corrections attached.

    An adjustment written before corrections pointed at their primary (is_adjustment, no `corrects`,
    no `reverses`) belongs to the latest earlier primary of the same document line."""
    primaries: dict[int, Primary] = {}
    order: list[Primary] = []
    last_of_line: dict[tuple, Primary] = {}
    for r in rows:
        if r.corrects_id is not None:
            p = primaries.get(r.corrects_id)
            if p is None:
                continue  # its primary lies outside what was read (another warehouse's side)
            same_way = r.from_id == p.row.from_id and r.to_id == p.row.to_id
            (p.own if same_way else p.state).append(r)
            continue
        if r.is_adjustment and r.reverses_id is None and r.from_id == adjustment_location:
            p = last_of_line.get((r.document_id, r.line_id))
            if p is not None:
                p.state.append(r)
                continue
        p = Primary(r)
        primaries[r.id] = p
        order.append(p)
        last_of_line[(r.document_id, r.line_id)] = p
    return order


@dataclass
class Links:
    """What the replay needs to know about moves beyond one warehouse's sequence.

    `own`: move id -> own value (every move the replay may look up; updated as values are decided).
    `source_of`: primary id -> (source primary ids, sibling primary ids in id order) for a move that
    follows a source line. `reversed_at`: primary id -> id of the move that reversed it."""

    own: dict[int, Decimal] = field(default_factory=dict)
    quantity: dict[int, Decimal] = field(default_factory=dict)
    source_of: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict)
    reversed_at: dict[int, int] = field(default_factory=dict)


def linked_value(move_id: int, quantity: Decimal, links: Links) -> Decimal:
    """The own value of a move that follows a source line, as it was (or would have been) posted.

    Its share of the source's own value; the one that took the last of the source takes what the
    others left, counting the siblings posted before it and not yet reversed when it was posted."""
    sources, siblings = links.source_of[move_id]
    source_qty = sum((links.quantity[s] for s in sources), ZERO)
    source_own = sum((links.own[s] for s in sources), ZERO)
    if not source_qty:
        return ZERO
    taken_qty, taken_value = ZERO, ZERO
    for s in siblings:
        if s >= move_id:
            break
        if links.reversed_at.get(s, move_id + 1) < move_id:
            continue  # voided before this one was posted: it had given its share back
        taken_qty += links.quantity[s]
        taken_value += links.own[s]
    if taken_qty + quantity == source_qty:
        return source_own - taken_value
    return money(source_own * quantity / source_qty)


def decider(row: Row, warehouse_of: Callable[[int], int | None]) -> int | None:
    """The warehouse whose state decides the move's own value."""
    leaves = warehouse_of(row.from_id)
    return leaves if leaves is not None else warehouse_of(row.to_id)


def replay(
    primaries: list[Primary],
    state: CostState,
    *,
    locations: set[int],
    warehouse_id: int,
    warehouse_of: Callable[[int], int | None],
    links: Links,
    follow_stored: bool = False,
) -> Outcome:
    """Replay `primaries` (one item, in business-date order) through the warehouse's state.

    Every difference between the stored and the replayed values is returned. With `follow_stored`
    (the ledger check) the state goes on with the stored values, so one wrong value is reported
    once; otherwise (re-costing) with the replayed ones, and `links.own` learns each decided value."""
    out = Outcome(state)
    for p in primaries:
        r = p.row
        leaves, enters = r.from_id in locations, r.to_id in locations
        stored = p.stored_own
        value = stored
        if decider(r, warehouse_of) == warehouse_id:
            if r.reverses_id is not None:
                value = links.own.get(r.reverses_id, stored)
            elif r.id in links.source_of:
                value = linked_value(r.id, r.quantity, links)
            elif leaves and has_history(state):
                value = issue_value(state, r.quantity)
            if value != stored:
                out.differences.append(Difference(r, "own", r.from_id, value - stored, value, stored))
                if follow_stored:
                    value = stored
            if not follow_stored:
                links.own[r.id] = value
                out.decided[r.id] = value
        expected_state: dict[int, Decimal] = {}
        if leaves:
            apply_issue(state, r.quantity, value)
        if enters:
            repair = apply_receipt(state, r.quantity, value,
                                   sets_last_cost=not leaves and r.reverses_id is None and r.quantity > 0)
            if repair and r.reverses_id is None:
                expected_state[r.to_id] = repair
            elif repair:
                state.value -= repair  # a reversal restores exactly what was there
        left = residue(state)
        if left:
            at = r.from_id if leaves else r.to_id
            expected_state[at] = expected_state.get(at, ZERO) - left
            state.value -= left
        stored_state: dict[int, Decimal] = {}
        for c in p.state:
            if c.to_id in locations:
                stored_state[c.to_id] = stored_state.get(c.to_id, ZERO) + c.value
        for loc in expected_state.keys() | stored_state.keys():
            want, have = expected_state.get(loc, ZERO), stored_state.get(loc, ZERO)
            if want != have:
                out.differences.append(Difference(r, "state", loc, want - have, want, have))
                if follow_stored:
                    state.value += have - want
    return out
