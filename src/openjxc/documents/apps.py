from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "openjxc.documents"
    label = "documents"

    def ready(self):
        # order checks run when receipts, deliveries and sales orders are posted (documents/hooks.py)
        from openjxc.documents import dates, line_costs, period_blockers
        from openjxc.documents.orders import register_hooks

        dates.register()  # no posting in the future or in a closed month (documents/dates.py)
        line_costs.register()  # re-costing follows returns and transfer-in, and corrects lines' cost
        period_blockers.register()  # unposted documents and transfers in transit keep a month open
        register_hooks()
