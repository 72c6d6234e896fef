"""The columns of the items list when exported to .xlsx: the import template's headers, so an exported file
imports again as is."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.catalog.imports import ITEM_FIELDS
from openjxc.catalog.models import Item
from openjxc.web.excel import Column, ListExport
from openjxc.web.imports import field_label

C = Column


def _units(item) -> str:
    return "; ".join(f"{u.unit.name}={format(u.factor.normalize(), 'f')}" for u in item.units.all())


def _barcodes(item) -> str:
    return "; ".join(b.code for b in item.barcodes.all())


def _yes_no(obj) -> int:
    return 1 if obj.is_active else 0


IF = ITEM_FIELDS
ITEMS_EXPORT = ListExport("items", _("Items"), (
    C(field_label(IF, "code"), "code"),
    C(field_label(IF, "name"), "name", width=24),
    C(field_label(IF, "spec"), "spec"),
    C(field_label(IF, "category"), "category.name"),
    C(field_label(IF, "base_unit"), "base_unit.name", width=8),
    C(field_label(IF, "units"), _units, width=18),
    C(field_label(IF, "barcodes"), _barcodes, width=18),
    C(field_label(IF, "purchase_price"), "purchase_price", "price", permission="stock.cost"),
    C(field_label(IF, "sale_price"), "sale_price", "price"),
    C(field_label(IF, "tax_rate"), "tax_rate", "number"),
    C(field_label(IF, "tracking"), "get_tracking_display"),
    C(field_label(IF, "shelf_life_days"), "shelf_life_days", "number"),
    C(field_label(IF, "is_active"), _yes_no, "number", 8),
), prepare=lambda qs: qs.select_related("category", "base_unit").prefetch_related("units__unit", "barcodes"),
   api_rows=lambda user, filters: Item.objects.filter(company_id=user.company_id).order_by("code", "id"))
