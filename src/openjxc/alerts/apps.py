from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "openjxc.alerts"
    label = "alerts"
