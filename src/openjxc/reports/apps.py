from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: the facts kept from the change feed, the semantic layer and KPIs, and the report pages."""

    name = "openjxc.reports"
    label = "reports"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.alerts import delivery
        from openjxc.alerts.rules import sales as sales_rules
        from openjxc.core import ledger_checks, permissions
        from openjxc.documents import hooks
        from openjxc.reports import kpi_rules, pivot_views, subscription_send, tasks
        from openjxc.reports.access import may_read, may_read_balances
        from openjxc.reports.facts import sales_weeks
        from openjxc.reports.facts.check import registered_check
        from openjxc.web.jobs import BuiltExport, register_built_export
        from openjxc.web.layout import NavEntry, register_nav

        ledger_checks.register("facts", registered_check)
        if subscription_send.recent_calls not in delivery.OTHER_CALLS:  # report messages share the rate limits
            delivery.OTHER_CALLS.append(subscription_send.recent_calls)
        sales_rules.register_source(sales_weeks.weekly_sales)  # slow movers from the sales facts (decision 0025)
        kpi_rules.register()  # KPI thresholds: an alert kind of the alerts engine, its alerts in the 待办
        hooks.register(on_post=tasks.soon, on_void=tasks.soon)
        register_built_export("pivot", BuiltExport(pivot_views.export_job))
        register_nav(
            NavEntry("web:home", _("Dashboard"), "◧", lambda u: True, "main", 0, exact=True),
            NavEntry("web:cockpit", _("Cockpit"), "◉", may_read, "reports", 90),
            NavEntry("web:report_sales", _("Sales analysis"), "↗", may_read, "reports", 100),
            NavEntry("web:report_margin", _("Gross margin"), "%", may_read, "reports", 110),
            NavEntry("web:report_inventory", _("Inventory report"), "▤", may_read, "reports", 120),
            NavEntry("web:report_sell_through", _("Sell-through"), "◔", may_read, "reports", 130),
            NavEntry("web:report_purchasing", _("Purchasing analysis"), "⇲", may_read, "reports", 140),
            NavEntry("web:report_receivables", _("Receivables and payables"), "¥", may_read_balances, "reports", 150),
            NavEntry("web:report_weekly", _("Weekly report"), "▥", may_read, "reports", 92),
            NavEntry("web:report_monthly", _("Monthly report"), "▦", may_read, "reports", 94),
            NavEntry("web:report_pivot", _("Pivot"), "▦", may_read, "reports", 160),
            NavEntry("web:cycle_times", _("Cycle times"), "◷", lambda u: permissions.allowed(u, "reports.view"),
                     "reports", 200),
        )
