"""The variance sheet of a count exported to .xlsx: one row per line with the signed difference and its reason."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.counts.models import Reason
from openjxc.web.excel import Column, ListExport

C = Column


def _reason(row) -> str:
    return str(Reason(row["reason"]).label) if row["reason"] else ""


def _state(row) -> str:
    if row["not_counted"]:
        return str(_("not counted"))
    if row["is_added"]:
        return str(_("found"))
    return ""


# rows: counts.selectors.variance_rows (dicts); differences are signed: −8 a loss, +2 a gain
VARIANCE_EXPORT = ListExport("count-variance", _("Count variance"), (
    C(_("Item code"), "item_code"),
    C(_("Item name"), "item_name", width=24),
    C(_("Location"), "location_code"),
    C(_("Lot"), "lot"),
    C(_("Expiry date"), "expires_on", "date", 12),
    C(_("Book at start"), "snapshot_quantity", "quantity"),
    C(_("Book when counted"), "expected_quantity", "quantity"),
    C(_("Counted"), "counted_quantity", "quantity"),
    C(_("Difference"), "difference", "quantity"),
    C(_("Unit cost"), "unit_cost", "price", permission="stock.cost"),
    C(_("Difference value"), "difference_value", "money", permission="stock.cost"),
    C(_("Reason"), _reason),
    C(_("Note"), "reason_note", width=24),
    C(_("State"), _state),
))
