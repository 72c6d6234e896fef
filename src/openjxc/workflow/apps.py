from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "openjxc.workflow"
    label = "workflow"
