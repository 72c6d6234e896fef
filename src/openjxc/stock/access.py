"""Per-warehouse scoping: a user linked to warehouses works only in those (a cashier in their store)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import PermissionDenied
from openjxc.core.permissions import scoped_warehouse_ids

__all__ = ["require_warehouse", "scoped_warehouse_ids", "visible_warehouses"]


def require_warehouse(user, warehouse) -> None:
    """Refuse work in a warehouse of another company or outside the user's scope."""
    if warehouse is None:
        return
    if warehouse.company_id != user.company_id:
        raise PermissionDenied(action=_("use another company's warehouse"))
    scope = scoped_warehouse_ids(user)
    if scope is not None and warehouse.pk not in scope:
        raise PermissionDenied(action=_("work in warehouse %(warehouse)s") % {"warehouse": warehouse.name})


def visible_warehouses(user, queryset):
    scope = scoped_warehouse_ids(user)
    queryset = queryset.filter(company_id=user.company_id)
    return queryset if scope is None else queryset.filter(pk__in=scope)
