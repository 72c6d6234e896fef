"""When the alert rules are evaluated: after the events that can change them, and by a periodic scan.

A posting hands its items to the worker right after commit (`evaluate_items`). `process_events` reads
the company's outbox through the change feed (never skipping an event that committed late,
sync/feed.py) from the engine's own cursor, every minute: postings and voids re-evaluate the stock rules
for the items they touched (whatever a burst, a lost task or a crashed worker left behind); channel,
terminal, count and approval events re-evaluate their kinds. The ten-minute scan evaluates every rule in full (expiry dates and quiet weeks
change without any event).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from openjxc.core.models import Company
from openjxc.documents import hooks
from openjxc.documents.models import DocumentLine
from openjxc.sync.feed import read_feed

from . import engine, rules
from .rule_models import AlertCursor, AlertKind

# event topic prefix -> the alert kinds it can change (stock kinds are narrowed to the touched items)
TOPIC_KINDS: dict[str, set[str]] = {
    "document.post": set(rules.STOCK_KINDS),
    "document.void": set(rules.STOCK_KINDS),
    "item.updated": {AlertKind.ZERO_COST},  # a standard cost or purchase price given clears it
    "channel.": {AlertKind.CHANNEL_FAILING},
    "terminal.": {AlertKind.TERMINAL},
    "count.": {AlertKind.COUNT_VARIANCE},
    "stock_count.": {AlertKind.COUNT_VARIANCE},
    "approval.": {AlertKind.APPROVAL_OVERDUE},
    "workflow.": {AlertKind.APPROVAL_OVERDUE},
}
BATCH = 1000
logger = logging.getLogger(__name__)


def _documents_items(doc_ids: set[int]) -> set[int]:
    return set(DocumentLine.objects.filter(document_id__in=doc_ids).values_list("item_id", flat=True))


def process_events(company_id: int, *, max_batches: int = 50) -> engine.RunResult:
    """Evaluate the rules that the company's new outbox events may have changed; advance the cursor."""
    total = engine.RunResult()
    for _ in range(max_batches):
        with transaction.atomic():
            # the cursor row is the lock: one reader per company at a time, on every database
            state, _created = AlertCursor.objects.select_for_update().get_or_create(company_id=company_id)
            page = read_feed(company_id=company_id, cursor=state.cursor or None, limit=BATCH)
            docs: set[int] = set()
            kinds: set[str] = set()
            for event in page.events:
                for prefix, touched in TOPIC_KINDS.items():
                    if event.topic.startswith(prefix):
                        if prefix.startswith("document.") and event.object_id.isdigit():
                            docs.add(int(event.object_id))
                        else:
                            kinds |= touched
            if docs:
                total.add(engine.scan_company(company_id, kinds=rules.STOCK_KINDS, items=_documents_items(docs)))
            if kinds:
                total.add(engine.scan_company(company_id, kinds=kinds))
            state.cursor = page.next_cursor
            state.save(update_fields=["cursor", "updated_at"])
        if not page.has_more:
            break
    return total


# per process: when each company's evaluation was last handed to the worker. Postings come in bursts:
# the first one of a burst is evaluated at once (for its items), the rest of the burst by the one-minute
# catch-up that reads the outbox — so an alert is raised within seconds usually, within a minute at worst.
_scheduled: dict[int, float] = {}
DEBOUNCE_SECONDS = 3


@db_task(name="alerts.evaluate_items")
def evaluate_items(company_id: int, item_ids: list[int]):
    try:
        return engine.scan_company(company_id, kinds=rules.STOCK_KINDS, items=set(item_ids)).as_dict()
    except Exception:  # the minute catch-up evaluates them again; never fail the posting that scheduled it
        logger.exception("alert evaluation failed for company %s", company_id)
        return None


def _schedule(company_id: int, item_ids: set[int]) -> None:
    from huey.contrib.djhuey import HUEY

    if not HUEY.immediate:
        now = time.monotonic()
        if now - _scheduled.get(company_id, -DEBOUNCE_SECONDS) < DEBOUNCE_SECONDS:
            return
        _scheduled[company_id] = now
    evaluate_items(company_id, sorted(item_ids))


def after_posting(doc, lines, by) -> None:
    """documents hook: once the posting is committed, look at the rules its items may now break or clear."""
    company_id = doc.company_id
    item_ids = {ln.item_id for ln in lines} if lines is not None else _documents_items({doc.pk})
    transaction.on_commit(lambda: _schedule(company_id, item_ids))


def after_void(doc, by) -> None:
    after_posting(doc, None, by)


def register_hooks() -> None:
    hooks.register(on_post=after_posting, on_void=after_void)


@db_periodic_task(crontab(minute="*"), name="alerts.catch_up_events")
def catch_up_events():
    """Every minute: events nobody processed yet (a worker was down, a hook's task was lost)."""
    return {c.code: process_events(c.pk).as_dict() for c in Company.objects.order_by("pk")}


@db_periodic_task(crontab(minute="*/10"), name="alerts.periodic_scan")
def periodic_scan():
    """Every ten minutes: every rule in full — time-based conditions change without any event."""
    return engine.scan_all()
