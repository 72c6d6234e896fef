"""The home page (dashboard): KPI cards, the stock charts, recent documents and open alerts, all limited to the
warehouses the user may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils.translation import gettext as _

from openjxc.alerts.rule_models import OPEN_STATUSES, by_severity
from openjxc.alerts.selectors import visible_alerts
from openjxc.catalog.models import ItemWarehouse
from openjxc.core import permissions
from openjxc.documents.models import Status
from openjxc.documents.selectors import (
    recent_documents,
    visible_documents,
)
from openjxc.reports.access import may_read
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import STOCKED_KINDS, Location, StockBalance, StockMove
from openjxc.web.pages import company_page, company_today
from openjxc.workflow.todo import work_count


def dashboard_figures(user) -> dict:
    """The KPI cards and chart data of the home page, limited to the warehouses the user may see."""
    company_id = user.company_id
    scope = scoped_warehouse_ids(user)
    balances = StockBalance.objects.filter(company_id=company_id, location__kind__in=STOCKED_KINDS)
    if scope is not None:
        balances = balances.filter(location__warehouse_id__in=scope)
    today, start = company_today(user)
    on_hand = (
        StockBalance.objects.filter(item_id=OuterRef("item_id"), location__warehouse_id=OuterRef("warehouse_id"))
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = ItemWarehouse.objects.filter(company_id=company_id, safety_stock__gt=0)
    if scope is not None:
        levels = levels.filter(warehouse_id__in=scope)
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=4))
    below = levels.annotate(
        on_hand=Coalesce(Subquery(on_hand, output_field=DecimalField(max_digits=18, decimal_places=4)), zero)
    ).filter(on_hand__lt=F("safety_stock"))

    figures = {
        "today": today,
        "show_value": permissions.allowed(user, "stock.cost"),
        "stock_value": balances.aggregate(v=Sum("value"))["v"] or Decimal("0"),
        "items_on_hand": balances.filter(quantity__gt=0).values("item_id").distinct().count(),
        "posted_today": visible_documents(user)
        .filter(status=Status.POSTED, posted_at__gte=start, posted_at__lt=start + dt.timedelta(days=1))
        .count(),
        "below_safety": below.count(),
        "negative": balances.filter(quantity__lt=0).count(),
        # the inbox's own number (workflow/todo.py): approvals, postings, transfers to receive, counts
        "to_do": work_count(user),
    }

    # moves per day over 30 days: into and out of the visible stocked locations. One pass over the
    # (company, business_on) index with the locations resolved first (a few ids): on PostgreSQL the index covers
    # both location columns, so the 30 days are counted from the index alone (issue 15)
    first = today - dt.timedelta(days=29)
    stocked = Location.objects.filter(company_id=company_id, kind__in=STOCKED_KINDS)
    if scope is not None:
        stocked = stocked.filter(warehouse_id__in=scope)
    stocked_ids = list(stocked.values_list("id", flat=True))
    ins: dict = {}
    outs: dict = {}
    if stocked_ids:
        rows = (StockMove.objects.filter(company_id=company_id, business_on__gte=first, business_on__lte=today)
                .values_list("business_on")
                # counted on the location columns (never NULL): the index holds them, not the id
                .annotate(i=Count("to_location_id", filter=Q(to_location_id__in=stocked_ids)),
                          o=Count("from_location_id", filter=Q(from_location_id__in=stocked_ids))))
        for day, n_in, n_out in rows:
            if n_in:
                ins[day] = n_in
            if n_out:
                outs[day] = n_out
    days = [first + dt.timedelta(days=i) for i in range(30)]
    chart_moves = {
        "title": _("Stock moves, last 30 days"),
        "days": [d.strftime("%m-%d") for d in days],
        "series": [
            {"name": _("In"), "data": [ins.get(d, 0) for d in days]},
            {"name": _("Out"), "data": [outs.get(d, 0) for d in days]},
        ],
    }
    chart_value = None
    if figures["show_value"]:
        rows = (
            balances.values("location__warehouse__name")
            .annotate(v=Sum("value"))
            .exclude(v=0)
            .order_by("-v")
        )
        chart_value = {
            "title": _("Stock value by warehouse"),
            "names": [r["location__warehouse__name"] or "—" for r in rows],
            "values": [float(r["v"] or 0) for r in rows],  # display only: ECharts draws numbers
        }
    figures["chart_moves"] = chart_moves
    figures["chart_value"] = chart_value
    return figures


@company_page
def home(request):
    figures = dashboard_figures(request.user)
    recent = recent_documents(request.user)
    open_alerts = visible_alerts(request.user).filter(status__in=OPEN_STATUSES)
    top_alerts = list(open_alerts.order_by(by_severity(), "-raised_at", "-id")[:5])
    return render(request, "reports/home.html", {**figures, "recent": recent, "alerts_open": open_alerts.count(),
                                                 "top_alerts": top_alerts, "may_read_reports": may_read(request.user)})


