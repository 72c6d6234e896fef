"""The push side of the terminal protocol: apply a batch of offline operations exactly once each.

Every operation runs in its own transaction, which also writes the (company, op id) row holding the
payload's SHA-256 and the result. So "done" and "remembered" commit together:

* a retry of an operation that committed (the answer was lost) finds the row and gets the first
  result back as `duplicate`, and nothing is applied twice;
* two uploads of the same operation at the same moment (two app servers) meet on the unique key:
  the second waits for the first to commit, rolls back its own attempt and replays the first result;
* the same id with a different payload is refused (`terminal.op_id_reused`) and nothing is stored;
* a refused operation (any DomainError) is stored as refused and never blocks the operations after it;
* the database failing mid-batch answers `retry` for that operation and the rest: the terminal keeps them.

Offline sales are facts: they are accepted even when they take store stock below zero, flagged
`negative_stock` in the answer and raised as a `terminal.negative_stock` event.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
import os
import time
import zoneinfo
from collections import Counter
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.company_settings import future_date_tolerance
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.events import record_event
from openjxc.core.instances import new_object
from openjxc.core.sql import fetch_objects, insert_objects, update_fields
from openjxc.documents.models import Document
from openjxc.stock.periods import closed_through
from openjxc.sync import terminals
from openjxc.sync.models import (
    OpStatus,
    ReviewReason,
    Terminal,
    TerminalKind,
    TerminalOperation,
    TerminalReview,
)
from openjxc.sync.operations import HANDLERS, count_entry

log = logging.getLogger(__name__)

MAX_BATCH = 500
# SQLite: operations applied in one transaction for at most this long (decision 0029)
GROUP_SECONDS = 0.1
MAX_OP_ID = 64
OP_TYPES = {
    "sale": {TerminalKind.POS},
    "return": {TerminalKind.POS},
    "receipt_scan": {TerminalKind.PDA},
    "count_entry": {TerminalKind.PDA, TerminalKind.POS},
}


def payload_sha256(op_type: str, data: Any) -> str:
    """The hash that decides whether a repeated op id carries the same operation (canonical JSON)."""
    raw = json.dumps({"type": op_type, "data": data}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                     default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _parse_time(value, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(field=field, reason=_("is not an ISO 8601 time")) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(field=field, reason=_("needs a time zone (e.g. 2026-11-24T10:00:00+08:00)"))
    return parsed


class Batch:
    """What one push knows about its terminal and its clock, shared by its operations."""

    def __init__(self, terminal: Terminal, *, client_time: dt.datetime | None):
        self.terminal = terminal
        self.received_at = clock.now()
        self.conf = terminals.terminal_settings(terminal.company)
        self.skew = (client_time - self.received_at).total_seconds() if client_time else None
        self.skewed = self.skew is not None and abs(self.skew) > self.conf["skew_seconds"]
        self.negative: dict[int, list] = {}  # document id -> what its posting took below zero
        # the terminal's accepted/refused/negative counts of a SQLite group, written once at its end (push)
        self.counts: Counter[str] | None = None

    def business_on(self, device_at: dt.datetime | None) -> dt.date | None:
        """The sale's business date: the device's time corrected by its clock skew, in the company zone.

        The skew is the one measured on this push (its `client_time` against the server's clock), else the
        last one measured (Terminal.clock_skew_seconds). A corrected time still ahead of the server keeps its
        date only when that date is after the posting tolerance (then it is held for review as `future`);
        otherwise it is taken as now (the correction was a few seconds off)."""
        if device_at is None:
            return None
        skew = self.skew if self.skew is not None else (self.terminal.clock_skew_seconds or 0)
        corrected = device_at - dt.timedelta(seconds=skew)
        zone = zoneinfo.ZoneInfo(self.terminal.company.time_zone)
        if corrected > self.received_at and corrected.astimezone(zone).date() <= self.latest_on():
            corrected = self.received_at
        return corrected.astimezone(zone).date()

    def today(self) -> dt.date:
        return self.received_at.astimezone(zoneinfo.ZoneInfo(self.terminal.company.time_zone)).date()

    def latest_on(self) -> dt.date:
        """The latest business date the company posts (today plus its posting tolerance)."""
        return self.today() + dt.timedelta(days=future_date_tolerance(self.terminal.company))

    def hold_reason(self, business_on: dt.date | None) -> str | None:
        """Why an operation of this date waits for a manager (sync/review.py), or None to apply it now."""
        if business_on is None:
            return None
        # only a month that has ended can be closed: today's sales ask nothing more of the database
        if business_on < self.today().replace(day=1):
            closed = self.closed_through()
            if closed is not None and business_on <= closed:
                return ReviewReason.CLOSED_PERIOD
        if business_on > self.latest_on():
            return ReviewReason.FUTURE
        if business_on < self.today() - dt.timedelta(days=self.conf["review_days"]):
            return ReviewReason.TOO_OLD
        return None

    def closed_through(self) -> dt.date | None:
        if not hasattr(self, "_closed_through"):
            self._closed_through = closed_through(self.terminal.company_id)
        return self._closed_through


def push(terminal: Terminal, *, ops: list[dict], client_time=None, backlog: dict | None = None) -> dict:
    """Apply a batch of operations in order, each atomically on its own; answer per operation.

    `client_time` is the device clock when it sent the batch (the skew is measured from it);
    `backlog` is {"count", "oldest_at"} of the device's outbox, reported for the terminals page.

    On PostgreSQL each operation is its own transaction. On SQLite, which has one writer, the operations
    of up to GROUP_SECONDS run in one transaction, each in its own savepoint (decision 0029): what one
    operation does is still all or nothing, a refused one still never touches the others, and an answer
    is sent only for what has committed — a database error answers `retry` for the whole uncommitted
    group and every operation after it.
    """
    if not isinstance(ops, list):
        raise ValidationFailed(field="ops", reason=_("must be a list"))
    if len(ops) > MAX_BATCH:
        raise ValidationFailed(field="ops", reason=_("has more than %(n)s operations") % {"n": MAX_BATCH})
    batch = Batch(terminal, client_time=_parse_time(client_time, "client_time"))
    report_contact(terminal, batch=batch, backlog=backlog, pushed=True)
    grouped = connection.vendor == "sqlite"
    answers: list[dict] = []
    unavailable = None
    while len(answers) < len(ops):
        done = len(answers)
        group: list[dict] = []
        try:
            with transaction.atomic() if grouped else contextlib.nullcontext():
                batch.counts = Counter() if grouped else None
                known = _known(terminal, ops[done:])
                started = time.monotonic()
                while done + len(group) < len(ops):
                    n = done + len(group)
                    group.append(apply_operation(batch, ops[n], index=n, known=known))
                    if not grouped:
                        _fault_hook(1)
                    elif time.monotonic() - started >= GROUP_SECONDS or _fault_due(len(group)):
                        break
                if batch.counts:
                    Terminal.objects.filter(pk=terminal.pk).update(**{f: F(f) + n for f, n in batch.counts.items()})
        except DatabaseError as exc:
            log.warning("terminal %s: database error at op %s: %s", terminal.code, done + len(group), exc)
            unavailable = {"code": "server.unavailable",
                           "message": str(_("The server's database is unavailable; try again later.")), "data": {}}
            answers.extend(group if not grouped else [])  # on PostgreSQL those before the failure committed
            answers.extend({"id": _op_id(op), "status": "retry", "error": unavailable} for op in ops[len(answers):])
            break
        answers.extend(group)
        if grouped:
            _fault_hook(len(group))
    refused = []
    for op, answer in zip(ops, answers, strict=True):
        answer.pop("stored", None)
        op_type = op.get("type") if isinstance(op, dict) else None
        if answer["status"] == "refused" and not terminals.is_slip(op_type, answer["error"]["code"]):
            refused.append({"id": answer["id"], "code": answer["error"]["code"]})
    if refused and unavailable is None:
        try:
            with transaction.atomic():
                record_event(company=terminal.company_id, topic="terminal.refused", obj=terminal,
                             payload={"terminal": terminal.code, "terminal_id": terminal.pk,
                                      "warehouse": terminal.warehouse_id, "refused": refused})
        except DatabaseError:
            log.warning("terminal %s: could not record terminal.refused", terminal.code)
    return {
        "server_time": clock.now().isoformat(),
        "clock_skew_seconds": batch.skew,
        "clock_skewed": batch.skewed,
        "results": answers,
    }


def _known(terminal: Terminal, ops: list) -> dict[str, TerminalOperation]:
    """The operations of `ops` this company has already stored, by op id: one statement for the batch (or, on
    SQLite, for each group, read under the write lock). One stored after this read meets the unique key on its
    INSERT and is answered from the row then (apply_operation)."""
    ids = sorted({op_id for op in ops if (op_id := _op_id(op)) and len(op_id) <= MAX_OP_ID})
    if not ids:
        return {}
    # the ORM's filter(company_id=…, op_id__in=ids), without compiling it for every group
    rows = fetch_objects(TerminalOperation, f"company_id = %s AND op_id IN ({', '.join(['%s'] * len(ids))})",
                         [terminal.company_id, *ids])
    return {row.op_id: row for row in rows}


_applied_in_process = 0


def _fault_limit() -> int:
    limit = os.environ.get("JXC_FAULT_EXIT_AFTER_OPS")
    return int(limit) if limit else 0


def _fault_due(pending: int) -> bool:
    """Fault tests only: end a SQLite group where JXC_FAULT_EXIT_AFTER_OPS falls, so the process exits right after
    committing exactly that many operations."""
    limit = _fault_limit()
    return bool(limit) and _applied_in_process + pending >= limit


def _fault_hook(committed: int) -> None:
    """Fault tests only: JXC_FAULT_EXIT_AFTER_OPS=N kills this server process right after the N-th
    operation it has committed, mid-batch, before any answer is sent (tests/sync/test_faults.py)."""
    global _applied_in_process
    limit = _fault_limit()
    if not limit:
        return
    _applied_in_process += committed
    if _applied_in_process >= limit:
        log.error("JXC_FAULT_EXIT_AFTER_OPS=%s reached: exiting mid-batch (fault test)", limit)
        os._exit(70)


def report_contact(terminal: Terminal, *, batch: Batch | None = None, backlog: dict | None = None,
                   client_time=None, pushed=False, pulled_cursor: str | None = None) -> None:
    """Record a contact: time, measured clock skew, the reported backlog; raise/clear the skew alert."""
    if batch is None and client_time is not None:
        batch = Batch(terminal, client_time=_parse_time(client_time, "client_time"))
    now = clock.now()
    fields: dict = {}
    backlog_event = None
    if pushed:
        fields["last_push_at"] = now
    if pulled_cursor is not None:
        fields["last_pull_at"] = now
        fields["pull_cursor"] = str(pulled_cursor)[:64]
    if backlog is not None:
        count = backlog.get("count") or 0
        if not isinstance(count, int) or count < 0:
            raise ValidationFailed(field="backlog.count", reason=_("must be a whole number, 0 or more"))
        oldest = _parse_time(backlog.get("oldest_at"), "backlog.oldest_at") if count else None
        fields["backlog_count"] = count
        fields["backlog_oldest_at"] = oldest
        conf = batch.conf if batch else terminals.terminal_settings(terminal.company)
        if not count or oldest is None or now - oldest <= dt.timedelta(minutes=conf["backlog_minutes"]):
            fields["backlog_alerted_at"] = None
        elif terminal.backlog_alerted_at is None:  # raised here at once, not only by the periodic check
            fields["backlog_alerted_at"] = now
            backlog_event = {"terminal": terminal.code, "terminal_id": terminal.pk,
                             "warehouse": terminal.warehouse_id, "backlog": count, "oldest_at": oldest.isoformat(),
                             "minutes": conf["backlog_minutes"]}
    skew_event = None
    if batch is not None and batch.skew is not None:
        fields["clock_skew_seconds"] = batch.skew
        if batch.skewed and terminal.skew_alerted_at is None:
            fields["skew_alerted_at"] = now
            skew_event = {"terminal": terminal.code, "terminal_id": terminal.pk, "warehouse": terminal.warehouse_id,
                          "skew_seconds": batch.skew, "threshold": batch.conf["skew_seconds"]}
        elif not batch.skewed:
            fields["skew_alerted_at"] = None
    with transaction.atomic():
        terminals.touch(terminal, **fields)
        if skew_event:
            record_event(company=terminal.company_id, topic="terminal.clock_skew", obj=terminal, payload=skew_event)
        if backlog_event:
            record_event(company=terminal.company_id, topic="terminal.backlog_old", obj=terminal,
                         payload=backlog_event)


def _op_id(op) -> str | None:
    value = op.get("id") if isinstance(op, dict) else None
    return value if isinstance(value, str) else None


def error_dict(exc: DomainError) -> dict:
    """The refusal as plain JSON (messages rendered now, in the request's language; lazy texts made strings)."""
    return json.loads(json.dumps(exc.as_dict(), default=str, ensure_ascii=False))


def _refusal(op_id, exc: DomainError, *, stored=True) -> dict:
    return {"id": op_id, "status": "refused", "error": error_dict(exc), "stored": stored}


def apply_operation(batch: Batch, op: dict, *, index: int = 0, known: dict | None = None) -> dict:
    """Apply one operation exactly once; answer accepted / duplicate / refused. `known`: the batch's stored
    operations by op id (push's `_known`); without it the operation's row is looked up here."""
    terminal = batch.terminal
    op_id = _op_id(op)
    if not isinstance(op, dict) or not op_id or len(op_id) > MAX_OP_ID or "\x00" in op_id:
        return _refusal(op_id, ValidationFailed(field=f"ops[{index}].id",
                                                reason=_("must be a string of 1 to 64 characters")), stored=False)
    op_type = op.get("type")
    data = op.get("data")
    sha = payload_sha256(op_type, data)
    if known is not None:
        existing = known.get(op_id)
    else:
        existing = TerminalOperation.objects.filter(company_id=terminal.company_id, op_id=op_id).first()
    if existing is not None:
        return _replay(existing, op_id, sha)
    seq = op.get("seq")
    try:
        if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63):
            raise ValidationFailed(field=f"ops[{index}].seq", reason=_("must be a whole number, 0 or more"))
        device_at = _parse_time(op.get("created_at"), f"ops[{index}].created_at")
    except DomainError as exc:
        return _refusal(op_id, exc, stored=False)
    try:
        with transaction.atomic():
            # claim the id first: a concurrent upload of the same op waits here until this one ends
            row = new_object(TerminalOperation, {
                "company_id": terminal.company_id, "terminal": terminal, "op_id": op_id, "seq": seq,
                "type": str(op_type)[:32], "payload_sha256": sha, "status": OpStatus.REFUSED, "device_at": device_at,
                "received_at": batch.received_at,
            })
            insert_objects([row], returning_pk=True)  # the ORM's save, without compiling its INSERT per operation
            try:
                with transaction.atomic():
                    doc, flags = _handle(batch, op_type, data, device_at)
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - bad input that slipped past a check is a refusal, not a 500
                if not isinstance(exc, DomainError):
                    log.exception("terminal %s: op %s failed", terminal.code, op_id)
                    exc = DomainError("terminal.op_invalid", _("The operation could not be applied: %(reason)s"),
                                      http_status=422, reason=str(exc)[:200])
                row.result = {"id": op_id, "status": "refused", "error": error_dict(exc)}
                update_fields(row, ["result"])
                if not terminals.is_slip(op_type, exc.code):  # a typo at the scan field is not a failure
                    _count(batch, refused_count=1)
                return {**row.result, "stored": True}
            if batch.skewed:
                flags.append("clock_skew")
            if isinstance(doc, Held):
                return _hold(batch, row, doc, str(op_type), data, flags)
            return record_accepted(batch, row, doc, flags)
    except IntegrityError:
        # the same op committed concurrently (another request, another server): answer with its result
        existing = TerminalOperation.objects.filter(company_id=terminal.company_id, op_id=op_id).first()
        if existing is None:
            raise
        return _replay(existing, op_id, sha)


def record_accepted(batch: Batch, row: TerminalOperation, doc: Document | dict, flags: list[str], **extra) -> dict:
    """Store an applied operation's answer and count it on its terminal; a sale that took stock below zero is
    flagged and raised as `terminal.negative_stock`. The one way an operation becomes accepted: a push
    (apply_operation) and a manager accepting a held one (sync/review.py) both end here."""
    terminal = batch.terminal
    row.status = OpStatus.ACCEPTED
    row.is_negative = "negative_stock" in flags
    if isinstance(doc, Document):
        row.document = doc
        row.result = {"id": row.op_id, "status": "accepted",
                      "document": {"id": doc.pk, "number": doc.number, "kind": doc.kind}, "flags": flags, **extra}
    else:  # a count entry: recorded on the count, no document of its own
        row.result = {"id": row.op_id, "status": "accepted", **doc, "flags": flags, **extra}
    update_fields(row, ["status", "document", "is_negative", "result"])
    _count(batch, accepted_count=1, negative_count=1 if row.is_negative else 0)
    if row.is_negative and isinstance(doc, Document):
        record_event(company=terminal.company_id, topic="terminal.negative_stock", obj=doc, payload={
            "terminal": terminal.code, "terminal_id": terminal.pk, "warehouse": terminal.warehouse_id,
            "op_id": row.op_id, "number": doc.number, "negative": batch.negative.get(doc.pk, []),
        })
    return dict(row.result)


def _count(batch: Batch, **counts: int) -> None:
    """Add to the terminal's operation counts: at once, or at the end of the SQLite group (in its transaction)."""
    if batch.counts is not None:
        batch.counts.update({f: n for f, n in counts.items() if n})
    else:
        Terminal.objects.filter(pk=batch.terminal.pk).update(**{f: F(f) + n for f, n in counts.items()})


def _replay(existing: TerminalOperation, op_id: str, sha: str) -> dict:
    if existing.payload_sha256 != sha:
        exc = DomainError(
            "terminal.op_id_reused",
            _("Operation id %(op_id)s was already used for a different operation."),
            http_status=422, op_id=op_id,
        )
        return _refusal(op_id, exc, stored=False)
    return {"id": op_id, "status": "duplicate", "first": existing.result}


# ---------------------------------------------------------------- the operation types


class Held:
    """An operation kept for a manager's review (sync/review.py) instead of applied now."""

    def __init__(self, reason: str, business_on: dt.date):
        self.reason, self.business_on = reason, business_on


class _DryRun(Exception):
    pass


def _dry_run(batch: Batch, handler, data: dict) -> None:
    """Apply the operation as of today in a savepoint and roll it back: a held operation is checked (customer,
    items, quantities, the sale it returns) like any other, so only its date waits for the manager."""
    try:
        with transaction.atomic():
            handler(batch, data, None)
            raise _DryRun
    except _DryRun:
        pass


def _hold(batch: Batch, row: TerminalOperation, held: Held, op_type: str, data: dict, flags: list[str]) -> dict:
    """Keep the operation for review: its row says held, the review holds its payload (never lost)."""
    terminal = batch.terminal
    review = TerminalReview.objects.create(
        company_id=terminal.company_id, terminal=terminal, operation=row, type=op_type, data=data,
        device_at=row.device_at, business_on=held.business_on, reason=held.reason, created_at=batch.received_at,
    )
    row.status = OpStatus.HELD
    row.result = {"id": row.op_id, "status": "held", "flags": flags,
                  "review": {"id": review.pk, "reason": held.reason, "business_on": held.business_on.isoformat(),
                             "status": review.status}}
    row.save(update_fields=["status", "result"])
    record_event(company=terminal.company_id, topic="terminal.review_held", obj=review, payload={
        "terminal": terminal.code, "terminal_id": terminal.pk, "warehouse": terminal.warehouse_id,
        "op_id": row.op_id, "type": op_type, "reason": held.reason, "business_on": held.business_on.isoformat()})
    return dict(row.result)


def _handle(batch: Batch, op_type, data, device_at) -> tuple[Document | dict | Held, list[str]]:
    terminal = batch.terminal
    if op_type not in OP_TYPES:
        raise DomainError("terminal.op_type_unknown", _("Unknown operation type %(type)s."), http_status=422,
                          type=str(op_type)[:40], known=sorted(OP_TYPES))
    if terminal.kind not in OP_TYPES[op_type] or (terminal.operator_id is not None and op_type != "count_entry"):
        raise DomainError("terminal.op_not_allowed", _("A %(kind)s terminal cannot send %(type)s operations."),
                          http_status=403, kind=terminal.kind, type=op_type)
    if not isinstance(data, dict):
        raise ValidationFailed(field="data", reason=_("must be an object"))
    if op_type == "count_entry":
        return count_entry(batch, data), []
    handler = HANDLERS[op_type]
    business_on = batch.business_on(device_at)
    reason = batch.hold_reason(business_on)
    if reason is not None:
        _dry_run(batch, handler, data)  # what would be refused anyway is refused now, not held
        return Held(reason, business_on), []
    return post_operation(batch, op_type, data, business_on)


def post_operation(batch: Batch, op_type: str, data: dict, business_on: dt.date | None) -> tuple[Document, list[str]]:
    """Make and post the operation's document dated `business_on`; its flags (`negative_stock` when the posting
    took stock below zero). Used by a push and by a manager accepting a held operation alike."""
    watched: dict[int, list] = {}
    token = _watched.set(watched)
    try:
        doc = HANDLERS[op_type](batch, data, business_on)
    finally:
        _watched.reset(token)
    batch.negative[doc.pk] = watched.get(doc.pk, [])
    return doc, ["negative_stock"] if batch.negative[doc.pk] else []


# while post_operation runs: document id -> what its posting took below zero (note_negative fills it)
_watched: contextvars.ContextVar[dict[int, list] | None] = contextvars.ContextVar("jxc_terminal_posting",
                                                                                  default=None)


def note_negative(doc: Document, lines, by, events: list | None = None) -> None:
    """On-post hook (sync/apps.py) of the kinds a terminal operation posts: while post_operation runs, keep the
    `negative` of the stock.changed event the posting is about to write — the operation's flag and its
    terminal.negative_stock event are made from it, with no read of the event table afterwards."""
    watched = _watched.get()
    if watched is None or not events:
        return
    for event in events:
        if event.topic == "stock.changed" and event.object_id == str(doc.pk):
            watched[doc.pk] = (event.payload or {}).get("negative", [])
