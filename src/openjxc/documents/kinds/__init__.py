"""The registry of document kinds. Adding a kind: one module, one line here."""

from __future__ import annotations

from openjxc.core.errors import NotFound

from . import bills, counts, inventory, orders
from .base import Kind, Places

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
    )
}


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise NotFound("kind", code, code="document.kind_unknown") from None


__all__ = ["KINDS", "Kind", "Places", "get_kind"]
