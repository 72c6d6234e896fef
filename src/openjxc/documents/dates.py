"""Rules on a document's business date at posting and voiding (documents/hooks.py).

- No posting in the future: a document dated after today (company time zone) beyond the company's
  tolerance (`future_days`, default 0) is refused; a draft may carry any date (a planned receipt).
- Nothing dated in a closed month (stock/periods.py) is posted or voided.
- A document valued from its source (a return, a transfer in, a finished-goods receipt) is not dated before its
  source, as a draft or at posting (decision 0030).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.company_settings import future_date_tolerance
from openjxc.core.errors import DomainError
from openjxc.core.models import User
from openjxc.documents import hooks
from openjxc.stock import periods


def refuse_future(doc) -> None:
    today = clock.today(doc.company.time_zone)
    days = future_date_tolerance(doc.company)
    latest = today + dt.timedelta(days=days)
    if doc.business_on > latest:
        raise DomainError(
            "document.future_date",
            _("%(number)s is dated %(date)s, after today (%(today)s): a document can be posted on or after its "
              "business date. Keep it as a draft until then, or correct the date."),
            http_status=409, number=doc.number, date=str(doc.business_on), today=str(today), latest=str(latest),
        )


def refuse_before_source(kind, doc, source) -> None:
    """A document whose value is what its source consumed cannot come before it: each would be costed from the
    other (decision 0030). The same day is fine."""
    if source is not None and kind.value_from_source and doc.business_on < source.business_on:
        raise DomainError(
            "document.before_source",
            _("The business date %(date)s is before the source document %(source)s (%(source_date)s): a document "
              "valued from its source cannot come before it. Date it on or after %(source_date)s."),
            http_status=409, number=doc.number if not doc.number.startswith("~") else "", date=str(doc.business_on),
            source=source.number, source_date=str(source.business_on),
        )


def check_posting_date(doc, lines, by: User) -> None:
    """before_post: refuse a date in the future (beyond the tolerance) or in a closed month."""
    refuse_future(doc)
    periods.require_open(doc.company, doc.business_on)


def check_void_date(doc, by: User) -> None:
    """before_void: a document dated in a closed month stays as it is (correct it in the open period)."""
    periods.require_open(doc.company, doc.business_on)


def register() -> None:
    hooks.register(before_post=check_posting_date, before_void=check_void_date)
