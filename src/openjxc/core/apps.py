from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openjxc.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.models.signals import pre_migrate

        from openjxc.core import checks  # noqa: F401  (registers system checks)
        from openjxc.core.sql import drop_together

        pre_migrate.connect(drop_together, dispatch_uid="openjxc.core.sql.drop_together")
