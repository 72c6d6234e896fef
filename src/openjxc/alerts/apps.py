from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "openjxc.alerts"
    label = "alerts"

    def ready(self):
        # postings and voids schedule the alert evaluation of the items they touched (documents/hooks.py);
        # importing rule_tasks also registers its periodic tasks with huey
        from openjxc.alerts import messages, notify, rule_tasks, rules
        from openjxc.alerts.rules import approvals, channels, costs, counts, sales, stock, terminals
        from openjxc.alerts.selectors import alerts_for
        from openjxc.core import notices
        from openjxc.workflow import selectors as workflow

        rule_tasks.register_hooks()
        for module in (stock, costs, sales, counts, approvals, channels, terminals):
            for kind, evaluator in module.EVALUATORS.items():
                rules.register(kind, evaluator)
        messages.register()  # what its notifications say, in each reader's language
        notices.install(notify.notify)  # apps below alerts (workflow) notify people through it
        workflow.register_todo("alerts", alerts_for)  # the inbox's "my alerts" tab
        register_pages()


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.alerts.inbox import bell
    from openjxc.core import permissions
    from openjxc.web.layout import HeaderItem, NavEntry, register_assets, register_header, register_nav

    register_nav(
        NavEntry("web:alerts", _("Alerts"), "⚠", lambda u: permissions.allowed(u, "alerts.view"), "main", 40),
        NavEntry("web:channels", _("Notification channels"), "✆", lambda u: permissions.allowed(u, "users.manage"),
                 "settings", 230),
    )
    register_header(HeaderItem("alerts/notifications/bell.html", bell, order=20))
    register_assets(stylesheets=("alerts/notifications.css",))
