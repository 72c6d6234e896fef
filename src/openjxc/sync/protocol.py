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

import datetime as dt
import hashlib
import json
import logging
import os
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.company_settings import future_date_tolerance
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.events import record_event
from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.services import LineInput
from openjxc.partners.models import Partner
from openjxc.stock.periods import closed_through
from openjxc.sync import terminals
from openjxc.sync.models import (
    OpStatus,
    ReviewReason,
    StoreCustomer,
    Terminal,
    TerminalKind,
    TerminalOperation,
    TerminalReview,
)

log = logging.getLogger(__name__)

MAX_BATCH = 500
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
        self.markers: dict[int, int] = {}  # document id -> highest event id before its op ran

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
    """Apply a batch of operations in order, each in its own transaction; answer per operation.

    `client_time` is the device clock when it sent the batch (the skew is measured from it);
    `backlog` is {"count", "oldest_at"} of the device's outbox, reported for the terminals page.
    """
    if not isinstance(ops, list):
        raise ValidationFailed(field="ops", reason=_("must be a list"))
    if len(ops) > MAX_BATCH:
        raise ValidationFailed(field="ops", reason=_("has more than %(n)s operations") % {"n": MAX_BATCH})
    batch = Batch(terminal, client_time=_parse_time(client_time, "client_time"))
    report_contact(terminal, batch=batch, backlog=backlog, pushed=True)
    answers, refused = [], []
    unavailable = None
    for n, op in enumerate(ops):
        if unavailable is not None:
            answers.append({"id": _op_id(op), "status": "retry", "error": unavailable})
            continue
        try:
            answer = apply_operation(batch, op, index=n)
        except DatabaseError as exc:
            log.warning("terminal %s: database error on op %s: %s", terminal.code, _op_id(op), exc)
            unavailable = {"code": "server.unavailable",
                           "message": str(_("The server's database is unavailable; try again later.")), "data": {}}
            answers.append({"id": _op_id(op), "status": "retry", "error": unavailable})
            continue
        op_type = op.get("type") if isinstance(op, dict) else None
        if answer["status"] == "refused" and not terminals.is_slip(op_type, answer["error"]["code"]):
            refused.append({"id": answer["id"], "code": answer["error"]["code"]})
        answer.pop("stored", None)
        answers.append(answer)
        _fault_hook()
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


_applied_in_process = 0


def _fault_hook() -> None:
    """Fault tests only: JXC_FAULT_EXIT_AFTER_OPS=N kills this server process right after the N-th
    operation it has committed, mid-batch, before any answer is sent (tests/sync/test_faults.py)."""
    global _applied_in_process
    limit = os.environ.get("JXC_FAULT_EXIT_AFTER_OPS")
    if not limit:
        return
    _applied_in_process += 1
    if _applied_in_process >= int(limit):
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


def apply_operation(batch: Batch, op: dict, *, index: int = 0) -> dict:
    """Apply one operation exactly once; answer accepted / duplicate / refused."""
    terminal = batch.terminal
    op_id = _op_id(op)
    if not isinstance(op, dict) or not op_id or len(op_id) > MAX_OP_ID or "\x00" in op_id:
        return _refusal(op_id, ValidationFailed(field=f"ops[{index}].id",
                                                reason=_("must be a string of 1 to 64 characters")), stored=False)
    op_type = op.get("type")
    data = op.get("data")
    sha = payload_sha256(op_type, data)
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
            row = TerminalOperation(
                company_id=terminal.company_id, terminal=terminal, op_id=op_id, seq=seq, type=str(op_type)[:32],
                payload_sha256=sha, status=OpStatus.REFUSED, device_at=device_at, received_at=batch.received_at,
            )
            row.save(force_insert=True)
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
                row.save(update_fields=["result"])
                if not terminals.is_slip(op_type, exc.code):  # a typo at the scan field is not a failure
                    Terminal.objects.filter(pk=terminal.pk).update(refused_count=F("refused_count") + 1)
                return {**row.result, "stored": True}
            if batch.skewed:
                flags.append("clock_skew")
            if isinstance(doc, Held):
                return _hold(batch, row, doc, str(op_type), data, flags)
            row.status = OpStatus.ACCEPTED
            row.is_negative = "negative_stock" in flags
            if isinstance(doc, Document):
                row.document = doc
                row.result = {"id": op_id, "status": "accepted",
                              "document": {"id": doc.pk, "number": doc.number, "kind": doc.kind}, "flags": flags}
            else:  # a count entry: recorded on the count, no document of its own
                row.result = {"id": op_id, "status": "accepted", **doc, "flags": flags}
            row.save(update_fields=["status", "document", "is_negative", "result"])
            Terminal.objects.filter(pk=terminal.pk).update(
                accepted_count=F("accepted_count") + 1,
                negative_count=F("negative_count") + (1 if row.is_negative else 0),
            )
            if row.is_negative:
                record_event(company=terminal.company_id, topic="terminal.negative_stock", obj=doc, payload={
                    "terminal": terminal.code, "terminal_id": terminal.pk, "warehouse": terminal.warehouse_id,
                    "op_id": op_id, "number": doc.number, "negative": _negative_of(doc, batch.markers.get(doc.pk, 0)),
                })
            return dict(row.result)
    except IntegrityError:
        # the same op committed concurrently (another request, another server): answer with its result
        existing = TerminalOperation.objects.filter(company_id=terminal.company_id, op_id=op_id).first()
        if existing is None:
            raise
        return _replay(existing, op_id, sha)


