"""Report pages: the dashboard (home), cycle times, the analyses, the inventory report, the pivot, drill-down."""

from django.urls import path

from openjxc.reports import (
    analysis_views,
    cockpit_views,
    dashboard,
    inventory_views,
    period_views,
    pivot_views,
    subscription_views,
    views,
)

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("reports/cockpit/", cockpit_views.cockpit, name="cockpit"),
    path("reports/cockpit/tiles/", cockpit_views.cockpit_settings, name="cockpit_settings"),
    path("reports/cycle-times/", views.cycle_times, name="cycle_times"),
    path("reports/sales/", analysis_views.sales, name="report_sales"),
    path("reports/margin/", analysis_views.margin, name="report_margin"),
    path("reports/inventory/", inventory_views.inventory, name="report_inventory"),
    path("reports/sell-through/", analysis_views.sell_through, name="report_sell_through"),
    path("reports/purchasing/", analysis_views.purchasing, name="report_purchasing"),
    path("reports/receivables/", analysis_views.receivables, name="report_receivables"),
    path("reports/pivot/", pivot_views.pivot, name="report_pivot"),
    path("reports/pivot/save/", pivot_views.pivot_save, name="report_pivot_save"),
    path("reports/pivot/views/<int:pk>/delete/", pivot_views.pivot_delete, name="report_pivot_delete"),
    path("reports/weekly/", period_views.weekly, name="report_weekly"),
    path("reports/monthly/", period_views.monthly, name="report_monthly"),
    path("reports/subscriptions/", subscription_views.subscriptions, name="report_subscriptions"),
    path("reports/subscriptions/<int:pk>/delete/", subscription_views.delete, name="report_subscription_delete"),
    path("reports/subscriptions/<int:pk>/pause/", subscription_views.pause, name="report_subscription_pause"),
    path("reports/subscriptions/<int:pk>/resume/", subscription_views.resume, name="report_subscription_resume"),
    path("reports/drill/", pivot_views.drill, name="report_drill"),
]
