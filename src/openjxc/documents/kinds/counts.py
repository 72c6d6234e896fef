"""Stock count (盘点单): the adjustment a finished count posts, one line per difference.

A line's `location` is the counted storage location; `to_location` says where the goods end up:
the company's count-difference location (V-COUNT) for a shortage, the storage location for a
surplus. Shortages leave at the moving average; surpluses come in at the line's unit price, which
the counts app refreshes to the current average just before posting (counts/hooks.py).
Lines are made by `counts.services.create_count_document`, not typed in.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.stock.models import LocationKind as L
from openjxc.stock.posting import PlannedMove

from .base import Kind, Places, line_location
from .inventory import KEEPERS


def is_shortage(line, places: Places) -> bool:
    return line.to_location_id is not None and line.to_location_id == places.virtual[L.COUNT].pk


def plan_count(doc, lines, places: Places):
    counted = places.virtual[L.COUNT]
    out = []
    for ln in lines:
        shelf = line_location(ln, doc, places)
        if is_shortage(ln, places):
            out.append(PlannedMove(item=ln.item, quantity=ln.quantity, from_location=shelf, to_location=counted,
                                   lot=ln.lot, line=ln))
        else:
            out.append(PlannedMove(item=ln.item, quantity=ln.quantity, from_location=counted, to_location=shelf,
                                   lot=ln.lot, unit_cost=ln.unit_price, line=ln))
    return out


STOCK_COUNT = Kind(
    code="stock_count", prefix="PDD", label=_("Stock count"), plan=plan_count, create_roles=KEEPERS,
)