def _replay(existing: TerminalOperation, op_id: str, sha: str) -> dict:
    if existing.payload_sha256 != sha:
        exc = DomainError(
            "terminal.op_id_reused",
            _("Operation id %(op_id)s was already used for a different operation."),
            http_status=422, op_id=op_id,
        )
        return _refusal(op_id, exc, stored=False)
    return {"id": op_id, "status": "duplicate", "first": existing.result}


def _negative_of(doc: Document, after_event: int = 0) -> list:
    """What the posting of `doc` took below zero, from its stock.changed event (written after `after_event`)."""
    event = Event.objects.filter(pk__gt=after_event, topic="stock.changed", object_type="documents.document",
                                 object_id=str(doc.pk)).order_by("-id").first()
    return (event.payload or {}).get("negative", []) if event else []


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
        return _count_entry(batch, data), []
    handler = HANDLERS[op_type]
    business_on = batch.business_on(device_at)
    reason = batch.hold_reason(business_on)
    if reason is not None:
        _dry_run(batch, handler, data)  # what would be refused anyway is refused now, not held
        return Held(reason, business_on), []
    # events this op writes get ids above the highest one now: the lookup below scans only those
    marker = Event.objects.aggregate(m=Max("id"))["m"] or 0
    doc = handler(batch, data, business_on)
    flags = ["negative_stock"] if _negative_of(doc, marker) else []
    batch.markers[doc.pk] = marker
    return doc, flags


def _text(data: dict, key: str, max_length: int) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise ValidationFailed(field=key, reason=_("must be text of at most %(n)s characters") % {"n": max_length})
    return value


def _quantity(raw, n: int, conf: dict) -> Decimal:
    """A line's quantity within the company's bounds for terminals (terminals.DEFAULTS: more than 0, at most
    `max_line_quantity`, at most `quantity_decimals` places): a mistyped 1e11 is refused, not posted."""
    field = f"lines[{n}].qty"
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValidationFailed(field=field, reason=_("is not a number"))
    try:
        qty = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    most = Decimal(conf["max_line_quantity"])
    if not qty.is_finite() or qty <= 0 or qty > most:
        raise ValidationFailed(field=field, reason=_("must be more than 0 and at most %(max)s") % {"max": most})
    places = conf["quantity_decimals"]
    if -int(qty.normalize().as_tuple().exponent) > places:
        raise ValidationFailed(field=field, reason=_("has more than %(n)s decimal places") % {"n": places})
    return qty


def _lines(batch: Batch, data: dict, *, priced=True) -> list[LineInput]:
    from openjxc.catalog.services import lookup_barcode

    raw = data.get("lines")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(field="lines", reason=_("must have at least one line"))
    if len(raw) > 1000:
        raise ValidationFailed(field="lines", reason=_("has too many lines"))
    out = []
    for n, line in enumerate(raw, start=1):
        if not isinstance(line, dict):
            raise ValidationFailed(field=f"lines[{n}]", reason=_("must be an object"))
        li = LineInput(item=None, quantity=_quantity(line.get("qty"), n, batch.conf))
        if line.get("barcode"):
            found = lookup_barcode(batch.terminal.company_id, _text(line, "barcode", 200))
            li.item, li.unit = found["item"].pk, found["unit"]
            li.lot_code = found["lot"] or ""
            li.expires_on, li.produced_on = found["expires_on"], found["produced_on"]
        elif isinstance(line.get("item"), str) and line["item"]:
            li.item = line["item"]
        else:
            raise ValidationFailed(field=f"lines[{n}].item", reason=_("or barcode is required"))
        if line.get("unit"):
            li.unit = line["unit"]
        if priced and line.get("price") not in (None, ""):
            li.unit_price = line["price"]
        if line.get("discount_rate") not in (None, ""):
            li.discount_rate = line["discount_rate"]
        if line.get("lot"):
            li.lot_code = _text(line, "lot", 64)
        for key in ("expires_on", "produced_on"):
            if line.get(key):
                try:
                    setattr(li, key, dt.date.fromisoformat(str(line[key])))
                except ValueError:
                    raise ValidationFailed(field=f"lines[{n}].{key}", reason=_("is not a date")) from None
        out.append(li)
    return out


