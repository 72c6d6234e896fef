from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "openjxc.partners"
    label = "partners"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.web.layout import NavEntry, register_nav

        def may_view(user):
            return permissions.allowed(user, "masterdata.view")

        register_nav(
            NavEntry("web:partners", _("Partners"), "☷", may_view, "masterdata", 90),
            NavEntry("web:regions", _("Regions"), "◎", may_view, "masterdata", 130),
        )
