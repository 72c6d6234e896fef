"""Periods (会计期间): which months are closed. Nothing dated in a closed month is posted or voided.

Months close in order and reopen in reverse order, so the closed months are always those up to
`closed_through`. Only a month that has ended can be closed: a date in the current month is open
without a query (the posting path relies on that). Closing and reopening: stock/period_close.py.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.core.models import Company
from openjxc.stock.models import Period, PeriodStatus


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _company(company) -> Company:
    return company if isinstance(company, Company) else Company.objects.get(pk=company)


def closed_through(company) -> dt.date | None:
    """The last day of the latest closed month of `company` (a Company or its id), or None."""
    company_id = company.pk if isinstance(company, Company) else company
    month = (Period.objects.filter(company_id=company_id, status=PeriodStatus.CLOSED)
             .order_by("-month").values_list("month", flat=True).first())
    return month_end(month) if month else None


def is_closed(company, on: dt.date) -> bool:
    """Whether business day `on` lies in a closed month of `company` (a Company or its id)."""
    company = _company(company)
    if on >= month_start(clock.today(company.time_zone)):
        return False  # only a month that has ended can be closed
    end = closed_through(company)
    return end is not None and on <= end


def require_open(company, on: dt.date) -> None:
    """Refuse (`period.closed`) anything dated `on` when that day lies in a closed month."""
    if is_closed(company, on):
        raise DomainError(
            "period.closed",
            _("%(month)s is closed (月末结账): nothing dated %(date)s can be posted or voided. "
              "Date the entry in the open period, or ask an administrator to reopen the month."),
            http_status=409, month=on.strftime("%Y-%m"), date=str(on),
        )
