"""How one stock move shows in the facts: its legs (in at one warehouse, out at another) and their flow.

Pure functions over plain values. A move between a stocked location and a virtual one has one leg, at the
stocked location's warehouse, whose flow is named by the virtual location's kind (customer → sale, supplier →
purchase, …). A move between two warehouses (through in-transit) has an out leg and an in leg, both transfer; a
move inside one warehouse has two internal legs that cancel. A cost-only move (quantity 0) is an adjustment.

A reversal (a void) is entered as the negative of what it reverses: a reversed sale lowers "out, sale" on the day
of the void rather than showing as a return, so returns stay returns and net figures stay right.
"""

from __future__ import annotations

from dataclasses import dataclass

from openjxc.reports.models import Flow
from openjxc.stock.models import STOCKED_KINDS, LocationKind

FLOW_OF_KIND = {
    LocationKind.SUPPLIER: Flow.PURCHASE,
    LocationKind.CUSTOMER: Flow.SALE,
    LocationKind.TRANSIT: Flow.TRANSFER,
    LocationKind.PRODUCTION: Flow.PRODUCTION,
    LocationKind.COUNT: Flow.COUNT,
    LocationKind.GAIN: Flow.GAIN,
    LocationKind.SCRAP: Flow.WRITE_OFF,
    LocationKind.OPENING: Flow.OPENING,
    LocationKind.OTHER: Flow.OTHER,
    LocationKind.ADJUSTMENT: Flow.ADJUSTMENT,
}


@dataclass(frozen=True, slots=True)
class Place:
    """What the facts need of a location."""

    kind: str
    warehouse_id: int | None

    @property
    def stocked(self) -> bool:
        return self.kind in STOCKED_KINDS


@dataclass(frozen=True, slots=True)
class Leg:
    warehouse_id: int
    flow: int
    inbound: bool
    qty: int  # scaled, signed: a reversal's legs are negative
    value: int
    counterpart: str  # the other location's kind


def legs_of(frm: Place, to: Place, qty: int, value: int, *, is_adjustment: bool, is_reversal: bool) -> list[Leg]:
    """The legs of one move of `qty` (scaled) worth `value` (scaled) from `frm` to `to`."""
    out: list[Leg] = []
    if frm.stocked and to.stocked:
        flow = Flow.INTERNAL if frm.warehouse_id == to.warehouse_id else Flow.TRANSFER
        if is_adjustment:
            flow = Flow.ADJUSTMENT
        out.append(Leg(frm.warehouse_id, flow, False, qty, value, to.kind))
        out.append(Leg(to.warehouse_id, flow, True, qty, value, frm.kind))
    elif frm.stocked:
        flow = Flow.ADJUSTMENT if is_adjustment else FLOW_OF_KIND.get(to.kind, Flow.OTHER)
        out.append(Leg(frm.warehouse_id, flow, False, qty, value, to.kind))
    elif to.stocked:
        flow = Flow.ADJUSTMENT if is_adjustment else FLOW_OF_KIND.get(frm.kind, Flow.OTHER)
        out.append(Leg(to.warehouse_id, flow, True, qty, value, frm.kind))
    if is_reversal:  # the negative of the original's leg: same direction as the original, minus
        out = [Leg(g.warehouse_id, g.flow, not g.inbound, -g.qty, -g.value, g.counterpart) for g in out]
    return out


def is_customer(leg: Leg) -> bool:
    return leg.counterpart == LocationKind.CUSTOMER
