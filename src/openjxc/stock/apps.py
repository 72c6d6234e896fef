from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "openjxc.stock"
    label = "stock"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.web.layout import NavEntry, register_nav

        register_nav(
            NavEntry("web:balances", _("Stock balances"), "▤", lambda u: permissions.allowed(u, "stock.view"),
                     "stock", 10),
            NavEntry("web:warehouses", _("Warehouses"), "⌂", lambda u: permissions.allowed(u, "masterdata.view"),
                     "masterdata", 100),
        )
