from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "openjxc.catalog"
    label = "catalog"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.web.layout import NavEntry, register_nav

        def may_view(user):
            return permissions.allowed(user, "masterdata.view")

        from openjxc.catalog import exports  # noqa: F401 - declares the items list's export
        from openjxc.catalog.imports import ItemImporter
        from openjxc.web.imports import register_importer

        register_importer(ItemImporter)
        register_nav(
            NavEntry("web:items", _("Items"), "▣", may_view, "masterdata", 80),
            NavEntry("web:categories", _("Categories"), "⊞", may_view, "masterdata", 110),
            NavEntry("web:units", _("Units"), "⚖", may_view, "masterdata", 120),
            NavEntry("web:price_lists", _("Price lists"), "¥", may_view, "masterdata", 140),
        )
