"""The lifecycle seam: row locks, status machines, the batched changes of a transition, the documents' machine.

Every app whose rows have statuses uses it — documents, the approval flows of workflow, finance's
receipts and payments, stock counts — so that "lock, check, move, stamp, record" is written once:

    doc = lock_document(pk, by)                       # SELECT … FOR UPDATE, the company's row only
    changes = Changes(doc)                            # fields to UPDATE, events, audit rows, log rows
    transition(doc, "approve", by=by, changes=changes)
    return changes.flush()                            # one UPDATE and one INSERT per table

A `Machine` is one table of what may happen (action -> (statuses it may start from, status after))
plus what each action stamps (`posted_at`/`posted_by`), its event topic, payload and refusal.
What other apps attach to posting, voiding and approval is in documents/hooks.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import DomainError, InvalidTransition, NotFound
from openjxc.core.events import make_audit, make_event
from openjxc.core.instances import new_object
from openjxc.core.models import User
from openjxc.core.sql import object_rows, write_together
from openjxc.documents.models import Document, DocumentTransition, Status
from openjxc.stock.access import require_warehouse

# ---------------------------------------------------------------- row locks


def lock_row(queryset, pk, *, company_id: int | None, missing: Callable[[object], DomainError]):
    """The row `pk` of the company, locked FOR UPDATE (its own row only: joined rows stay unlocked);
    `missing(pk)` is raised when there is none (or `pk` is not a key at all)."""
    try:
        row = queryset.select_for_update(of=("self",)).filter(pk=pk, company_id=company_id).first()
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise missing(pk)
    return row


DOCUMENT_RELATED = ("company", "warehouse", "to_warehouse", "partner")


def lock_document(doc: Document | int, by: User, *, check_warehouse: bool = True) -> Document:
    """`doc` (or its id) locked, with its company, warehouses and partner. The user must work in one of its
    warehouses unless `check_warehouse` is False (an approver decides wherever the document lies)."""
    pk = doc.pk if isinstance(doc, Document) else doc
    locked = lock_row(Document.objects.select_related(*DOCUMENT_RELATED), pk, company_id=by.company_id,
                      missing=lambda key: NotFound("document", key))
    if check_warehouse:
        require_warehouse(by, locked.warehouse)
    return locked


# ---------------------------------------------------------------- batched changes


class Changes:
    """What the transitions of one locked row changed, written at `flush()`: one UPDATE of the fields,
    the events, audit records and log rows in one INSERT per table, and the `later` writes (all in one
    statement on PostgreSQL)."""

    def __init__(self, obj):
        self.obj = obj
        self.fields: set[str] = set()
        self.events: list = []
        self.audits: list = []
        self.rows: list = []  # further rows of one model, e.g. the documents' cycle-time log
        # further writes without results, as core.sql.write_together takes them (a posting's line costs, the
        # search row): written with the rest, in one statement on PostgreSQL
        self.later: list[tuple] = []

    def record(self, *, topic: str, action: str, by: User | None, payload: dict, before: dict | None = None) -> None:
        """Queue the outbox event and the audit record of a change of the row."""
        obj = self.obj
        self.events.append(make_event(company=obj.company_id, topic=topic, by=by, obj=obj, payload=payload))
        self.audits.append(make_audit(company=obj.company_id, action=action, obj=obj, by=by, before=before,
                                      after=payload))

    def flush(self):
        writes: list[tuple] = [("update", self.obj, sorted(self.fields))] if self.fields else []
        writes += [("insert", *object_rows(objs), (), ()) for objs in (self.events, self.audits, self.rows) if objs]
        write_together(*writes, *self.later)
        self.fields, self.events, self.audits, self.rows, self.later = set(), [], [], [], []
        return self.obj


# ---------------------------------------------------------------- status machines


def _refuse(obj, action_label: str) -> DomainError:
    return InvalidTransition(action=action_label, number=obj.number, status=obj.get_status_display())


@dataclass(frozen=True)
class Machine:
    """What may happen to the rows of one model, and what each change stamps and records."""

    name: str  # the event topics' prefix: "document" -> document.post
    table: dict[str, tuple[frozenset[str], str]]  # action -> (statuses it may start from, status after)
    labels: Mapping[str, object]  # action -> its translated verb, for refusals
    stamps: dict[str, tuple[str, bool]] = field(default_factory=dict)  # action -> (prefix, with _by): posted_at/_by
    reason_fields: dict[str, str] = field(default_factory=dict)  # action -> the field keeping its reason
    topics: dict[str, str] = field(default_factory=dict)  # action -> event topic, when not "<name>.<action>"
    payload: Callable[..., dict] | None = None  # (row, action, before, after, reason) -> the event's payload
    refuse: Callable[[object, str], DomainError] | None = None  # (row, action) -> the refusal
    log: Callable | None = None  # (changes, action, before, after, by, at, step): a row for the cycle-time log

    def allows(self, obj, action: str) -> bool:
        return obj.status in self.table[action][0]

    def check(self, obj, action: str) -> None:
        """Refuse `action` unless the row's status allows it."""
        if not self.allows(obj, action):
            raise self.refuse(obj, action) if self.refuse else _refuse(obj, str(self.labels[action]))

    def transition(self, obj, action: str, *, by: User | None, reason: str = "", changes: Changes | None = None,
                   step: int | None = None, data: dict | None = None):
        """Move the locked `obj` along the table, stamping who and when, recording the event, the audit record
        and (documents) the cycle-time log; refuse a disallowed change. With `changes` the write is left to
        the caller (several transitions in one UPDATE); `data` joins the event's payload."""
        self.check(obj, action)
        own = changes is None
        changes = changes or Changes(obj)
        before, target = obj.status, self.table[action][1]
        now = clock.now()
        obj.status = target
        changes.fields.add("status")
        if hasattr(obj, "updated_at"):
            obj.updated_at = now
            changes.fields.add("updated_at")
        stamp = self.stamps.get(action)
        if stamp:
            prefix, with_by = stamp
            setattr(obj, f"{prefix}_at", now)
            changes.fields.add(f"{prefix}_at")
            if with_by:
                setattr(obj, f"{prefix}_by", by)
                changes.fields.add(f"{prefix}_by")
        reason_field = self.reason_fields.get(action)
        if reason_field:
            setattr(obj, reason_field, reason[:500])
            changes.fields.add(reason_field)
        if self.payload is not None:
            payload = self.payload(obj, action, before, target, reason[:500])
        else:
            payload = {"from": before, "to": target, "reason": reason[:500]}
        payload.update(data or {})
        changes.record(topic=self.topics.get(action, f"{self.name}.{action}"), action=action, by=by,
                       payload=payload, before={"status": before})
        if self.log is not None:
            self.log(changes, action, before, target, by=by, at=now, step=step)
        return changes.flush() if own else obj


