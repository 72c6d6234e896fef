"""The columns of the foundation's lists when exported to .xlsx (documents, balances, item card, master data).

The items and partners exports use the import templates' headers, so an exported file imports again as is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.documents.kinds import get_kind
from openjxc.web.excel import Column, ListExport
from openjxc.web.excel_imports import ITEM_FIELDS, PARTNER_FIELDS

C = Column


def _kind_label(doc) -> str:
    try:
        return str(get_kind(doc.kind).label)
    except Exception:  # noqa: BLE001 - a kind removed since: show its code
        return doc.kind


DOCUMENTS_EXPORT = ListExport("documents", _("Documents"), (
    C(_("Number"), "number", width=22),
    C(_("Kind"), _kind_label),
    C(_("Status"), "get_status_display"),
    C(_("Business date"), "business_on", "date", 12),
    C(_("Partner"), "partner.name", width=20),
    C(_("Warehouse"), "warehouse.name"),
    C(_("To warehouse"), "to_warehouse.name"),
    C(_("Quantity"), "total_quantity", "quantity"),
    C(_("Amount"), "total_amount", "money", permission="stock.cost"),
    C(_("Tax"), "tax_total", "money", permission="stock.cost"),
    C(_("Amount with tax"), "total_with_tax", "money", permission="stock.cost"),
    C(_("Memo"), "memo", width=30),
), prepare=lambda qs: qs.select_related("partner", "warehouse", "to_warehouse"))

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
), prepare=lambda qs: qs.select_related("item__base_unit", "location__warehouse", "lot"))


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


def _label(fields, key):
    return next(f.label for f in fields if f.key == key)


def _units(item) -> str:
    return "; ".join(f"{u.unit.name}={format(u.factor.normalize(), 'f')}" for u in item.units.all())


def _barcodes(item) -> str:
    return "; ".join(b.code for b in item.barcodes.all())


def _yes_no(obj) -> int:
    return 1 if obj.is_active else 0


IF, PF = ITEM_FIELDS, PARTNER_FIELDS
ITEMS_EXPORT = ListExport("items", _("Items"), (
    C(_label(IF, "code"), "code"),
    C(_label(IF, "name"), "name", width=24),
    C(_label(IF, "spec"), "spec"),
    C(_label(IF, "category"), "category.name"),
    C(_label(IF, "base_unit"), "base_unit.name", width=8),
    C(_label(IF, "units"), _units, width=18),
    C(_label(IF, "barcodes"), _barcodes, width=18),
    C(_label(IF, "purchase_price"), "purchase_price", "price", permission="stock.cost"),
    C(_label(IF, "sale_price"), "sale_price", "price"),
    C(_label(IF, "tax_rate"), "tax_rate", "number"),
    C(_label(IF, "tracking"), "get_tracking_display"),
    C(_label(IF, "shelf_life_days"), "shelf_life_days", "number"),
    C(_label(IF, "is_active"), _yes_no, "number", 8),
), prepare=lambda qs: qs.select_related("category", "base_unit").prefetch_related("units__unit", "barcodes"))

PARTNERS_EXPORT = ListExport("partners", _("Partners"), (
    C(_label(PF, "code"), "code"),
    C(_label(PF, "name"), "name", width=24),
    C(_label(PF, "kind"), "get_kind_display"),
    C(_label(PF, "region"), "region.name"),
    C(_label(PF, "contact"), "contact"),
    C(_label(PF, "phone"), "phone"),
    C(_label(PF, "email"), "email", width=20),
    C(_label(PF, "address"), "address", width=24),
    C(_label(PF, "tax_number"), "tax_number", width=20),
    C(_label(PF, "credit_limit"), "credit_limit", "money"),
    C(_label(PF, "is_active"), _yes_no, "number", 8),
), prepare=lambda qs: qs.select_related("region"))

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
), prepare=lambda qs: qs.select_related("warehouse"))
