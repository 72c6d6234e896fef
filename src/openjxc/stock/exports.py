"""The columns of the stock lists when exported to .xlsx: balances, an item's card, warehouses and locations."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.stock import selectors
from openjxc.stock.access import scoped_warehouse_ids, visible_warehouses
from openjxc.stock.models import Location, LocationKind, Warehouse, WarehouseKind
from openjxc.web.excel import Column, ListExport

C = Column

def _balance_rows(user, filters):
    """The balances of the warehouses the caller may see (one warehouse with the `warehouse` filter)."""
    permissions.require(user, "stock.view")
    qs = selectors.balances(user.company_id, warehouse_ids=scoped_warehouse_ids(user))
    return qs.filter(location__warehouse_id=filters.warehouse) if filters.warehouse else qs


def _location_rows(user, filters):
    """The locations of the warehouses the caller may see, warehouse by warehouse."""
    whs = visible_warehouses(user, Warehouse.objects.exclude(kind=WarehouseKind.TRANSIT))
    return Location.objects.filter(warehouse__in=whs, kind=LocationKind.INTERNAL).order_by("warehouse__code", "code",
                                                                                             "id")


BALANCES_EXPORT = ListExport("balances", _("Stock balances"), (
    C(_("Item code"), "item.code"),
    C(_("Item name"), "item.name", width=24),
    C(_("Warehouse"), "location.warehouse.display_name"),
    C(_("Location"), "location.code"),
    C(_("Lot"), "lot.code"),
    C(_("Expiry date"), "lot.expires_on", "date", 12),
    C(_("Quantity"), "quantity", "quantity"),
    C(_("Unit"), "item.base_unit.name", width=8),
    C(_("Value"), "value", "money", permission="stock.cost"),
), prepare=lambda qs: qs.select_related("item__base_unit", "location__warehouse", "lot"),
   api_rows=_balance_rows, api_permission="stock.view")


def _move_document(row) -> str:
    doc = row["move"].document
    return doc.number if doc else ""


ITEM_CARD_EXPORT = ListExport("item-card", _("Item card"), (
    C(_("Business date"), "move.business_on", "date", 12),
    C(_("Document"), _move_document, width=22),
    C(_("From"), "move.from_location.display_name"),
    C(_("To"), "move.to_location.display_name"),
    C(_("Lot"), "move.lot.code"),
    C(_("Quantity change"), "quantity_change", "quantity"),
    C(_("Quantity after"), "quantity_after", "quantity"),
    C(_("Value change"), "value_change", "money", permission="stock.cost"),
    C(_("Value after"), "value_after", "money", permission="stock.cost"),
))

LOCATIONS_EXPORT = ListExport("warehouses", _("Warehouses and locations"), (
    C(_("Warehouse code"), "warehouse.code"),
    C(_("Warehouse"), "warehouse.name"),
    C(_("Kind"), "warehouse.get_kind_display"),
    C(_("Address"), "warehouse.address", width=24),
    C(_("Location code"), "code"),
    C(_("Location"), "name"),
    C(_("Default location"), lambda loc: 1 if loc.is_default else 0, "number"),
    C(_("Allow negative stock"), lambda loc: 1 if loc.allow_negative else 0, "number"),
    C(_("Active"), lambda loc: 1 if loc.is_active and loc.warehouse.is_active else 0, "number", 8),
), prepare=lambda qs: qs.select_related("warehouse"), api_rows=_location_rows)
