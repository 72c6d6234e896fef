"""Each role's view of the money, in one table (docs/security.md shows it; tests/finance/test_finance_roles.py
checks every row against the pages and the API).

A cashier takes money at the till: records receipts and sees their own, allocates a receipt to the open documents
of the customer in front of them, but sees neither the company's balances, ledgers and statements nor its aging,
nor other people's receipts and payments (drafts included)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import PermissionDenied
from openjxc.core.models import Role


@dataclass(frozen=True)
class FinanceView:
    settlements: str  # receipts and payments listed and opened: "all", "own" (those they recorded), "none"
    books: bool  # partners' balances, ledgers and statements (应收 / 应付, 对账单): company-wide money
    aging: bool  # 账龄 over every partner
    open_items: bool  # a partner's open documents and credits (what a receipt can be applied to)


NOTHING = FinanceView(settlements="none", books=False, aging=False, open_items=False)
EVERYTHING = FinanceView(settlements="all", books=True, aging=True, open_items=True)

FINANCE_VIEW: dict[str, FinanceView] = {
    Role.ADMIN: EVERYTHING,
    Role.MANAGER: EVERYTHING,
    Role.FINANCE: EVERYTHING,
    # they answer customers' and suppliers' questions about what is owed
    Role.SALESPERSON: EVERYTHING,
    Role.PURCHASER: EVERYTHING,
    Role.CASHIER: FinanceView(settlements="own", books=False, aging=False, open_items=True),
    Role.KEEPER: NOTHING,
    Role.TERMINAL: NOTHING,  # a till's own user: posting its sale records the receipts; it reads none
}
_RANK = {"none": 0, "own": 1, "all": 2}


def view_of(user) -> FinanceView:
    """The widest view any of the user's roles gives (a superuser: everything)."""
    if user is None or not user.is_authenticated:
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    views = [FINANCE_VIEW.get(r, NOTHING) for r in (user.roles or [])] or [NOTHING]
    return FinanceView(
        settlements=max((v.settlements for v in views), key=_RANK.__getitem__),
        books=any(v.books for v in views), aging=any(v.aging for v in views),
        open_items=any(v.open_items for v in views),
    )


LABELS = {
    "books": _("view the partners' balances, ledgers and statements"),
    "aging": _("view the aging of receivables and payables"),
    "open_items": _("view a partner's open documents"),
    "settlements": _("view receipts and payments"),
}


def require_view(user, part: str) -> None:
    """Refuse unless the user's view includes `part` ("books", "aging", "open_items", "settlements")."""
    value = getattr(view_of(user), part)
    if value in (False, "none"):
        raise PermissionDenied(action=LABELS[part])


def visible_settlements(user, qs: QuerySet) -> QuerySet:
    """The receipts and payments of `qs` the user may list or open."""
    scope = view_of(user).settlements
    if scope == "all":
        return qs
    if scope == "own":
        return qs.filter(created_by_id=user.pk)
    return qs.none()
