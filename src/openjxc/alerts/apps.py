from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "openjxc.alerts"
    label = "alerts"

    def ready(self):
        # postings and voids schedule the alert evaluation of the items they touched (documents/hooks.py);
        # importing rule_tasks also registers its periodic tasks with huey
        from openjxc.alerts import engine, notify, rule_tasks, rules_more
        from openjxc.core import notices
        from openjxc.workflow import selectors as workflow

        rule_tasks.register_hooks()
        rules_more.register()
        notices.install(notify.notify)  # apps below alerts (workflow) notify people through it
        workflow.register_todo("alerts", engine.alerts_for)  # the inbox's "my alerts" tab
