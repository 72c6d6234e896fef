from django.apps import AppConfig


class PrintingConfig(AppConfig):
    """Printouts of documents (A4, 80 mm receipt, HTML) and labels of items and lots."""

    name = "openjxc.printing"
    label = "printing"

    def ready(self):
        from openjxc.printing.batch import DOCUMENTS
        from openjxc.web.jobs import register_print

        register_print("documents", DOCUMENTS)  # the documents list's "Print all (PDF)", /api/excel/prints
