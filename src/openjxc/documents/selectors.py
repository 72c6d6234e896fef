"""Reads of documents: which a user may see, and the reads the document pages show.

`visible_documents(user)` is the one answer to "which documents may this user see": the document pages,
the API, the Excel export and the batch print all start from it, so they cannot disagree. A user scoped to
warehouses sees a document of one of them, and a transfer whose destination is one of them (its keeper
receives the goods and must find the transfer).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from openjxc.catalog.pricing import round_price
from openjxc.core import permissions
from openjxc.documents import hooks
from openjxc.documents.kinds import KINDS
from openjxc.documents.kinds.orders import FULFILLED_BY
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.orders import order_progress
from openjxc.stock.access import scoped_warehouse_ids

# what a document's page shows of its header, read in the same query
DETAIL_RELATED = ("warehouse", "to_warehouse", "partner", "source", "created_by", "approved_by", "posted_by",
                  "voided_by")


def flow_decides(user, doc) -> bool | None:
    """Whether `user` may approve or reject `doc` in its approval flow; None when no flow runs it (the approval
    gate answers: documents/hooks.py, installed by workflow)."""
    gate = hooks.approval_gate()
    return gate.may_decide(user, doc) if gate is not None else None


def visible_documents(user):
    """The documents of `user`'s company they may see: all, or those of their warehouses (either end of a
    transfer) when they are scoped to warehouses."""
    qs = Document.objects.filter(company_id=user.company_id)
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(Q(warehouse_id__in=scope) | Q(to_warehouse_id__in=scope))
    return qs


def visible_document(user, pk: int) -> Document | None:
    """One document `user` may see, with the header rows its page shows; None when there is no such document."""
    return visible_documents(user).select_related(*DETAIL_RELATED).filter(pk=pk).first()


def recent_documents(user, limit: int = 8) -> list[Document]:
    """The documents `user` may see that changed last (the dashboard's list)."""
    return list(visible_documents(user).select_related("warehouse", "partner").order_by("-updated_at", "-id")[:limit])


def detail_lines(doc: Document):
    """A document's lines with what a page shows of each (item, unit, lot, location)."""
    return doc.lines.select_related("item", "unit", "lot", "location")


def derived_documents(doc: Document):
    """The documents made from `doc` (下推), oldest first."""
    return doc.derived.order_by("id")


def order_progress_rows(doc: Document, lines) -> list | None:
    """Per line of a confirmed purchase / sales order: ordered, received (delivered), returned, billed, left;
    None for any other document."""
    if doc.kind not in FULFILLED_BY or doc.status not in (Status.POSTED, Status.CLOSED):
        return None
    by_line = {ln.pk: ln for ln in lines}
    rows = order_progress(doc)
    for p in rows:
        p.line = by_line.get(p.line_id)
    return rows



def may_create_documents(user) -> bool:
    """Whether `user` may create a document of any kind."""
    return any(permissions.allowed(user, "document.create", roles=set(k.create_roles)) for k in KINDS.values())


def creatable_kinds(user) -> list:
    """Kinds `user` may start from scratch; returns and transfer-in are made from their source (下推)."""
    return [
        k for k in KINDS.values()
        if not k.source_required and permissions.allowed(user, "document.create", roles=set(k.create_roles))
    ]


def last_purchase_price(company_id: int, item_id: int, supplier_id: int | None = None) -> Decimal | None:
    """The unit price (per base unit, excluding tax) of the latest posted purchase receipt of the item,
    from `supplier_id` if given; None if it was never bought."""
    qs = DocumentLine.objects.filter(
        document__company_id=company_id, document__kind="purchase_receipt", document__status=Status.POSTED,
        item_id=item_id,
    )
    if supplier_id is not None:
        qs = qs.filter(document__partner_id=supplier_id)
    row = qs.order_by("-document__business_on", "-document__posted_at", "-id").values_list("amount", "quantity").first()
    if row is None:
        return None
    amount, quantity = row
    return round_price(amount / quantity)
