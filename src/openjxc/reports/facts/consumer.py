"""The facts consumer: reads the change feed (sync/feed.py) after its cursor and adds what each event did.

Exactly once: a batch — lock the company's FactCursor row, read up to BATCH events after the cursor, add their
changes to the facts, move the cursor past them — is one transaction. A crash anywhere rolls all of it back, so
the next run reads the same events again; the cursor never moves without the facts, nor the facts without it.
The feed itself never skips a late-committing transaction nor repeats an event (decision 0009).

Which rows an event stands for: a `stock.changed` event lists the ids of the moves its posting wrote, a
`stock.recosted` event those of the cost-only corrections re-costing wrote; a
document event names a document whose lines are final once posted; finance events name the documents,
receipts/payments and allocations whose ledger rows are added once each (partners.py).

A company without a cursor, or with facts of an older layout (VERSION), is rebuilt from the ledgers first.

A batch that changed the facts writes one `reports.facts` event in its transaction (FACTS_TOPIC): screens that
read the facts (the cockpit) refresh on it, so they show a posting once its facts exist and their GET never
needs to bring the facts up to date itself (a GET writes nothing). The consumer reads its own event like any
other and passes over it (it changes no fact, so it is never followed by another).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from openjxc.core import clock
from openjxc.core.events import record_event
from openjxc.core.models import Company
from openjxc.reports.facts.deltas import Deltas
from openjxc.reports.facts.docinfo import DocInfo
from openjxc.reports.facts.documents import ACTIONS, add_documents
from openjxc.reports.facts.months import close_months, first_of, previous_month
from openjxc.reports.facts.movecounts import recount
from openjxc.reports.facts.partners import add_partner_rows
from openjxc.reports.facts.rebuild import VERSION, rebuild
from openjxc.reports.facts.stock import add_moves, fetch_moves, move_ranges, places
from openjxc.reports.models import FactCursor
from openjxc.sync.feed import decode_cursor, read_feed

log = logging.getLogger(__name__)
BATCH = 1000
FACTS_TOPIC = "reports.facts"


@dataclass
class Progress:
    events: int = 0
    batches: int = 0
    rows: int = 0
    rebuilt: bool = False
    caught_up: bool = False


def due_month(company) -> object:
    """The last month whose checkpoints can be written: the one before the company's current month."""
    return previous_month(first_of(clock.today(company.time_zone)))


def apply_events(company, events: list, deltas: Deltas) -> None:
    """Add the changes `events` (FeedEvents of one company, in feed order) stand for to `deltas`."""
    ranges: list[tuple[int, int]] = []
    actions: list[tuple[int, str]] = []
    documents: set[int] = set()
    settlements: set[int] = set()
    allocations: set[int] = set()
    for e in events:
        topic, kind, oid = e.topic, e.object_type, e.object_id
        if topic in ("stock.changed", "stock.recosted"):  # a posting's moves; re-costing's corrections
            ranges += move_ranges(topic, e.payload)
        elif not oid.isdigit():
            continue
        elif kind == "documents.document" and topic.startswith("document."):
            action = topic.split(".", 1)[1]
            if action in ACTIONS:
                actions.append((int(oid), action))
                documents.add(int(oid))
        elif kind == "finance.settlement":
            settlements.add(int(oid))
        elif kind == "finance.allocation":
            allocations.add(int(oid))
        elif kind == "documents.document" and topic.startswith("allocation."):
            documents.add(int(oid))
    info = DocInfo(company.pk, company.time_zone)
    if ranges:
        moves = fetch_moves(company.pk, ranges)
        add_moves(deltas, moves, places(company.pk), info)
        recount(company.pk, {row[10] for row in moves})  # the home page's moves per day (movecounts.py)
    if actions:
        add_documents(deltas, actions, info)
    if documents or settlements or allocations:
        add_partner_rows(deltas, documents=documents, settlements=settlements, allocations=allocations)


def consume_batch(company, *, limit: int = BATCH) -> tuple[int, int, bool]:
    """One transaction: the next `limit` events into the facts. (events read, rows written, more waiting)."""
    with transaction.atomic():
        state = FactCursor.objects.select_for_update().filter(company=company).first()
        if state is None or state.version != VERSION:
            raise NeedsRebuild(company.code)
        page = read_feed(company_id=company.pk, cursor=state.cursor, limit=limit)
        skip = {tuple(k) for k in state.skip}
        events = [e for e in page.events if tuple(decode_cursor(e.cursor, company_id=company.pk)) not in skip]
        deltas = Deltas(company.pk)
        apply_events(company, events, deltas)
        rows = deltas.flush(state.closed_through)
        rows += close_months(state, due_month(company))
        if rows:  # the screens reading the facts (cockpit) refresh on this, on every app server
            record_event(company=company, topic=FACTS_TOPIC, obj=state,
                         payload={"events": len(page.events), "rows": rows})
        after = decode_cursor(page.next_cursor, company_id=company.pk)
        state.cursor = page.next_cursor
        state.skip = [list(k) for k in sorted(skip) if k > after]
        state.events += len(page.events)
        state.updated_at = clock.now()
        state.save(update_fields=["cursor", "skip", "closed_through", "events", "updated_at"])
        return len(page.events), rows, page.has_more


class NeedsRebuild(Exception):
    pass


def consume(company, *, limit: int = BATCH, max_batches: int | None = None, on_batch=None) -> Progress:
    """Bring one company's facts up to the feed's head (or `max_batches` batches); rebuild first if needed."""
    progress = Progress()
    passed_own = False
    while max_batches is None or progress.batches < max_batches:
        try:
            n, rows, more = consume_batch(company, limit=limit)
        except NeedsRebuild:
            rebuild(company)
            with transaction.atomic():  # the facts changed as much as they can: the screens read them again
                record_event(company=company, topic=FACTS_TOPIC, payload={"rebuilt": True})
            progress.rebuilt = True
            continue
        progress.batches += 1
        progress.events += n
        progress.rows += rows
        if on_batch:
            on_batch(progress)
        if not more:
            if rows and not passed_own:  # read past this batch's own reports.facts event: the cursor ends at the head
                passed_own = True
                continue
            progress.caught_up = True
            break
    return progress


def consume_all(*, limit: int = BATCH, max_batches: int | None = None) -> dict[str, Progress]:
    """Every company, one after the other (the periodic task)."""
    out = {}
    for company in Company.objects.order_by("pk"):
        out[company.code] = consume(company, limit=limit, max_batches=max_batches)
    return out
