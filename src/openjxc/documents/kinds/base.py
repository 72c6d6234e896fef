"""What a document kind is: a small declaration plus a pure function from lines to planned moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from openjxc.core.quantities import money
from openjxc.stock.models import Location
from openjxc.stock.posting import PlannedMove


@dataclass(frozen=True)
class Places:
    """The locations a kind's moves may use, resolved for one document before planning."""

    virtual: dict[str, Location]  # by LocationKind: supplier, customer, scrap, gain, transit, ...
    default: Callable  # warehouse -> its default storage location


@dataclass(frozen=True)
class Kind:
    code: str
    prefix: str
    label: object  # lazy translated name
    plan: Callable[[object, list, Places], list[PlannedMove]]
    partner_role: str | None = None  # "supplier" / "customer": the partner is required and must play it
    sources: tuple[str, ...] = ()  # kinds it can be created from (下推)
    source_required: bool = False  # every line must point at a source line (returns, transfer-in)
    needs_to_warehouse: bool = False
    price_default: str | None = None  # "purchase_price" / "sale_price": the item's default unit price
    inbound: bool = False  # brings goods into the warehouse: lot-tracked lines need lot codes
    create_roles: frozenset = field(default_factory=lambda: frozenset({"*"}))
    price_list: bool = False  # a line without a price takes the customer's price-list price (quotes, orders)


def line_location(line, doc, places: Places) -> Location:
    return line.location or places.default(doc.warehouse)


def share_of_source_cost(line) -> Decimal:
    """Value of a return or transfer-in line at the cost its source line was posted at."""
    fixed = getattr(line, "source_value", None)  # set by the posting service for the part that takes the rest
    if fixed is not None:
        return fixed
    src = line.source_line
    return money(src.cost_amount * line.quantity / src.quantity)
