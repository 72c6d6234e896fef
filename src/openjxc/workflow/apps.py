from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "openjxc.workflow"
    label = "workflow"

    def ready(self):
        # approvers of active steps follow role, superior and warehouse-manager changes; the flows are the
        # documents' approval gate (documents/hooks.py)
        from openjxc.documents import hooks
        from openjxc.workflow import signals
        from openjxc.workflow.gate import GATE

        signals.register()
        hooks.set_approval_gate(GATE)
