from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "openjxc.sync"
    label = "sync"

    def ready(self):
        from openjxc.sync.alert_rules import register

        register()  # the alerts engine evaluates terminals' health with our evaluator
