from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: the facts kept from the change feed, the semantic layer and KPIs, and the report pages."""

    name = "openjxc.reports"
    label = "reports"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import ledger_checks, permissions
        from openjxc.documents import hooks
        from openjxc.reports import tasks
        from openjxc.reports.facts.check import registered_check
        from openjxc.web.layout import NavEntry, register_nav

        ledger_checks.register("facts", registered_check)
        hooks.register(on_post=tasks.soon, on_void=tasks.soon)
        register_nav(
            NavEntry("web:home", _("Dashboard"), "◧", lambda u: True, "main", 0, exact=True),
            NavEntry("web:cycle_times", _("Cycle times"), "◷", lambda u: permissions.allowed(u, "reports.view"),
                     "reports", 200),
        )
