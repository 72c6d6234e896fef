from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "openjxc.workflow"
    label = "workflow"

    def ready(self):
        # approvers of active steps follow role, superior and warehouse-manager changes; the flows are the
        # documents' approval gate (documents/hooks.py)
        from openjxc.documents import hooks
        from openjxc.workflow import messages, signals
        from openjxc.workflow.gate import GATE, register_probe

        signals.register()
        register_pages()
        hooks.set_approval_gate(GATE)
        register_probe()
        messages.register()  # what its notifications say, in each reader's language


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.core.models import Role
    from openjxc.web.layout import NavEntry, register_nav

    register_nav(
        NavEntry("workflow:inbox", _("To-do"), "✔", lambda u: True, "main", 30),
        NavEntry("workflow:flows", _("Approval flows"), "⇶", lambda u: u.is_superuser or u.has_role(Role.ADMIN, Role.MANAGER),
                 "settings", 190),
    )
