"""The month-end close page (月末结账): the months with their status, what blocks closing the next one, close, and
reopen (administrators, with a reason). Everything through stock/period_close.py, as the API (/api/periods)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.stock import period_close
from openjxc.web.pages import company_page


def _require_closer(user) -> None:
    if not permissions.allowed(user, "period.close"):
        raise PermissionDenied(_("Only a manager, finance or an administrator may close months."))


@company_page
def periods(request):
    user = request.user
    _require_closer(user)
    company = user.company
    months = period_close.months(company)
    closable = next((m for m in months if m.can_close), None)
    return render(request, "stock/periods.html", {
        "months": months, "closable": closable,
        "blockers": period_close.blockers(company, closable.month) if closable else [],
        "may_reopen": permissions.allowed(user, "period.reopen"),
    })


@company_page
@require_POST
def period_action(request, month: str, action: str):
    _require_closer(request.user)
    if action not in ("close", "reopen"):
        raise PermissionDenied(_("No such month."))
    try:
        day = period_close.parse_month(month)
        if action == "close":
            period_close.close_period(by=request.user, month=day)
            messages.success(request, _("%(month)s is closed.") % {"month": month})
        else:
            period_close.reopen_period(by=request.user, month=day, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(month)s is open again.") % {"month": month})
    except DomainError as err:
        messages.error(request, err.render_message())
    return redirect("web:periods")