def _custom(batch: Batch, data: dict) -> dict:
    """The terminal's code and how the customer paid (was refunded): `payment` {method, amount, tendered, change}
    as the till shows it, or `payments` [{method, amount}, …] for a mixed payment. The till's sale is paid in
    full by `payment`'s method (its amount is the till's view of the total; the server's total is what is
    received); finance/counter.py records the receipts (refunds) at posting from `custom["payments"]`."""
    custom: dict = {"terminal": batch.terminal.code}
    payment, payments = data.get("payment"), data.get("payments")
    if payment is not None:
        if not isinstance(payment, dict) or len(json.dumps(payment, default=str)) > 2000:
            raise ValidationFailed(field="payment", reason=_("must be a small object"))
        custom["payment"] = payment
        custom["payments"] = [{"method": payment.get("method")}]
    if payments is not None:
        if not isinstance(payments, list) or len(json.dumps(payments, default=str)) > 2000:
            raise ValidationFailed(field="payments", reason=_("must be a small list"))
        custom["payments"] = [{"method": p.get("method"), "amount": p.get("amount")} if isinstance(p, dict) else p
                              for p in payments]
    return custom


def _lock_till(terminal: Terminal) -> None:
    """Money the till takes is recorded under the terminal's row lock, as a till closing reads it (sync/closing.py):
    the op's transaction updates that row at its end anyway, so this only takes the lock earlier."""
    Terminal.objects.select_for_update().filter(pk=terminal.pk).values_list("pk", flat=True).first()


def _sale(batch: Batch, data: dict, business_on) -> Document:
    """A sale at the till: a sales delivery (销售出库) of the store to the walk-in (or named) customer, posted."""
    terminal = batch.terminal
    customer = _customer(terminal, data.get("customer") or terminal.customer_id)
    _lock_till(terminal)
    return docs.create_document(
        by=terminal.user, kind="sales_delivery", warehouse=terminal.warehouse, partner=customer,
        lines=_lines(batch, data), business_on=business_on, memo=_text(data, "memo", 500),
        custom=_custom(batch, data), advance_to=Status.POSTED, prices_include_tax=bool(data.get("tax_included", True)),
    )


def _customer(terminal: Terminal, ref) -> int:
    """The customer a till may name (docs/terminal-protocol.md "Customers"): its own walk-in customer, or an
    active customer of the company that is not limited to other stores (StoreCustomer)."""
    if ref is None:
        raise ValidationFailed(field="customer", reason=_("is required: this terminal has no walk-in customer"))
    if ref == terminal.customer_id:
        return ref
    if isinstance(ref, bool) or not isinstance(ref, int | str) or (isinstance(ref, str) and len(ref) > 64):
        raise ValidationFailed(field="customer", reason=_("must be a customer's id or code"))
    lookup = {"pk": ref} if isinstance(ref, int) else {"code": ref}
    partner = Partner.objects.filter(company_id=terminal.company_id, **lookup).first()
    if partner is None:
        raise NotFound("partner", ref)
    if partner.pk == terminal.customer_id:
        return partner.pk
    stores = set(StoreCustomer.objects.filter(customer=partner).values_list("warehouse_id", flat=True))
    if not partner.is_active or not partner.plays("customer") or (stores and terminal.warehouse_id not in stores):
        raise DomainError("terminal.customer_not_allowed",
                          _("This till may not sell to %(customer)s: it is not a customer of this store."),
                          http_status=403, customer=partner.code)
    return partner.pk


def _source_document(batch: Batch, data: dict, kinds: tuple[str, ...], field: str) -> Document:
    """The document an operation refers to: an earlier op id of this terminal, or a document number."""
    terminal = batch.terminal
    ref_op, number = data.get(f"{field}_op"), data.get(field)
    doc = None
    if isinstance(ref_op, str) and ref_op:
        first = TerminalOperation.objects.filter(company_id=terminal.company_id, op_id=ref_op).first()
        if first is not None and first.status == OpStatus.HELD:
            raise DomainError("terminal.source_held",
                              _("Operation %(op_id)s waits for a manager's review: it can be returned once posted."),
                              http_status=409, op_id=ref_op)
        doc = first.document if first is not None and first.status == OpStatus.ACCEPTED else None
        key = ref_op
    elif isinstance(number, str) and number:
        doc = Document.objects.filter(company_id=terminal.company_id, number=number).first()
        key = number
    else:
        raise ValidationFailed(field=field, reason=_("is required (a document number, or the op id as %(f)s_op)")
                               % {"f": field})
    if doc is None or doc.kind not in kinds:
        raise NotFound("document", key)
    return doc


