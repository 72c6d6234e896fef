from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openjxc.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from openjxc.core import checks  # noqa: F401  (registers system checks)
