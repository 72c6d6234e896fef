from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "openjxc.sync"
    label = "sync"

    def ready(self):
        register_pages()  # (the alerts app evaluates terminals' health: alerts/rules/terminals.py)
        from openjxc.sync import todo

        todo.register()  # held terminal operations are work in the managers' 待办 inbox
        from openjxc.documents import hooks
        from openjxc.sync import protocol

        # a terminal operation's negative_stock flag, from the posting's own stock.changed event
        hooks.register(kinds={"sales_delivery", "sales_return", "purchase_receipt"}, on_post=protocol.note_negative,
                       batched=True)


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.core import permissions
    from openjxc.core.models import Role
    from openjxc.web.layout import HeaderItem, NavEntry, register_assets, register_header, register_nav

    register_nav(
        NavEntry("web:pos", _("Till (POS)"), "¤",
                 lambda u: u.is_superuser or u.has_role(Role.CASHIER, Role.ADMIN, Role.MANAGER), "main", 50),
        NavEntry("web:till_closings", _("Till closing"), "▤",
                 lambda u: permissions.allowed(u, "till.close", {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.CASHIER}),
                 "finance", 155),
        NavEntry("web:terminals", _("Terminals"), "⌨", lambda u: permissions.allowed(u, "users.manage"),
                 "settings", 220),
        NavEntry("web:terminal_reviews", _("Terminal operations to review"), "⌛",
                 lambda u: permissions.allowed(u, "terminal.review"), "settings", 221),
    )
    # the live indicator: this page follows the change feed (sync/static/sync/live.js)
    register_header(HeaderItem("sync/live_indicator.html", lambda request: {"user": request.user}, order=10))
    register_assets(stylesheets=("sync/live.css",), scripts=("sync/live.js",))
