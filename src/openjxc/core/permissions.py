"""What each role may do, and the one function services call to check it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import NoCompany, PermissionDenied
from openjxc.core.models import Role

ALL = "*"

# action -> roles allowed. Document creation is refined per kind (Kind.create_roles).
ACTIONS: dict[str, set[str]] = {
    "masterdata.view": {ALL},
    "masterdata.edit": {Role.ADMIN, Role.MANAGER, Role.PURCHASER, Role.SALESPERSON},
    "stock.view": {ALL},
    "stock.cost": {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.PURCHASER, Role.KEEPER},
    "document.view": {ALL},
    "document.create": {ALL},
    "document.submit": {ALL},
    # a terminal carries its own sale / return / receipt through to posted (create_document(advance_to=POSTED)):
    # approving here is that step of its own document, never a step of an approval flow (workflow/approvers.py)
    "document.approve": {Role.ADMIN, Role.MANAGER, Role.TERMINAL},
    "document.post": {Role.ADMIN, Role.MANAGER, Role.KEEPER, Role.CASHIER, Role.TERMINAL},
    "document.void": {Role.ADMIN, Role.MANAGER},
    "document.cancel": {ALL},
    "users.manage": {Role.ADMIN},
    "ledger.check": {Role.ADMIN, Role.MANAGER, Role.FINANCE},
    "tokens.manage": {ALL},
    "alerts.view": {ALL},
    "alerts.manage": {Role.ADMIN, Role.MANAGER},
    "reports.view": {Role.ADMIN, Role.MANAGER, Role.FINANCE},
    # the analyses of their own warehouses (sales, stock, purchasing; costs only with stock.cost), not balances
    "reports.store": {Role.KEEPER, Role.CASHIER, Role.SALESPERSON, Role.PURCHASER},
    "reports.configure": {Role.ADMIN, Role.MANAGER},  # the company's cockpit tiles
    "period.close": {Role.ADMIN, Role.MANAGER, Role.FINANCE},
    "period.reopen": {Role.ADMIN},
    # a terminal's operation held for review (dated too long ago, in a closed month, ahead): accept, re-date, reject
    "terminal.review": {Role.ADMIN, Role.MANAGER},
    # the company's settings (stock tracking, what books payables): those who work with its books
    "company.setup": {Role.ADMIN},  # install a preset (settings, flows and alert rules at once)
    "settings.view": {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.CASHIER, Role.SALESPERSON, Role.PURCHASER},
}

ACTION_LABELS = {
    "document.approve": _("approve documents"),
    "document.post": _("post documents"),
    "document.void": _("void documents"),
    "masterdata.edit": _("edit master data"),
    "users.manage": _("manage users"),
    "alerts.manage": _("manage alert rules"),
    "reports.view": _("view management reports"),
    "reports.store": _("view the reports of your warehouses"),
    "reports.configure": _("choose the cockpit's tiles"),
    "period.close": _("close a month"),
    "period.reopen": _("reopen a closed month"),
    "company.setup": _("set the company up from a preset"),
    "terminal.review": _("review terminal operations"),
}


# everything a terminal's user may do (the terminal protocol: push its operations, pull its catalogue), whatever
# else a role list of ALL grants to people: no tokens, no alerts, no settings, no reports
TERMINAL_ACTIONS = frozenset({
    "masterdata.view", "stock.view", "document.view", "document.create", "document.submit", "document.approve",
    "document.post", "count.count",
})


def is_person(user) -> bool:
    """A person, not a terminal's own user: who may be an approver, a recipient, a superior or sign in."""
    return Role.TERMINAL not in (getattr(user, "roles", None) or [])


def allowed(user, action: str, roles: set[str] | None = None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    wanted = roles if roles is not None else ACTIONS[action]
    if not is_person(user):
        return action in TERMINAL_ACTIONS and (ALL in wanted or Role.TERMINAL in wanted)
    if ALL in wanted:
        return True
    return any(r in wanted for r in (user.roles or []))


def require(user, action: str, roles: set[str] | None = None) -> None:
    """Raise PermissionDenied unless `user` may perform `action`."""
    if not allowed(user, action, roles):
        raise PermissionDenied(action=ACTION_LABELS.get(action, action))


def require_company(user, company_id) -> None:
    """Crossing companies is refused like any other permission error."""
    if user.company_id is None or user.company_id != company_id:
        raise PermissionDenied(action=_("access another company's data"))


def company_id_of(user) -> int:
    """The id of the company `user` works in; NoCompany (user.no_company) when there is none."""
    if user is None or user.company_id is None:
        raise NoCompany()
    return user.company_id


def company_of(user):
    """The company `user` works in; NoCompany (user.no_company) when there is none."""
    company_id_of(user)
    return user.company


def scoped_warehouse_ids(user) -> set[int] | None:
    """The warehouses `user` is limited to (User.warehouses), or None for every warehouse of their company.
    Read once per user object; stock/access.py builds the warehouse checks on it."""
    if user.is_superuser:
        return None
    if not hasattr(user, "_jxc_warehouse_ids"):
        user._jxc_warehouse_ids = set(user.warehouses.values_list("id", flat=True)) or None
    return user._jxc_warehouse_ids
