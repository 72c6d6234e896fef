from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openjxc.web"
    label = "web"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.web.excel_views import may_import
        from openjxc.web.layout import NavEntry, register_nav

        register_nav(
            NavEntry("web:company_settings", _("Company settings"), "⚙", lambda u: permissions.allowed(u, "users.manage"),
                     "settings", 200),
            NavEntry("web:users", _("Users"), "☺", lambda u: permissions.allowed(u, "users.manage"), "settings", 210),
            NavEntry("web:import", _("Import"), "⇪", may_import, "settings", 240),
            NavEntry("web:jobs", _("Jobs"), "⧗", lambda u: True, "settings", 250),
        )
