from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "openjxc.documents"
    label = "documents"

    def ready(self):
        # order checks run when receipts, deliveries and sales orders are posted (documents/hooks.py)
        from openjxc.documents.orders import register_hooks

        register_hooks()
