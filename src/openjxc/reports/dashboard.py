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
from openjxc.reports.facts.movecounts import moves_per_day
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import STOCKED_KINDS, StockBalance
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

    # the balances are read twice whatever the history (issue 15: four passes before): the counts in one pass, the
    # value by warehouse in another, its total the stock value
    counts = balances.aggregate(items=Count("item_id", distinct=True, filter=Q(quantity__gt=0)),
                                negative=Count("id", filter=Q(quantity__lt=0)))
    figures = {
        "today": today,
        "show_value": permissions.allowed(user, "stock.cost"),
        "items_on_hand": counts["items"],
        "posted_today": visible_documents(user)
        .filter(status=Status.POSTED, posted_at__gte=start, posted_at__lt=start + dt.timedelta(days=1))
        .count(),
        "below_safety": below.count(),
        "negative": counts["negative"],
        # the inbox's own number (workflow/todo.py): approvals, postings, transfers to receive, counts
        "to_do": work_count(user),
    }

    # moves per day over 30 days into and out of the visible stocked locations: from the per-day counts the facts
    # consumer keeps, the days it has not reached counted from the moves (reports/facts/movecounts.py, issue 15)
    first = today - dt.timedelta(days=29)
    ins, outs = moves_per_day(company_id, scope, first, today)
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
    figures["stock_value"] = Decimal("0")
    if figures["show_value"]:
        by_warehouse = list(balances.values_list("location__warehouse__name").annotate(v=Sum("value")).order_by())
        figures["stock_value"] = sum((v or Decimal("0") for _name, v in by_warehouse), Decimal("0"))
        shown = sorted((r for r in by_warehouse if r[1]), key=lambda r: -r[1])
        chart_value = {
            "title": _("Stock value by warehouse"),
            "names": [name or "—" for name, _v in shown],
            "values": [float(v) for _name, v in shown],  # display only: ECharts draws numbers
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


