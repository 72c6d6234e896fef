"""The columns of the documents list when exported to .xlsx."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.documents.kinds import get_kind
from openjxc.documents.selectors import visible_documents
from openjxc.web.excel import Column, ListExport

C = Column


def _kind_label(doc) -> str:
    try:
        return str(get_kind(doc.kind).label)
    except Exception:  # noqa: BLE001 - a kind removed since: show its code
        return doc.kind


def _api_rows(user, filters):
    """The documents the caller may see, narrowed by the export's filters (kind, status, warehouse)."""
    permissions.require(user, "document.view")
    qs = visible_documents(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    return qs.order_by("-business_on", "-id")


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
    C(_("Amount at cost"), "cost_total", "money", permission="stock.cost"),
    C(_("Memo"), "memo", width=30),
), prepare=lambda qs: qs.select_related("partner", "warehouse", "to_warehouse"), api_rows=_api_rows,
   api_permission="stock.view")
