"""What the API and the page share: the filters a user may ask for, checked and scoped."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.documents.kinds import get_kind
from openjxc.reports.cycle_times import CycleTimes, Filters, cycle_times
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import Warehouse

DEFAULT_DAYS = 28
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 12, 31)  # no date arithmetic can overflow in between


def report_filters(user, *, start: dt.date | None = None, end: dt.date | None = None, kind: str | None = None,
                   warehouse: int | None = None) -> Filters:
    """The filters as asked, limited to the warehouses `user` may see; another company's warehouse is not found."""
    permissions.require(user, "reports.view")
    if kind:
        get_kind(kind)  # document.kind_unknown
    for name, day in (("start", start), ("end", end)):
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise ValidationFailed(field=name, reason=_("is out of range"))
    end = end or clock.today(user.company.time_zone)
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationFailed(field="end", reason=_("must not be before the start"))
    scope = scoped_warehouse_ids(user)
    if warehouse is not None:
        if not Warehouse.objects.filter(company_id=user.company_id, pk=warehouse).exists() or (
                scope is not None and warehouse not in scope):
            raise NotFound("warehouse", warehouse)
        ids = frozenset({warehouse})
    else:
        ids = None if scope is None else frozenset(scope)
    return Filters(start=start, end=end, kind=kind or None, warehouse_ids=ids)


def previous_period(filters: Filters) -> Filters:
    """The period of the same length just before `filters`' (what "from X days to Y days" compares with)."""
    days = (filters.end - filters.start).days + 1
    end = filters.start - dt.timedelta(days=1)
    return Filters(start=end - dt.timedelta(days=days - 1), end=end, kind=filters.kind,
                   warehouse_ids=filters.warehouse_ids)


def report_for(user, filters: Filters) -> CycleTimes:
    return cycle_times(user.company, filters)
