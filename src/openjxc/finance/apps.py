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
    from openjxc.finance.access import view_of
    from openjxc.finance.services import ROLES
    from openjxc.web.layout import NavEntry, register_nav

    def may_view(user):
        return permissions.allowed(user, "finance.view", ROLES["finance.view"][0])

    def may_see_books(user):
        return may_view(user) and view_of(user).books

    def may_see_aging(user):
        return may_view(user) and view_of(user).aging

    register_nav(
        NavEntry("web:settlements", _("Receipts & payments"), "⇄", may_view, "finance", 150),
        NavEntry("web:finance_balances", _("Receivables & payables"), "≡", may_see_books, "finance", 160),
        NavEntry("web:aging", _("Aging"), "▥", may_see_aging, "finance", 170),
        NavEntry("web:statement", _("Statements"), "✉", may_see_books, "finance", 180),
    )
