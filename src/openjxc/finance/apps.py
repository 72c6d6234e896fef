from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "openjxc.finance"
    label = "finance"

    def ready(self):
        # the partner ledger follows document posting and voiding through documents/hooks.py
        from openjxc.finance import effects

        effects.register_hooks()
