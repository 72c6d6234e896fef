from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "openjxc.workflow"
    label = "workflow"

    def ready(self):
        # approvers of active steps follow role, superior and warehouse-manager changes
        from openjxc.workflow import messages, signals

        signals.register()
        messages.register()  # what its notifications say, in each reader's language
