"""What is waiting for a user (待办): the one answer the inbox page, its API and the dashboard's count all read
(issue 13, item 14), so they cannot disagree.

Four kinds of work, each for whoever may act on it:
- approvals: steps of approval flows waiting for the user's decision (also as a delegate), `waiting_for`;
- postings: approved documents in the user's warehouses, of kinds the user works with, when they may post;
- receipts: transfers posted out to one of the user's warehouses and not yet fully received there (the
  user's warehouses: those they are limited to, or for an unlimited user those they manage), when they
  may receive transfers;
- work other apps register (`register_work`): the counts app's counts to count, finish or review.

Alerts are not work in this sense: they have their own tab and bell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from openjxc.core import permissions
from openjxc.documents.kinds import KINDS, get_kind
from openjxc.documents.models import Document, Status
from openjxc.documents.selectors import visible_documents
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.workflow.models import Approval, ApprovalState
from openjxc.workflow.selectors import waiting_for

LIMIT = 200  # rows per section on the page and in the API; the counts are exact


@dataclass(frozen=True)
class Work:
    """A kind of work another app registers: `rows_for(user)` is a queryset of what waits for the user,
    `describe(row)` what the inbox shows of one row: {"title", "subtitle", "url"}."""

    name: str
    label: object
    rows_for: Callable
    describe: Callable


_work: dict[str, Work] = {}


def register_work(name: str, label, rows_for: Callable, describe: Callable) -> None:
    """Let the inbox and the dashboard count `rows_for(user)` as work waiting for the user."""
    _work[name] = Work(name, label, rows_for, describe)


def _kinds_of(user) -> list[str]:
    return [k.code for k in KINDS.values() if permissions.allowed(user, "document.create", roles=set(k.create_roles))]


def to_post(user):
    """Approved documents the user may post: in their warehouses, of the kinds they work with."""
    if not permissions.allowed(user, "document.post"):
        return Document.objects.none()
    return visible_documents(user).filter(status=Status.APPROVED, kind__in=_kinds_of(user))


def to_receive(user):
    """Transfers posted out to the user's warehouses and not yet fully received there."""
    transfer_in = get_kind("transfer_in")
    if not permissions.allowed(user, "document.create", roles=set(transfer_in.create_roles)):
        return Document.objects.none()
    scope = scoped_warehouse_ids(user)
    mine = Q(to_warehouse_id__in=scope) if scope is not None else Q(to_warehouse__manager=user)
    received = Coalesce(
        Sum("derived__total_quantity", filter=Q(derived__kind=transfer_in.code, derived__status=Status.POSTED)),
        Value(0), output_field=DecimalField(max_digits=18, decimal_places=4))
    return (Document.objects.filter(mine, company_id=user.company_id, kind__in=transfer_in.sources,
                                    status=Status.POSTED)
            .annotate(received=received).filter(received__lt=F("total_quantity")))


@dataclass
class Inbox:
    approvals: list[dict]
    postings: list[Document]
    receipts: list[Document]
    work: list[dict] = field(default_factory=list)  # [{"name", "label", "count", "rows": [describe(row)…]}]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _first_rows(qs) -> tuple[list, int]:
    """The first LIMIT rows of `qs` and how many there are in all: one statement (LIMIT + 1 rows) unless there
    are more than LIMIT, when the exact count takes a second."""
    rows = list(qs[: LIMIT + 1])
    if len(rows) <= LIMIT:
        return rows, len(rows)
    return rows[:LIMIT], qs.count()


def waiting_work(user, *, rows: bool = True) -> Inbox:
    """Everything waiting for `user`, with exact counts (and, with `rows`, the first LIMIT rows of each): one
    statement per kind of work either way (the count alone, or the rows that give the count)."""
    approvals = waiting_for(user, limit=10_000)
    posting, receiving = to_post(user), to_receive(user)
    inbox = Inbox(approvals=approvals[:LIMIT], postings=[], receipts=[], counts={"approvals": len(approvals)})
    counts = inbox.counts
    if rows:
        related = ("warehouse", "to_warehouse", "partner", "created_by")
        inbox.postings, counts["postings"] = _first_rows(
            posting.select_related(*related).order_by("approved_at", "pk"))
        inbox.receipts, counts["receipts"] = _first_rows(
            receiving.select_related(*related).order_by("posted_at", "pk"))
    else:
        counts["postings"], counts["receipts"] = posting.count(), receiving.count()
    for work in _work.values():
        qs = work.rows_for(user)
        if rows:
            found, counts[work.name] = _first_rows(qs)
            described = [work.describe(r) for r in found]
        else:
            counts[work.name], described = qs.count(), []
        inbox.work.append({"name": work.name, "label": work.label, "count": counts[work.name], "rows": described})
    return inbox


def work_count(user) -> int:
    """How many things wait for `user`: the inbox's number and the dashboard's."""
    return waiting_work(user, rows=False).total


def inbox_counts(user) -> dict:
    """The inbox's numbers: `waiting` (everything waiting for the user, as the dashboard shows it), each kind of
    work, and how many of the user's own submissions are still in approval."""
    work = waiting_work(user, rows=False)
    return {"waiting": work.total, **work.counts,
            "submitted_pending": Approval.objects.filter(company_id=user.company_id, requester=user,
                                                         state=ApprovalState.PENDING).count()}
