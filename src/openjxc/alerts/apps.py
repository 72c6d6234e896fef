from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "openjxc.alerts"
    label = "alerts"

    def ready(self):
        # postings and voids schedule the alert evaluation of the items they touched (documents/hooks.py);
        # importing rule_tasks also registers its periodic tasks with huey
        from openjxc.alerts import messages, rule_tasks, rules
        from openjxc.alerts.rules import approvals, channels, counts, sales, stock

        rule_tasks.register_hooks()
        for module in (stock, sales, counts, approvals, channels):
            for kind, evaluator in module.EVALUATORS.items():
                rules.register(kind, evaluator)
        messages.register()  # what its notifications say, in each reader's language
