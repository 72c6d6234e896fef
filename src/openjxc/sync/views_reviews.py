"""The review queue page (sync/review.py): terminal operations held because of their date; a manager accepts one
(posted with its date), re-dates it (posted with another date) or rejects it with a reason."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.sync import review
from openjxc.sync.models import ReviewStatus
from openjxc.web.pages import company_page


def _require_reviewer(user):
    if not permissions.allowed(user, "terminal.review"):
        raise PermissionDenied(_("Only a manager reviews terminal operations."))


@company_page
def review_list(request):
    user = request.user
    _require_reviewer(user)
    status = request.GET.get("status") or ReviewStatus.PENDING
    rows = review.reviews_for(user).select_related("operation")
    if status in ReviewStatus.values:
        rows = rows.filter(status=status)
    return render(request, "sync/reviews.html", {
        "rows": rows.order_by("-id")[:200], "status": status, "statuses": ReviewStatus.choices,
        "today": dt.date.today().isoformat(),
    })


@require_POST
@company_page
def review_decide(request, pk: int):
    user = request.user
    _require_reviewer(user)
    action = request.POST.get("action")
    note = request.POST.get("reason", "")
    try:
        if action == "accept":
            done = review.accept_review(pk, by=user)
        elif action == "redate":
            try:
                on = dt.date.fromisoformat(request.POST.get("business_on", ""))
            except ValueError:
                raise DomainError("validation.failed", _("The input is not valid: %(field)s %(reason)s"),
                                  field=_("Date"), reason=_("is not a date")) from None
            done = review.redate_review(pk, by=user, on=on, note=note)
        else:
            done = review.reject_review(pk, by=user, note=note)
        messages.success(request, _("Operation %(op)s: %(status)s.")
                         % {"op": done.operation.op_id[:12], "status": done.get_status_display()})
    except DomainError as err:
        messages.error(request, err.render_message())
    return redirect("web:terminal_reviews")