# ---------------------------------------------------------------- the documents' machine

# One table says what may happen to a document: action -> (statuses it may start from, status after).
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    "submit": ({Status.DRAFT}, Status.SUBMITTED),
    "approve": ({Status.SUBMITTED}, Status.APPROVED),
    "reject": ({Status.SUBMITTED}, Status.DRAFT),
    "withdraw": ({Status.SUBMITTED}, Status.DRAFT),  # the requester takes it back
    "post": ({Status.APPROVED}, Status.POSTED),
    "void": ({Status.POSTED}, Status.VOIDED),
    "cancel": ({Status.DRAFT, Status.SUBMITTED, Status.APPROVED}, Status.CANCELLED),
    "close": ({Status.POSTED}, Status.CLOSED),  # an order closed short (documents/orders.close_order)
}

ACTION_LABELS = {
    "submit": _("submit"),
    "approve": _("approve"),
    "reject": _("reject"),
    "withdraw": _("withdraw"),
    "post": _("post"),
    "void": _("void"),
    "cancel": _("cancel"),
    "close": _("close"),
    "edit": _("edit"),
}


def log_document_transition(changes: Changes, action: str, before: str, target: str, *, by: User | None, at,
                            step: int | None = None) -> None:
    """Append the transition to the cycle-time log (reports/cycle_times.py), timed from the document's
    creation and from its previous transition."""
    doc = changes.obj
    logged = [r for r in changes.rows if isinstance(r, DocumentTransition)]
    if logged:
        previous = logged[-1].at
    elif action == "create":  # a new document has no earlier transition: no need to look
        previous = doc.created_at
    else:
        previous = (DocumentTransition.objects.filter(document_id=doc.pk).order_by("-at", "-id")
                    .values_list("at", flat=True).first()) or doc.created_at
    changes.rows.append(new_object(DocumentTransition, {
        "company_id": doc.company_id, "document_id": doc.pk, "kind": doc.kind, "warehouse_id": doc.warehouse_id,
        "action": action, "from_status": before, "to_status": target, "at": at,
        "by_id": by.pk if (by is not None and by.pk) else None, "step": step, "age": at - doc.created_at,
        "waited": max(at - previous, dt.timedelta(0)),
    }))


def _document_payload(doc, action: str, before: str, target: str, reason: str) -> dict:
    return {"number": doc.number, "kind": doc.kind, "from": before, "to": target, "reason": reason}


DOCUMENTS = Machine(
    name="document",
    table={action: (frozenset(starts), target) for action, (starts, target) in TRANSITIONS.items()},
    labels=ACTION_LABELS,
    stamps={"submit": ("submitted", False), "approve": ("approved", True), "post": ("posted", True),
            "void": ("voided", True)},
    reason_fields={"void": "void_reason"},
    payload=_document_payload,
    log=log_document_transition,
)


def transition(doc: Document, action: str, *, by: User | None, reason: str = "", changes: Changes | None = None,
               step: int | None = None) -> Document:
    """Move a locked `doc` along TRANSITIONS, stamping who and when and logging it; refuse a disallowed change.

    With `changes`, the write is left to the caller (several transitions in one UPDATE). `step` is the
    approval step the transition decides, for the cycle-time log.
    """
    return DOCUMENTS.transition(doc, action, by=by, reason=reason, changes=changes, step=step)


__all__ = [
    "ACTION_LABELS", "DOCUMENTS", "TRANSITIONS", "Changes", "Machine", "lock_document", "lock_row",
    "log_document_transition", "transition",
]
