"""The registry of document kinds. Adding a kind: one module, one line here."""

from __future__ import annotations

from openjxc.core.errors import NotFound

from . import bills, counts, inventory, orders, production
from .base import Kind, Places, SourceLeft

KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        inventory.OPENING,
        inventory.PURCHASE_RECEIPT,
        inventory.PURCHASE_RETURN,
        inventory.SALES_DELIVERY,
        inventory.SALES_RETURN,
        inventory.TRANSFER_OUT,
        inventory.TRANSFER_IN,
        inventory.WRITE_OFF,
        inventory.GAIN,
        inventory.OTHER_IN,
        inventory.OTHER_OUT,
        orders.PURCHASE_REQUEST,
        orders.PURCHASE_ORDER,
        orders.SALES_QUOTE,
        orders.SALES_ORDER,
        bills.PURCHASE_BILL,
        counts.STOCK_COUNT,
        production.MATERIAL_ISSUE,
        production.FINISHED_GOODS_RECEIPT,
    )
}


# read from the kinds: what fulfils an order kind, what returns a receipt or delivery
FULFILLED_BY: dict[str, str] = {k.code: k.fulfilled_by for k in KINDS.values() if k.fulfilled_by}
RETURNED_BY: dict[str, str] = {k.code: k.returned_by for k in KINDS.values() if k.returned_by}
# transit legs: the kind that sends goods into transit -> the kind that takes them in at the destination
TRANSIT_LEGS: dict[str, str] = {
    source: k.code for k in KINDS.values() if k.source_warehouse == "to_warehouse" for source in k.sources
}


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise NotFound("kind", code, code="document.kind_unknown") from None


__all__ = ["FULFILLED_BY", "KINDS", "RETURNED_BY", "TRANSIT_LEGS", "Kind", "Places", "SourceLeft", "get_kind"]
