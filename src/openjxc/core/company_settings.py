"""Company settings kept in Company.settings (JSON), read through one function each.

`stock_tracking` (default on): off is trading mode (进销存无库存版) — documents are records, post to the
partner ledger and are counted in reports, but nothing is posted to the stock ledger.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, User

# questions about a company's books that only the apps above core can answer, registered from their
# AppConfig.ready: "stock_moved" (stock), "payables_posted" (documents)
BOOK_FACTS: dict[str, Callable[[int], bool]] = {}


def register_fact(name: str, answer: Callable[[int], bool]) -> None:
    """Answer the question `name` about a company (given its id) for the settings that depend on it."""
    BOOK_FACTS[name] = answer


def locked_company(by: User) -> Company:
    """The acting user's company, row-locked for a change of its settings (call inside a transaction)."""
    return Company.objects.select_for_update().get(pk=permissions.company_id_of(by))


def save_settings(company: Company, *, by: User, changes: dict, before: dict) -> Company:
    """Merge `changes` into the company's settings with the change's outbox event and audit record (before and
    after): the one way every app's settings setter writes."""
    company.settings = {**(company.settings or {}), **changes}
    company.save(update_fields=["settings"])
    record_event(company=company, topic="company.settings", by=by, obj=company, payload=changes)
    record_audit(company=company, action="settings", obj=company, by=by, before=before, after=changes)
    return company


def tracks_stock(company) -> bool:
    """Whether posting documents of `company` moves stock (False: trading mode)."""
    settings = company.settings if isinstance(company, Company) else Company.objects.get(pk=company).settings
    return bool((settings or {}).get("stock_tracking", True))


@transaction.atomic
def set_stock_tracking(*, by: User, enabled: bool) -> Company:
    """Switch stock tracking on or off for the user's company.

    Switching it off is refused once stock has moved: the stock already booked would stay in the
    books with nothing to ever take it out again.
    """
    permissions.require(by, "users.manage")
    company = locked_company(by)
    before = tracks_stock(company)
    if not enabled and before and BOOK_FACTS["stock_moved"](company.pk):
        raise DomainError(
            "company.has_stock", _("Stock tracking cannot be switched off: this company has stock movements."),
            http_status=409,
        )
    return save_settings(company, by=by, changes={"stock_tracking": bool(enabled)}, before={"stock_tracking": before})


def applies_vat(company) -> bool:
    """Whether lines of commercial documents take their item's VAT rate by default (`vat`, default off).

    Off suits a small-scale taxpayer (小规模纳税人) who prices without separate VAT; a line may still
    carry an explicit rate. On, purchase and sales lines default to the item's rate.
    """
    return bool((company.settings or {}).get("vat", False))


@transaction.atomic
def set_vat(*, by: User, enabled: bool) -> Company:
    """General VAT taxpayer (一般纳税人, on: lines take their item's 13 % / 9 % …) or small-scale (小规模纳税人, off).
    Documents already made keep their rates; the switch applies to lines made from now on."""
    permissions.require(by, "users.manage")
    if not isinstance(enabled, bool):
        raise ValidationFailed(field="enabled", reason=_("must be true or false"))
    company = locked_company(by)
    return save_settings(company, by=by, changes={"vat": enabled}, before={"vat": applies_vat(company)})


MAX_FUTURE_DAYS = 366


def future_date_tolerance(company) -> int:
    """How many days after today (company time zone) a document may be dated and still be posted (default 0)."""
    settings = company.settings if isinstance(company, Company) else Company.objects.get(pk=company).settings
    try:
        return max(0, min(int((settings or {}).get("future_days", 0)), MAX_FUTURE_DAYS))
    except (TypeError, ValueError):
        return 0


@transaction.atomic
def set_future_date_tolerance(*, by: User, days: int) -> Company:
    """Let documents dated up to `days` days ahead be posted (0: nothing after today)."""
    permissions.require(by, "users.manage")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_FUTURE_DAYS:
        raise ValidationFailed(field="days", reason=_("must be a whole number from 0 to %(max)s")
                               % {"max": MAX_FUTURE_DAYS})
    company = locked_company(by)
    return save_settings(company, by=by, changes={"future_days": days},
                         before={"future_days": future_date_tolerance(company)})


PAYABLE_FROM = ("receipt", "bill")


def payable_from(company) -> str:
    """What books the payable: "receipt" (posting a purchase receipt, the default) or "bill" (a supplier bill)."""
    settings = company.settings if isinstance(company, Company) else Company.objects.get(pk=company).settings
    value = (settings or {}).get("payable_from", "receipt")
    return value if value in PAYABLE_FROM else "receipt"


@transaction.atomic
def set_payable_from(*, by: User, source: str) -> Company:
    """Choose whether purchase receipts ("receipt") or supplier bills ("bill") book the payable.

    Refused once a purchase receipt or a bill has been posted: the payables already booked came from
    one of the two, and switching would book the same goods twice or not at all.
    """
    permissions.require(by, "users.manage")
    if source not in PAYABLE_FROM:
        raise ValidationFailed(field="payable_from", reason=_("must be receipt or bill"))
    company = locked_company(by)
    before = payable_from(company)
    if source == before:
        return company
    if BOOK_FACTS["payables_posted"](company.pk):
        raise DomainError(
            "company.payable_mode_locked",
            _("Payables cannot be switched to come from %(source)s: purchase receipts or bills have been posted."),
            http_status=409, source=str(_("bills") if source == "bill" else _("receipts")),
        )
    return save_settings(company, by=by, changes={"payable_from": source}, before={"payable_from": before})