def _match_source_lines(source: Document, lines: list[LineInput], kind: str) -> None:
    """Give each line the source line of the same item that still has quantity left (a return takes its cost)."""
    left = docs.remaining_quantities(source, kind)
    source_lines = list(DocumentLine.objects.filter(document=source).select_related("item").order_by("line_no"))
    for li in lines:
        for sl in source_lines:
            if (sl.item_id == li.item or sl.item.code == li.item) and left.get(sl.pk, Decimal(0)) > 0:
                li.source_line = sl.pk
                break
        else:
            raise DomainError("terminal.return_item_unknown",
                              _("Item %(item)s is not on document %(number)s or has nothing left to take."),
                              http_status=422, item=li.item, number=source.number)


def _return(batch: Batch, data: dict, business_on) -> Document:
    """A return at the till against an earlier sale: a sales return (销售退货) into the store, posted."""
    terminal = batch.terminal
    source = _source_document(batch, data, ("sales_delivery",), "sale")
    if source.warehouse_id != terminal.warehouse_id:  # a till takes back only what its own store sold
        raise DomainError("terminal.other_warehouse",
                          _("%(number)s was sold by another warehouse: return it there."), http_status=403,
                          number=source.number)
    lines = _lines(batch, data, priced=False)
    _match_source_lines(source, lines, "sales_return")
    _lock_till(terminal)
    return docs.create_document(
        by=terminal.user, kind="sales_return", warehouse=terminal.warehouse, partner=source.partner_id,
        source=source, lines=lines, business_on=business_on, memo=_text(data, "memo", 500),
        custom=_custom(batch, data), advance_to=Status.POSTED, prices_include_tax=source.prices_include_tax,
    )


def _receipt_scan(batch: Batch, data: dict, business_on) -> Document:
    """Goods scanned in at the warehouse: a purchase receipt (采购入库) from the supplier, against an order if named."""
    terminal = batch.terminal
    source = None
    lines = _lines(batch, data)
    if data.get("order") or data.get("order_op"):
        source = _source_document(batch, data, ("purchase_order",), "order")
        _match_source_lines(source, lines, "purchase_receipt")
    supplier = data.get("supplier") or (source.partner_id if source else None)
    if not supplier:
        raise ValidationFailed(field="supplier", reason=_("is required"))
    return docs.create_document(
        by=terminal.user, kind="purchase_receipt", warehouse=terminal.warehouse, partner=supplier, source=source,
        lines=lines, business_on=business_on, memo=_text(data, "memo", 500), custom=_custom(batch, data),
        advance_to=Status.POSTED,
    )


# the operations that make a document dated by the till (a count entry is not dated: it joins its count)
HANDLERS = {"sale": _sale, "return": _return, "receipt_scan": _receipt_scan}


def _count_entry(batch: Batch, data: dict) -> dict:
    """Counted quantities or scans for an open stock count (盘点) of the terminal's warehouse
    (counts.services.record_entries: all entries of the op or none)."""
    from openjxc.counts import services as counts
    from openjxc.counts.models import Count

    terminal = batch.terminal
    ref = data.get("count")
    count = None
    if isinstance(ref, int) and not isinstance(ref, bool):
        count = Count.objects.filter(company_id=terminal.company_id, pk=ref).first()
    elif isinstance(ref, str) and ref:
        count = Count.objects.filter(company_id=terminal.company_id, number=ref).first()
    if count is None:
        raise NotFound("count", ref if isinstance(ref, str | int) else None)
    # a browser terminal counts as its operator (a person who may work in other warehouses): keep it to its own
    by = terminal.operator or terminal.user
    if terminal.operator_id is not None and count.warehouse_id != terminal.warehouse_id:
        raise ValidationFailed(field="count", reason=_("is not a count of this terminal's warehouse"))
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(field="entries", reason=_("must have at least one entry"))
    entries = []
    for n, e in enumerate(raw, start=1):
        if not isinstance(e, dict):
            raise ValidationFailed(field=f"entries[{n}]", reason=_("must be an object"))
        entry = counts.EntryInput(barcode=_text(e, "barcode", 200), item=e.get("item") or None,
                                  quantity=e.get("qty"), location=e.get("location"), lot_code=_text(e, "lot", 64))
        entries.append(entry)
    results = counts.record_entries(count, by=by, entries=entries)
    # each entry's line as it stands now: what the counter's screen shows (never the book: counts may be blind)
    lines = [{"item": r.item.code, "name": r.item.name, "location_id": r.line.location_id,
              "lot": r.line.lot.code if r.line.lot_id else "", "added": r.added,
              "counted": None if r.line.counted_quantity is None else format(r.line.counted_quantity.normalize(), "f")}
             for r in results]
    return {"count": {"id": count.pk, "number": count.number}, "entries": len(results), "lines": lines}
