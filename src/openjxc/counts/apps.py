from django.apps import AppConfig


class CountsConfig(AppConfig):
    name = "openjxc.counts"
    label = "counts"
