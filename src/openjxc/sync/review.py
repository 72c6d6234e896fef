"""The review queue of terminal operations (issue 14, finding 4): an operation whose business date — the till's
own time corrected by its measured clock skew (protocol.Batch.business_on) — is older than the company's window
(terminal setting `review_days`, default 7), lies in a closed month, or is ahead of the posting tolerance, is not
applied and not refused: protocol.py keeps it as a TerminalReview (its payload included) and answers `held`.

A manager (`terminal.review`, in their warehouses) then
* accepts it: it is applied as the terminal would have, with its own date (refused while that month is closed);
* re-dates it: applied with the date the manager gives (audited with the date it carried);
* rejects it with a reason: nothing is posted, the review and its payload stay.

The operation's stored answer becomes the outcome (accepted with its document, or refused with
`terminal.review_rejected`): the terminal reads it by pushing the op again (`duplicate`, `first`) or in the
`reviews` of its pull.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.sync import protocol
from openjxc.sync.models import OpStatus, ReviewStatus, Terminal, TerminalOperation, TerminalReview

# how long a decided review is still reported in the terminal's pull
REPORTED_FOR = dt.timedelta(days=7)


def reviews_for(user: User):
    """The held operations `user` may review: their company's, in the warehouses they are limited to."""
    if not permissions.allowed(user, "terminal.review"):
        return TerminalReview.objects.none()
    qs = TerminalReview.objects.filter(company_id=permissions.company_id_of(user))
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(terminal__warehouse_id__in=scope)
    return qs.select_related("terminal", "terminal__warehouse", "document", "decided_by")


def pending_for(user: User):
    """What waits for `user`'s decision (the inbox's 待办 and the page's first tab)."""
    return reviews_for(user).filter(status=ReviewStatus.PENDING).order_by("id")


def _locked(review_id, by: User) -> TerminalReview:
    permissions.require(by, "terminal.review")
    review = reviews_for(by).select_for_update(of=("self",)).filter(pk=review_id).first()
    if review is None:
        raise NotFound("review", review_id, code="terminal.review_not_found")
    if review.status != ReviewStatus.PENDING:
        raise DomainError("terminal.review_decided", _("This operation was already decided (%(status)s)."),
                          http_status=409, status=str(ReviewStatus(review.status).label))
    return review


def _apply(review: TerminalReview, on: dt.date) -> dict:
    """Apply the held operation as its terminal (the documents name the till), dated `on`; its stored answer."""
    terminal = Terminal.objects.select_related("company", "warehouse", "customer", "user").get(pk=review.terminal_id)
    batch = protocol.Batch(terminal, client_time=None)
    # the push's own path: the same posting, the same negative-stock flag, counters and event
    doc, flags = protocol.post_operation(batch, review.type, review.data, on)
    op = TerminalOperation.objects.select_for_update().get(pk=review.operation_id)
    held_flags = [f for f in (op.result or {}).get("flags") or [] if f not in flags]  # clock_skew, from the push
    result = protocol.record_accepted(batch, op, doc, held_flags + flags, review=_summary(review))
    review.document = doc
    return result


def _summary(review: TerminalReview) -> dict:
    return {"id": review.pk, "reason": review.reason, "business_on": review.business_on.isoformat(),
            "status": review.status, "posted_on": review.posted_on.isoformat() if review.posted_on else None,
            "note": review.note}


def _decided(review: TerminalReview, *, by: User, status: str, posted_on=None, note: str = "") -> None:
    review.status, review.decided_by, review.decided_at = status, by, clock.now()
    review.posted_on, review.note = posted_on, note
    review.save(update_fields=["status", "decided_by", "decided_at", "posted_on", "note", "document"])
    payload = {"terminal": review.terminal.code, "terminal_id": review.terminal_id,
               "warehouse": review.terminal.warehouse_id, "op_id": review.operation.op_id, "status": status,
               "business_on": review.business_on.isoformat(),
               "posted_on": posted_on.isoformat() if posted_on else None,
               "number": review.document.number if review.document_id else None}
    record_event(company=review.company_id, topic="terminal.review_decided", by=by, obj=review, payload=payload)
    record_audit(company=review.company_id, action=f"terminal.review_{status}", obj=review, by=by,
                 before={"status": ReviewStatus.PENDING, "business_on": review.business_on.isoformat()},
                 after={"status": status, "posted_on": payload["posted_on"], "note": note,
                        "document": payload["number"]})


def _note(note, *, required: bool) -> str:
    note = note.strip() if isinstance(note, str) else ""
    if required and not note:
        raise ValidationFailed(field="reason", reason=_("is required"))
    if len(note) > 500:
        raise ValidationFailed(field="reason", reason=_("is longer than 500 characters"))
    return note


@transaction.atomic
def accept_review(review_id: int, *, by: User) -> TerminalReview:
    """Post the held operation with its own business date (refused while that month is closed)."""
    review = _locked(review_id, by)
    _apply(review, review.business_on)
    _decided(review, by=by, status=ReviewStatus.ACCEPTED, posted_on=review.business_on)
    return review


@transaction.atomic
def redate_review(review_id: int, *, by: User, on: dt.date, note: str = "") -> TerminalReview:
    """Post the held operation with the date `on` instead of the one the till gave (audited with both)."""
    review = _locked(review_id, by)
    if not isinstance(on, dt.date):
        raise ValidationFailed(field="business_on", reason=_("is not a date"))
    _apply(review, on)
    _decided(review, by=by, status=ReviewStatus.REDATED, posted_on=on, note=_note(note, required=False))
    return review


@transaction.atomic
def reject_review(review_id: int, *, by: User, note: str) -> TerminalReview:
    """Refuse the held operation with a reason: nothing is posted; the review and its payload are kept."""
    review = _locked(review_id, by)
    note = _note(note, required=True)
    op = TerminalOperation.objects.select_for_update().get(pk=review.operation_id)
    error = DomainError("terminal.review_rejected", _("A manager rejected this operation: %(reason)s"),
                        http_status=422, reason=note)
    op.status = OpStatus.REFUSED
    op.result = {"id": op.op_id, "status": "refused", "error": protocol.error_dict(error),
                 "review": {**_summary(review), "status": ReviewStatus.REJECTED, "note": note}}
    op.save(update_fields=["status", "result"])
    Terminal.objects.filter(pk=review.terminal_id).update(refused_count=F("refused_count") + 1)
    _decided(review, by=by, status=ReviewStatus.REJECTED, note=note)
    return review


def reported_to(terminal: Terminal) -> list[dict]:
    """The terminal's held operations still waiting or decided in the last 7 days (its pull's `reviews`)."""
    since = clock.now() - REPORTED_FOR
    rows = (TerminalReview.objects.filter(Q(status=ReviewStatus.PENDING) | Q(decided_at__gte=since), terminal=terminal)
            .select_related("operation").order_by("id")[:200])
    return [{"op_id": r.operation.op_id, **_summary(r), "result": r.operation.result} for r in rows]
