"""Document services, one import away: create, edit, the lifecycle transitions, posting, 下推.

Every service takes the acting user (`by`), runs in one transaction, writes an outbox event and
an audit record, and refuses bad input with a DomainError before anything is written. They live by
what they do — documents/create.py, transitions.py, posting.py, pushdown.py, on the seam in
lifecycle.py — and are gathered here for callers that want them all.
"""

from __future__ import annotations

from openjxc.documents.create import (
    MAX_LINES,
    LineInput,
    create_document,
    create_document_here,
    update_document,
)
from openjxc.documents.lifecycle import ACTION_LABELS, TRANSITIONS, Changes, lock_document, transition
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.posting import post_document, void_document
from openjxc.documents.pushdown import create_from, push_down
from openjxc.documents.sources import remaining_quantities, source_left
from openjxc.documents.transitions import (
    LIFECYCLE,
    STEPS,
    advance_document,
    approve_document,
    cancel_document,
    reject_document,
    submit_document,
    withdraw_document,
)
from openjxc.stock.models import StockMove

__all__ = [
    "ACTION_LABELS", "Document", "DocumentLine", "Status", "StockMove", "LIFECYCLE", "MAX_LINES", "STEPS", "TRANSITIONS", "Changes", "LineInput", "advance_document",
    "approve_document", "cancel_document", "create_document", "create_document_here", "create_from", "lock_document",
    "post_document", "push_down", "reject_document", "remaining_quantities", "source_left", "submit_document",
    "transition", "update_document", "void_document", "withdraw_document",
]
