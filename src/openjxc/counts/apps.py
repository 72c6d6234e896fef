"""Stock counts (盘点): plans, counting while operating, variance, accuracy."""
from django.apps import AppConfig


class CountsConfig(AppConfig):
    name = "openjxc.counts"
    label = "counts"

    def ready(self):
        # frozen locations, surplus pricing and closing the count run when documents post (counts/hooks.py)
        from openjxc.counts import (
            tasks,  # noqa: F401  (the schedule's periodic task)
            todo,
        )
        from openjxc.counts.hooks import register_hooks

        register_hooks()
        todo.register()  # counts to count, finish or review are work in the 待办 inbox
        register_pages()


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.core import permissions
    from openjxc.web.layout import NavEntry, register_nav

    register_nav(NavEntry("web:counts", _("Stock counts"), "✓", lambda u: permissions.allowed(u, "stock.view"),
                          "stock", 60))
