from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "openjxc.catalog"
    label = "catalog"
