from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "openjxc.stock"
    label = "stock"
