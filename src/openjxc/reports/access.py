"""Who may read reports, and what of them: one answer for the pages, the API, the exports and the jobs.

`reports.view` (managers, finance) reads every report; `reports.store` (keepers, cashiers, salespeople,
purchasers) reads the analyses of their own warehouses. Partner balances are not kept per warehouse, so they
need `reports.view` and a user not limited to some warehouses. Costs need `stock.cost`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import PermissionDenied
from openjxc.stock.access import scoped_warehouse_ids


def may_read(user) -> bool:
    return permissions.allowed(user, "reports.view") or permissions.allowed(user, "reports.store")


def require_reader(user) -> int:
    """Refuse a user who may read no report; the id of their company."""
    if not permissions.allowed(user, "reports.store"):
        permissions.require(user, "reports.view")
    return permissions.company_id_of(user)


def may_read_balances(user) -> bool:
    return permissions.allowed(user, "reports.view") and scoped_warehouse_ids(user) is None


def warehouse_scope(user, families=()) -> frozenset[int] | None:
    """The warehouses `user`'s figures are limited to (None: all); partner balances refused when limited."""
    scope = scoped_warehouse_ids(user)
    if "partner" in families and not may_read_balances(user):
        raise PermissionDenied(action=_("see partner balances (they are not kept per warehouse)"))
    return None if scope is None else frozenset(scope)


def shows_cost(user) -> bool:
    return permissions.allowed(user, "stock.cost")
