from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """An app without models: it is installed only so its templates are found."""

    name = "openjxc.reports"
    label = "reports"
