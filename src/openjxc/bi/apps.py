from django.apps import AppConfig


class BiConfig(AppConfig):
    """BI: star-schema views over the reports' facts, for Power BI, Excel, Tableau and FineBI."""

    name = "openjxc.bi"
    label = "bi"

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from openjxc.bi.schema import after_migrate, before_migrate

        pre_migrate.connect(before_migrate, sender=self, dispatch_uid="openjxc.bi.schema.drop")
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="openjxc.bi.schema")
