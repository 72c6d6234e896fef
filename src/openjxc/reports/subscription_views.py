"""My report subscriptions: subscribe to the weekly or monthly report through a delivery channel, pause, resume,
unsubscribe, and the delivery log of my subscriptions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from openjxc.core.errors import DomainError
from openjxc.reports.models import ReportKind
from openjxc.reports.pages import require_page
from openjxc.reports.subscriptions import (
    delivery_channels,
    my_deliveries,
    my_subscriptions,
    pause_subscription,
    resume_subscription,
    subscribe_report,
    unsubscribe_report,
)
from openjxc.web.pages import company_page


@company_page
def subscriptions(request):
    user = request.user
    require_page(user)
    error = None
    if request.method == "POST":
        try:
            channel = int(request.POST.get("channel") or 0)
            subscribe_report(by=user, kind=request.POST.get("kind", ""), channel=channel)
        except ValueError:
            error = _("Choose a delivery channel.")
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Subscribed."))
            return redirect("web:report_subscriptions")
    return render(request, "reports/subscriptions.html", {
        "title": _("My report subscriptions"), "subscriptions": my_subscriptions(user),
        "deliveries": my_deliveries(user), "channels": delivery_channels(user), "kinds": ReportKind.choices,
        "error": error})


@company_page
def delete(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_page(request.user)
    try:
        unsubscribe_report(by=request.user, pk=pk)
    except DomainError as err:
        messages.error(request, err.render_message())
    else:
        messages.success(request, _("Unsubscribed."))
    return redirect("web:report_subscriptions")


@company_page
def pause(request, pk: int):
    return _switch(request, pk, pause_subscription, _("Paused: nothing is sent until you resume it."))


@company_page
def resume(request, pk: int):
    return _switch(request, pk, resume_subscription, _("Resumed: the next report due is sent."))


def _switch(request, pk: int, service, done: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_page(request.user)
    try:
        service(by=request.user, pk=pk)
    except DomainError as err:
        messages.error(request, err.render_message())
    else:
        messages.success(request, done)
    return redirect("web:report_subscriptions")
