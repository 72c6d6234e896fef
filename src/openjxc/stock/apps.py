from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "openjxc.stock"
    label = "stock"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from openjxc.core import permissions
        from openjxc.core.company_settings import register_fact
        from openjxc.core.services import on_company_created
        from openjxc.stock import (
            exports,  # noqa: F401 - declares the stock lists' exports
            tasks,  # noqa: F401 - the month-end checkpoints' nightly task
        )
        from openjxc.stock.locations import ensure_company_locations
        from openjxc.stock.models import StockMove, Warehouse, WarehouseKind
        from openjxc.web.users import register_warehouse_scope

        # every company gets its virtual locations and in-transit warehouse; stock tracking can't be switched
        # off once stock has moved (core/company_settings.py)
        on_company_created(ensure_company_locations)
        register_fact("stock_moved", lambda company_id: StockMove.objects.filter(company_id=company_id).exists())

        # a user is limited to real warehouses and stores, never to the in-transit one
        register_warehouse_scope(
            lambda company_id: Warehouse.objects.filter(company_id=company_id).exclude(kind=WarehouseKind.TRANSIT))
        from openjxc.web.layout import NavEntry, register_nav

        register_nav(
            NavEntry("web:balances", _("Stock balances"), "▤", lambda u: permissions.allowed(u, "stock.view"),
                     "stock", 10),
            NavEntry("web:warehouses", _("Warehouses"), "⌂", lambda u: permissions.allowed(u, "masterdata.view"),
                     "masterdata", 100),
            NavEntry("web:periods", _("Month-end close"), "⊟", lambda u: permissions.allowed(u, "period.close"),
                     "finance", 190),
        )
