"""The amount at cost of stock documents (报损, 报溢, 调拨, 其他出入库, 盘点), which have no selling price.

While a document is a draft or submitted, its amount is an estimate: what posting would value its lines at
now, by the same rules as `stock/posting.py` (the warehouse's moving average, the fallback cost of an item
without history, a fixed value where the kind gives one: a gain's price, a transfer-in's share of what left).
It is computed when the lines are saved and again on submit (approval conditions read it then). Once posted,
the amount is the value of the document's moves (documents/posting.py sets it from the posting's result).
"""

from __future__ import annotations

from decimal import Decimal

from openjxc.core.quantities import ZERO, money
from openjxc.documents.kinds import get_kind
from openjxc.documents.models import VALUED_AT_COST, Document, DocumentLine
from openjxc.documents.posting import lines_for_posting, places_of
from openjxc.stock.costing import CostState, apply_issue, fallback_cost, has_history, issue_value
from openjxc.stock.models import ItemValuation


def is_valued_at_cost(doc: Document) -> bool:
    return doc.kind in VALUED_AT_COST


def estimate_cost(doc: Document, lines: list[DocumentLine]) -> Decimal:
    """What posting `doc` would move in value now: its lines planned as posting plans them, valued at the
    warehouses' current averages (one query for the valuations, one or two for the locations)."""
    planned = get_kind(doc.kind).plan(doc, lines, places_of(doc))
    keys = set()
    for p in planned:
        for loc in (p.from_location, p.to_location):
            if loc.is_stocked:
                keys.add((p.item.pk, loc.warehouse_id))
    states = {(i, w): CostState() for i, w in keys}
    if keys:
        rows = ItemValuation.objects.filter(item_id__in={i for i, _w in keys},
                                            warehouse_id__in={w for _i, w in keys})
        for v in rows.only("item_id", "warehouse_id", "quantity", "value", "last_cost"):
            if (v.item_id, v.warehouse_id) in states:
                states[(v.item_id, v.warehouse_id)] = CostState(v.quantity, v.value, v.last_cost)
    total = ZERO
    for p in planned:
        frm, to = p.from_location, p.to_location
        if p.value is not None:
            value = money(p.value)
        elif frm.is_stocked:
            state = states[(p.item.pk, frm.warehouse_id)]
            value = issue_value(state, p.quantity, fallback_cost(p.item))
            apply_issue(state, p.quantity, value)  # a second line of the item issues at what is left
        elif p.unit_cost is not None:
            value = money(p.quantity * p.unit_cost)
        elif to.is_stocked:
            state = states[(p.item.pk, to.warehouse_id)]
            value = money(p.quantity * (state.average if has_history(state) else fallback_cost(p.item)))
        else:
            value = ZERO
        total += value
    return total


def refresh_estimate(doc: Document, lines: list[DocumentLine] | None = None) -> bool:
    """Set the unsaved `doc.cost_total` to its estimate when it is a stock document valued at cost;
    True when it did (the caller saves the field)."""
    if not is_valued_at_cost(doc):
        return False
    if lines is None:
        lines = lines_for_posting(doc)
    doc.cost_total = estimate_cost(doc, lines)
    return True
