"""The steps before posting: submit, approve, reject, withdraw, cancel, and carrying a document on to a status.

Approval goes through the approval gate when one is installed (documents/hooks.py; the workflow app's
flows): a document waiting in a flow is decided step by step by its approvers, otherwise one manager
approves it. These services never import workflow; they ask the gate.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError, PermissionDenied, ValidationFailed
from openjxc.core.models import User
from openjxc.documents import hooks
from openjxc.documents.lifecycle import Changes, lock_document, transition
from openjxc.documents.models import Document, Status
from openjxc.documents.posting import post_locked
from openjxc.documents.valuation import refresh_estimate


def _in_flow(doc, by: User) -> Document | None:
    """The locked document when it waits in an approval flow (whose approvers, not roles, may decide).

    An approver may decide wherever the document lies, so the lock skips the warehouse check."""
    gate = hooks.approval_gate()
    pk = doc.pk if isinstance(doc, Document) else doc
    if gate is None or by.company_id is None or not gate.is_pending(pk):
        return None
    return lock_document(pk, by, check_warehouse=False)


def _submit(doc: Document, *, by: User, changes: Changes, lines=None) -> None:
    if refresh_estimate(doc, lines):  # the average may have moved since the lines were saved
        changes.fields.add("cost_total")
    transition(doc, "submit", by=by, changes=changes)
    gate = hooks.approval_gate()
    if gate is not None:
        gate.start(doc, by=by)


@transaction.atomic
def submit_document(doc, *, by: User) -> Document:
    """Send a draft for approval; the applicable approval flow (workflow app), if any, starts."""
    permissions.require(by, "document.submit")
    doc = lock_document(doc, by)
    changes = Changes(doc)
    _submit(doc, by=by, changes=changes)
    return changes.flush()


def _decide(doc: Document, *, by: User, approve: bool, comment: str) -> Document:
    changes = Changes(doc)
    gate = hooks.approval_gate()
    if gate is None:  # no approval engine installed: a manual approve/reject needs no gate
        raise ValidationFailed(field="status", reason=_("has no approval flow to decide"))
    gate.decide(doc, by=by, approve=approve, comment=comment, changes=changes)
    return changes.flush()


@transaction.atomic
def approve_document(doc, *, by: User, comment: str = "") -> Document:
    """Approve a submitted document: in an approval flow, `by`'s decision on the current step (approved
    after the last step); otherwise the single approval by a manager."""
    flowing = _in_flow(doc, by)
    if flowing is not None:
        return _decide(flowing, by=by, approve=True, comment=comment)
    permissions.require(by, "document.approve")
    return transition(lock_document(doc, by), "approve", by=by)


@transaction.atomic
def reject_document(doc, *, by: User, reason: str = "") -> Document:
    """Send a submitted document back to its author as a draft, with the reason."""
    flowing = _in_flow(doc, by)
    if flowing is not None:
        return _decide(flowing, by=by, approve=False, comment=reason)
    permissions.require(by, "document.approve")
    return transition(lock_document(doc, by), "reject", by=by, reason=reason)


@transaction.atomic
def withdraw_document(doc, *, by: User, reason: str = "") -> Document:
    """The requester takes a submitted document back to draft; its approval (if any) ends."""
    flowing = _in_flow(doc, by)
    doc = flowing if flowing is not None else lock_document(doc, by)
    gate = hooks.approval_gate()
    requester = (gate.requester(doc) if gate is not None else None) or doc.created_by_id
    if by.pk != requester:
        raise PermissionDenied(action=_("withdraw a document someone else submitted"))
    reason = (reason or "").strip()[:500]
    changes = Changes(doc)
    if gate is not None:
        gate.withdraw(doc, by=by, reason=reason)
    transition(doc, "withdraw", by=by, reason=reason, changes=changes)
    return changes.flush()


@transaction.atomic
def cancel_document(doc, *, by: User, reason: str = "") -> Document:
    """Cancel a document that was never posted. Nothing is deleted."""
    permissions.require(by, "document.cancel")
    doc = lock_document(doc, by)
    gate = hooks.approval_gate()
    if gate is not None:
        gate.end(doc, by=by, reason=reason)
    return transition(doc, "cancel", by=by, reason=reason)


LIFECYCLE: list[str] = [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.POSTED]
STEPS = [(Status.SUBMITTED, "submit"), (Status.APPROVED, "approve"), (Status.POSTED, "post")]


@transaction.atomic
def advance_document(doc, *, by: User, to: str) -> Document:
    """Carry a document through submit → approve → post up to status `to`, each step checked as usual.

    One lock, one UPDATE: the steps are recorded one by one (events, audit) but written together.
    """
    doc = lock_document(doc, by)
    changes = Changes(doc)
    advance(doc, by=by, to=to, changes=changes)
    return changes.flush()


def advance(doc: Document, *, by: User, to: str, changes: Changes, lines=None) -> None:
    """`advance_document` on a locked (or just created) document, its writes batched in `changes`."""
    if to not in LIFECYCLE[1:]:
        raise ValidationFailed(field="advance_to", reason=_("must be submitted, approved or posted"))
    for status, action in STEPS[: LIFECYCLE.index(to)]:
        if doc.status in LIFECYCLE and LIFECYCLE.index(doc.status) >= LIFECYCLE.index(status):
            continue
        if action == "approve" and _advance_in_flow(doc, by=by, changes=changes):
            continue
        permissions.require(by, f"document.{action}")
        if action == "post":
            post_locked(doc, by, changes, lines=lines)
        elif action == "submit":
            _submit(doc, by=by, changes=changes, lines=lines)
        else:
            transition(doc, action, by=by, changes=changes)


def _advance_in_flow(doc: Document, *, by: User, changes: Changes) -> bool:
    """In an approval flow, advancing means `by` approves the current step; refused when steps remain."""
    gate = hooks.approval_gate()
    if gate is None or not gate.is_pending(doc.pk):
        return False
    gate.decide(doc, by=by, approve=True, comment="", changes=changes)
    if doc.status == Status.SUBMITTED:
        raise DomainError("workflow.awaiting", _("%(number)s still waits for approval: %(step)s."), http_status=409,
                          number=doc.number, step=gate.waiting_step(doc))
    return True
