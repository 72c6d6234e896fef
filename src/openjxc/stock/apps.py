from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "openjxc.stock"
    label = "stock"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.stock import exports  # noqa: F401 - declares the stock lists' exports
        from openjxc.stock.models import Warehouse, WarehouseKind
        from openjxc.web.users import register_warehouse_scope

        # a user is limited to real warehouses and stores, never to the in-transit one
        register_warehouse_scope(
            lambda company_id: Warehouse.objects.filter(company_id=company_id).exclude(kind=WarehouseKind.TRANSIT))
        from openjxc.web.layout import NavEntry, register_nav

        register_nav(
            NavEntry("web:balances", _("Stock balances"), "▤", lambda u: permissions.allowed(u, "stock.view"),
                     "stock", 10),
            NavEntry("web:warehouses", _("Warehouses"), "⌂", lambda u: permissions.allowed(u, "masterdata.view"),
                     "masterdata", 100),
        )
