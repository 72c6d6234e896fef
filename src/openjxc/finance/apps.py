from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "openjxc.finance"
    label = "finance"

    def ready(self):
        # the partner ledger follows document posting and voiding through documents/hooks.py
        from openjxc.core import ledger_checks
        from openjxc.finance import effects
        from openjxc.finance.ledger import check_partner_ledger

        effects.register_hooks()
        ledger_checks.register("partner", check_partner_ledger, label="partner ledger")
        register_pages()


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.core import permissions
    from openjxc.finance.services import ROLES
    from openjxc.web.layout import NavEntry, register_nav

    def may_view(user):
        return permissions.allowed(user, "finance.view", ROLES["finance.view"][0])

    register_nav(
        NavEntry("web:settlements", _("Receipts & payments"), "⇄", may_view, "finance", 150),
        NavEntry("web:finance_balances", _("Receivables & payables"), "≡", may_view, "finance", 160),
        NavEntry("web:aging", _("Aging"), "▥", may_view, "finance", 170),
        NavEntry("web:statement", _("Statements"), "✉", may_view, "finance", 180),
    )
