"""Inventory kinds of the foundation: receipts, deliveries, returns, transfers, adjustments, opening."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Role
from openjxc.stock.models import LocationKind as L
from openjxc.stock.posting import PlannedMove

from .base import Kind, Places, line_location, share_of_source_cost, value_by_source_line

KEEPERS = frozenset({Role.ADMIN, Role.MANAGER, Role.KEEPER})
BUYERS = frozenset({Role.ADMIN, Role.MANAGER, Role.PURCHASER, Role.KEEPER})
SELLERS = frozenset({Role.ADMIN, Role.MANAGER, Role.SALESPERSON, Role.KEEPER, Role.CASHIER})
# the kinds a terminal's operations make (sync/protocol.py: sale, return, receipt_scan) and no other
TERMINAL = frozenset({Role.TERMINAL})


def priced_in(source_kind):
    """Goods come in from a virtual location at the line's amount (or the current average if 0)."""

    def plan(doc, lines, places: Places):
        return [
            PlannedMove(
                item=ln.item, quantity=ln.quantity, from_location=places.virtual[source_kind],
                to_location=line_location(ln, doc, places), lot=ln.lot,
                value=ln.amount or None, line=ln,
            )
            for ln in lines
        ]

    return plan


def out_to(target_kind, *, refuse_expired=False):
    """Goods leave the warehouse for a virtual location at the moving average; lots FEFO if not given."""

    def plan(doc, lines, places: Places):
        return [
            PlannedMove(
                item=ln.item, quantity=ln.quantity, from_location=line_location(ln, doc, places),
                to_location=places.virtual[target_kind], lot=ln.lot,
                fefo=ln.item.tracks_lots and ln.lot is None, refuse_expired=refuse_expired, line=ln,
            )
            for ln in lines
        ]

    return plan


def return_out(target_kind):
    """Goods go back out at the cost they came in at (purchase return)."""

    def plan(doc, lines, places: Places):
        return [
            PlannedMove(
                item=ln.item, quantity=ln.quantity, from_location=line_location(ln, doc, places),
                to_location=places.virtual[target_kind], lot=ln.lot, value=share_of_source_cost(ln), line=ln,
            )
            for ln in lines
        ]

    return plan


def return_in(source_kind):
    """Goods come back in at the cost they went out at (sales return, transfer-in)."""

    def plan(doc, lines, places: Places):
        return [
            PlannedMove(
                item=ln.item, quantity=ln.quantity, from_location=places.virtual[source_kind],
                to_location=line_location(ln, doc, places), lot=ln.lot, value=share_of_source_cost(ln), line=ln,
            )
            for ln in lines
        ]

    return plan


OPENING = Kind(
    code="opening", prefix="QCRK", label=_("Opening balance"), plan=priced_in(L.OPENING),
    price_default="purchase_price", inbound=True, create_roles=KEEPERS,
)
PURCHASE_RECEIPT = Kind(
    code="purchase_receipt", prefix="CGRK", label=_("Purchase receipt"), plan=priced_in(L.SUPPLIER),
    partner_role="supplier", sources=("purchase_order",), price_default="purchase_price", inbound=True,
    returned_by="purchase_return", create_roles=BUYERS | TERMINAL,
)
PURCHASE_RETURN = Kind(
    code="purchase_return", prefix="CGTH", label=_("Purchase return"), plan=return_out(L.SUPPLIER),
    partner_role="supplier", sources=("purchase_receipt",), source_required=True,
    value_from_source=value_by_source_line, create_roles=BUYERS,
)
SALES_DELIVERY = Kind(
    code="sales_delivery", prefix="XSCK", label=_("Sales delivery"),
    plan=out_to(L.CUSTOMER, refuse_expired=True),
    partner_role="customer", sources=("sales_order",), price_default="sale_price", returned_by="sales_return",
    create_roles=SELLERS | TERMINAL,
)
SALES_RETURN = Kind(
    code="sales_return", prefix="XSTH", label=_("Sales return"), plan=return_in(L.CUSTOMER),
    partner_role="customer", sources=("sales_delivery",), source_required=True,
    value_from_source=value_by_source_line, create_roles=SELLERS | TERMINAL,
)
TRANSFER_OUT = Kind(
    code="transfer_out", prefix="DBCK", label=_("Transfer out"), plan=out_to(L.TRANSIT),
    needs_to_warehouse=True, create_roles=KEEPERS,
)
# the transit leg in: made from a transfer out, it arrives at the transfer's destination (its to_warehouse)
TRANSFER_IN = Kind(
    code="transfer_in", prefix="DBRK", label=_("Transfer in"), plan=return_in(L.TRANSIT),
    sources=("transfer_out",), source_required=True, source_warehouse="to_warehouse",
    value_from_source=value_by_source_line, create_roles=KEEPERS,
)
WRITE_OFF = Kind(
    code="write_off", prefix="BSD", label=_("Write-off"), plan=out_to(L.SCRAP), create_roles=KEEPERS,
)
GAIN = Kind(
    code="gain", prefix="BYD", label=_("Stock gain"), plan=priced_in(L.GAIN), inbound=True, create_roles=KEEPERS,
)
OTHER_IN = Kind(
    code="other_in", prefix="QTRK", label=_("Other receipt"), plan=priced_in(L.OTHER), inbound=True,
    create_roles=KEEPERS,
)
OTHER_OUT = Kind(
    code="other_out", prefix="QTCK", label=_("Other issue"), plan=out_to(L.OTHER), create_roles=KEEPERS,
)
