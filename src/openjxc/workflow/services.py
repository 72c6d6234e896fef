"""Workflow services, one import away: flows, the approval engine, delegation, the working calendar, timers.

Every service takes the acting user (`by`, None only for the timers), runs in the caller's or its own
transaction, writes outbox events and audit records there, and refuses bad input with a DomainError
before writing. The document's status changes only through documents/lifecycle.transition(). The
services live by what they do — flows.py, engine.py, timers.py, delegation.py, calendar.py — and are
gathered here for callers that want them all.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.documents import transitions as docs
from openjxc.documents.models import Document, Status
from openjxc.workflow.calendar import set_calendar
from openjxc.workflow.delegation import cancel_delegation, create_delegation
from openjxc.workflow.engine import (
    NotApprover,
    decide,
    delegates_for,
    end_approval,
    holders_of,
    pending_approval,
    resync_approvers,
    start_approval,
    undecided,
    withdraw_approval,
)
from openjxc.workflow.flows import (
    MANAGERS,
    applicable_flow,
    check_steps,
    create_flow,
    latest_version,
    require_manage,
    update_flow,
)
from openjxc.workflow.timers import fire_due_timers


@transaction.atomic
def act(doc: Document | int, *, by, action: str, comment: str = "") -> Document:
    """approve / reject / withdraw a document through the documents services (the API's one entry)."""
    if action == "approve":
        return docs.approve_document(doc, by=by, comment=comment)
    if action == "reject":
        return docs.reject_document(doc, by=by, reason=comment)
    if action == "withdraw":
        return docs.withdraw_document(doc, by=by, reason=comment)
    raise ValidationFailed(field="action", reason=_("must be approve, reject or withdraw"))


__all__ = [
    "MANAGERS", "Conflict", "DomainError", "NotApprover", "NotFound", "PermissionDenied", "Status",
    "ValidationFailed", "act", "applicable_flow", "cancel_delegation", "check_steps", "clock", "create_delegation",
    "create_flow", "decide", "delegates_for", "end_approval", "fire_due_timers", "holders_of", "latest_version",
    "pending_approval", "require_manage", "resync_approvers", "set_calendar", "start_approval", "undecided",
    "update_flow", "withdraw_approval",
]
