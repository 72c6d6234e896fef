"""The evaluator that watches costing: goods issued at zero cost (issue 13 item 4).

Posting issues an item without any cost history (never received in the warehouse, no last cost) at its
standard cost, else its purchase price, else zero — and says so in its `stock.changed` event (`zero_cost`).
This evaluator reads the ledger for those zero-cost issues (the partial index `move_zero_cost` keeps it
cheap) and opens one alert per (item, warehouse) naming the documents, for as long as the item still has no
cost: no standard cost, no purchase price and no last cost in that warehouse. Giving the item a cost (or
receiving it with a price) clears the alert; so does voiding or re-costing every zero-cost issue.
"""

from __future__ import annotations

from django.db.models import Q

from openjxc.core.quantities import ZERO, qty
from openjxc.documents.models import Document
from openjxc.stock.models import STOCKED_KINDS, ItemValuation, StockMove

from ..rule_models import AlertKind
from . import Finding, Scope, quantity_text

DOCUMENTS_NAMED = 5  # the alert names the first few documents and counts the rest


def zero_cost(scope: Scope, params: dict) -> dict[str, Finding]:
    """(item, warehouse) pairs with goods issued at zero cost while the item still has no cost anywhere."""
    moves = (
        StockMove.objects.filter(company_id=scope.company_id, unit_cost=0, quantity__gt=0, value=0,
                                 from_location__kind__in=STOCKED_KINDS, reverses__isnull=True,
                                 corrects__isnull=True)
        .filter(Q(item__standard_cost__isnull=True) | Q(item__standard_cost=0), item__purchase_price=0)
        .filter(scope.item_filter()).filter(scope.warehouse_filter("from_location__warehouse_id"))
        .values_list("id", "item_id", "from_location__warehouse_id", "document_id", "quantity")
    )
    found = list(moves.order_by("id"))
    if not found:
        return {}
    ids = [m[0] for m in found]
    # a void gives the goods back at the same zero; a re-costing correction gives the issue a value
    settled_ids = set(StockMove.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))
    settled_ids |= set(StockMove.objects.filter(corrects_id__in=ids).exclude(value=0)
                       .values_list("corrects_id", flat=True))
    costed = set(ItemValuation.objects.filter(company_id=scope.company_id, item_id__in={m[1] for m in found},
                                              last_cost__gt=0).values_list("item_id", "warehouse_id"))
    per_pair: dict[tuple[int, int], dict] = {}
    for move_id, item_id, warehouse_id, document_id, quantity in found:
        if move_id in settled_ids or (item_id, warehouse_id) in costed:
            continue
        pair = per_pair.setdefault((item_id, warehouse_id), {"quantity": ZERO, "documents": []})
        pair["quantity"] += qty(quantity)
        if document_id is not None and document_id not in pair["documents"]:
            pair["documents"].append(document_id)
    numbers = dict(Document.objects.filter(pk__in={d for p in per_pair.values() for d in p["documents"]})
                   .values_list("pk", "number"))
    out = {}
    for (item_id, warehouse_id), pair in sorted(per_pair.items()):
        named = [numbers[d] for d in pair["documents"][:DOCUMENTS_NAMED] if d in numbers]
        more = len(pair["documents"]) - len(named)
        subject = f"iw:{item_id}:{warehouse_id}"
        out[subject] = Finding(subject, pair["quantity"], item_id=item_id, warehouse_id=warehouse_id, data={
            "quantity": quantity_text(pair["quantity"]),
            "documents": ", ".join(named) + (f" (+{more})" if more > 0 else ""),
            "document_ids": pair["documents"][:DOCUMENTS_NAMED],
        })
    return out


EVALUATORS = {AlertKind.ZERO_COST: zero_cost}
