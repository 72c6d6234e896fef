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

        from openjxc.partners import exports  # noqa: F401 - declares the partners list's export
        from openjxc.partners.imports import PartnerImporter
        from openjxc.web.imports import register_importer

        register_importer(PartnerImporter)
        register_nav(
            NavEntry("web:partners", _("Partners"), "☷", may_view, "masterdata", 90),
            NavEntry("web:regions", _("Regions"), "◎", may_view, "masterdata", 130),
        )
