"""Stock count services, one import away: plans, counts, counting while the warehouse keeps operating, and the
adjustment. They live by what they do — plans.py, counting.py, adjustment.py, on rules.py (roles, checks,
the status machine) — and are gathered here for callers that want them all.
"""

from __future__ import annotations

from openjxc.counts.adjustment import create_count_document
from openjxc.counts.counting import (
    EntryInput,
    EntryResult,
    beyond_tolerance,
    cancel_count,
    create_count,
    finish_count,
    record_entries,
    request_recount,
    set_reason,
    start_count,
)
from openjxc.counts.plans import (
    PLAN_FIELDS,
    create_count_from_plan,
    create_due_counts,
    create_plan,
    update_plan,
)
from openjxc.counts.rules import (
    BOOK_READERS,
    COUNT_PREFIX,
    COUNTERS,
    COUNTS,
    MANAGERS,
    MAX_ENTRIES,
    lock_count,
    may_see_book,
)

__all__ = [
    "BOOK_READERS", "COUNTERS", "COUNTS", "COUNT_PREFIX", "MANAGERS", "MAX_ENTRIES", "PLAN_FIELDS", "EntryInput",
    "EntryResult", "beyond_tolerance", "cancel_count", "create_count", "create_count_document",
    "create_count_from_plan", "create_due_counts", "create_plan", "finish_count", "lock_count", "may_see_book",
    "record_entries", "request_recount", "set_reason", "start_count", "update_plan",
]
