from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "openjxc.reports"
    label = "reports"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.web.layout import NavEntry, register_nav

        register_nav(
            NavEntry("web:home", _("Dashboard"), "◧", lambda u: True, "main", 0, exact=True),
            NavEntry("web:cycle_times", _("Cycle times"), "◷", lambda u: permissions.allowed(u, "reports.view"),
                     "reports", 200),
        )
