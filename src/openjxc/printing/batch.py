"""A batch print of documents: the ones the user may see, by date and number, each as its A4 or receipt PDF."""

from __future__ import annotations

from openjxc.documents.selectors import visible_documents
from openjxc.printing.content import document_printout
from openjxc.web.jobs import BatchPrint


def _rows(user, ids: list[int]) -> list:
    return list(visible_documents(user).filter(pk__in=ids).order_by("business_on", "number"))


def _render(doc, user, paper: str) -> bytes:
    from openjxc.printing.documents import a4_pdf, receipt_pdf  # reportlab loads with the first PDF (~15 MB)

    return (a4_pdf if paper == "a4" else receipt_pdf)(document_printout(doc, user))


DOCUMENTS = BatchPrint(rows=_rows, render=_render)
