from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: the facts kept from the change feed, the semantic layer and KPIs, and the report pages."""

    name = "openjxc.reports"
    label = "reports"

    def ready(self):
        from openjxc.core import ledger_checks
        from openjxc.documents import hooks
        from openjxc.reports import tasks
        from openjxc.reports.facts.check import registered_check

        ledger_checks.register("facts", registered_check)
        hooks.register(on_post=tasks.soon, on_void=tasks.soon)
