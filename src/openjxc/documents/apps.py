from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "openjxc.documents"
    label = "documents"

    def ready(self):
        # order checks run when receipts, deliveries and sales orders are posted (documents/hooks.py)
        from openjxc.core.company_settings import PAYABLE_FROM, register_fact
        from openjxc.documents import dates, line_costs, period_blockers
        from openjxc.documents.models import Document
        from openjxc.documents.orders import register_hooks

        dates.register()  # no posting in the future or in a closed month (documents/dates.py)
        line_costs.register()  # re-costing follows returns and transfer-in, and corrects lines' cost
        period_blockers.register()  # unposted documents and transfers in transit keep a month open
        register_hooks()
        # which way payables are booked can't be switched once a purchase receipt or bill has been posted
        kinds = [f"purchase_{source}" for source in PAYABLE_FROM]
        register_fact("payables_posted", lambda company_id: Document.objects.filter(
            company_id=company_id, kind__in=kinds, posted_at__isnull=False).exists())
        register_pages()


def register_pages():
    from django.utils.translation import gettext_lazy as _

    from openjxc.core import permissions
    from openjxc.documents import exports  # noqa: F401 - declares the documents list's export
    from openjxc.documents.imports import OpeningImporter
    from openjxc.documents.selectors import may_create_documents
    from openjxc.web.imports import register_importer
    from openjxc.web.layout import NavEntry, register_nav

    register_importer(OpeningImporter)
    register_nav(
        NavEntry("web:documents", _("Documents"), "▦", lambda u: permissions.allowed(u, "document.view"), "stock", 20),
        NavEntry("web:document_new", _("New document"), "+", may_create_documents, "stock", 70, exact=True),
    )
