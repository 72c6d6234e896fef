"""What a document kind is: a small declaration plus pure functions from lines to planned moves (and values).

Everything that differs between kinds is said here, on the kind, so the document services never ask
"is this a transfer-in?": where its goods come from and go to (`plan`), who its partner is, what it is
made from (`sources`, 下推) and how, what fulfils or returns it, which warehouse a follow-up takes, and
how its incoming lines are valued from what its source consumed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from openjxc.core.quantities import ZERO, money
from openjxc.stock.models import Location
from openjxc.stock.posting import PlannedMove


@dataclass(frozen=True)
class Places:
    """The locations a kind's moves may use, resolved for one document before planning."""

    virtual: dict[str, Location]  # by LocationKind: supplier, customer, scrap, gain, transit, ...
    default: Callable  # warehouse -> its default storage location


@dataclass(frozen=True)
class SourceLeft:
    """What posted documents of one kind have not yet taken of their source, read under the source's lock."""

    lines: dict[int, tuple[Decimal, Decimal]]  # per source line: (quantity left, cost value left)
    value: Decimal | None  # the source's posted cost not yet taken; None when it moved no stock (trading mode)
    number: str = ""  # the source's number, for refusals


@dataclass(frozen=True)
class Kind:
    code: str
    prefix: str
    label: object  # lazy translated name
    plan: Callable[[object, list, Places], list[PlannedMove]]
    partner_role: str | None = None  # "supplier" / "customer": the partner is required and must play it
    sources: tuple[str, ...] = ()  # kinds it can be created from (下推)
    source_required: bool = False  # every line must point at a line of its source (returns, transfer-in, bills)
    needs_source: bool = False  # always made from a source, with lines of its own (finished goods from an issue)
    copies_source_lines: bool = True  # a 下推 draft copies what is left on the source's lines
    fulfilled_by: str | None = None  # orders: the kind that fulfils it (purchase order -> purchase receipt)
    returned_by: str | None = None  # the kind that returns it (purchase receipt -> purchase return)
    source_warehouse: str = "warehouse"  # the source's warehouse a follow-up takes: "to_warehouse" = transit leg in
    value_from_source: Callable[[object, list, SourceLeft], None] | None = None  # sets lines' `source_value`
    needs_to_warehouse: bool = False
    price_default: str | None = None  # "purchase_price" / "sale_price": the item's default unit price
    inbound: bool = False  # brings goods into the warehouse: lot-tracked lines need lot codes
    create_roles: frozenset = field(default_factory=lambda: frozenset({"*"}))
    price_list: bool = False  # a line without a price takes the customer's price-list price (quotes, orders)
    check: Callable[[object], None] | None = None  # refuses a header this kind cannot take, before any write


def line_location(line, doc, places: Places) -> Location:
    return line.location or places.default(doc.warehouse)


def share_of_source_cost(line) -> Decimal:
    """Value of a return or transfer-in line at the cost its source line was posted at."""
    fixed = getattr(line, "source_value", None)  # set at posting by the kind's value_from_source
    if fixed is not None:
        return fixed
    src = line.source_line
    return money(src.cost_amount * line.quantity / src.quantity)


def value_by_source_line(doc, lines: list, left: SourceLeft) -> None:
    """Each line takes its share of its source line's posted cost; the part that takes the last of a source
    line takes whatever value is left of it, so three returns of a third give back exactly 10.00."""
    running: dict[int, tuple[Decimal, Decimal]] = {}
    for ln in lines:
        ln.source_value = None
        if ln.source_line.cost_amount is None:  # the source moved no stock (trading mode): no cost to share
            continue
        done_qty, done_value = running.get(ln.source_line_id, (ZERO, ZERO))
        left_qty, left_value = left.lines[ln.source_line_id]
        if done_qty + ln.quantity == left_qty:
            ln.source_value = left_value - done_value
        value = ln.source_value if ln.source_value is not None else share_of_source_cost(ln)
        running[ln.source_line_id] = (done_qty + ln.quantity, done_value + value)
