"""What every page of an app needs: the signed-in company page, the company's today, a company's row, paging."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from openjxc.core import clock
from openjxc.core.errors import DomainError

PAGE_SIZE = 50


def company_page(view):
    """A signed-in page of the user's company; times shown in the company's time zone."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.company_id is None:
            raise Http404(_("Your account is not attached to a company."))
        timezone.activate(zoneinfo.ZoneInfo(request.user.company.time_zone))
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:  # refused input (a breakdown a figure has not, a bad period): a page that says so
            return render(request, "web/refused.html", {"code": exc.code, "message": exc.render_message()},
                          status=exc.http_status)
        finally:
            timezone.deactivate()

    return wrapper


def paginate(request, queryset):
    """A short list's page (`?page=`) and the query string of its filters, for the pager's links."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def company_today(user) -> tuple[dt.date, dt.datetime]:
    """Today in the user's company's time zone, and the moment it began."""
    tz = zoneinfo.ZoneInfo(user.company.time_zone)
    today = clock.today(user.company.time_zone)
    return today, dt.datetime.combine(today, dt.time.min, tzinfo=tz)


def company_object(model, user, pk):
    """The row `pk` of `model` in the user's company, else 404."""
    obj = model.objects.filter(company_id=user.company_id, pk=pk).first()
    if obj is None:
        raise Http404(_("Not found."))
    return obj
