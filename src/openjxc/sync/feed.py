"""The change feed: every outbox Event after a cursor, in one order, never skipped, never repeated.

Ordering and the cursor (docs/decisions/0009-change-feed-cursor.md). On PostgreSQL an event's id is
taken when it is inserted, not when its transaction commits, so "id > last id" passes over an event
whose transaction took a lower id and committed later. Each Event therefore carries the id of the
transaction that wrote it (`txid`, a column default: `pg_current_xact_id()`), and the feed
  * orders by (txid, id), and
  * only returns events of transactions older than the reading snapshot's xmin — every transaction
    below xmin has finished, so no event can ever appear below that line again. (Running transactions
    of other databases on the same server are left out of that minimum: they cannot write our events.)
The set of events at or below the "stable head" (the greatest (txid, id) under xmin) is final; a read
first takes that head, then returns events in (cursor, head]; the next cursor is the last event
returned, or the head itself when the range was exhausted. A long transaction holds xmin back: the
feed waits for it (delay), it never passes it (loss).

SQLite runs one writer at a time, so id order is commit order; txid is 0 there and the same
(txid, id) code applies with no xmin bound.

A cursor is opaque to clients ("<txid>-<id>"). For convenience an integer cursor is accepted as "after
the event with this id" when that event is already stable; 0, "" and None mean the beginning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError
from openjxc.core.models import Event

MAX_LIMIT = 1000
_SCAN_CHUNK = 500
_MAX_SCAN = 10_000  # raw rows looked at per call when a scope hides most of them
_CURSOR = re.compile(r"^(\d{1,19})-(\d{1,19})$")

Key = tuple[int, int]  # (txid, id)
# money between partners: for finance roles only; users and tokens: for administrators only
FINANCE_TOPICS = ("partner_ledger.", "settlement.", "allocation.", "partner.terms")
ADMIN_TOPICS = ("user.", "token.")
START: Key = (0, 0)


class BadCursor(DomainError):
    code = "feed.bad_cursor"
    http_status = 400
    message = _("The feed cursor %(cursor)s is not valid; start again without a cursor.")


class BadLimit(DomainError):
    code = "feed.bad_limit"
    http_status = 400
    message = _("The page size must be between 1 and %(max)s.")


@dataclass(frozen=True)
class FeedScope:
    """What a reader may see inside their company.

    warehouse_ids: stock and document events only of these warehouses (None: every warehouse).
    topics: only topics starting with one of these prefixes (None: every topic).
    hidden_topics: never topics starting with one of these prefixes.
    show_cost: stock values in payloads; False strips them.
    """

    warehouse_ids: frozenset[int] | None = None
    topics: tuple[str, ...] | None = None
    hidden_topics: tuple[str, ...] = ()
    show_cost: bool = True

    @classmethod
    def for_user(cls, user) -> FeedScope:
        from openjxc.core.permissions import allowed
        from openjxc.stock.access import scoped_warehouse_ids

        ids = scoped_warehouse_ids(user)
        hidden: tuple[str, ...] = ()
        if not allowed(user, "ledger.check"):
            hidden += FINANCE_TOPICS
        if not allowed(user, "users.manage"):
            hidden += ADMIN_TOPICS
        return cls(warehouse_ids=frozenset(ids) if ids is not None else None, hidden_topics=hidden,
                   show_cost=allowed(user, "stock.cost"))

    @classmethod
    def store_terminal(cls, warehouse_ids, *, topics=("stock.", "document.", "item.", "catalog.", "price", "unit.",
                                                       "category.", "partner.", "customer", "warehouse.",
                                                       "location.", "company.settings")) -> FeedScope:
        """A store POS / warehouse PDA: its warehouses' stock and documents, plus catalogue and prices."""
        return cls(warehouse_ids=frozenset(warehouse_ids), topics=tuple(topics), show_cost=False)


@dataclass
class FeedEvent:
    id: int
    cursor: str
    topic: str
    object_type: str
    object_id: str
    payload: dict
    created_at: object
    actor_id: int | None
    warehouse_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "cursor": self.cursor, "topic": self.topic, "object_type": self.object_type,
            "object_id": self.object_id, "payload": self.payload,
            "created_at": self.created_at.isoformat() if self.created_at is not None else None,
            "actor_id": self.actor_id, "warehouses": self.warehouse_ids,
        }


@dataclass
class FeedPage:
    events: list[FeedEvent]
    next_cursor: str
    has_more: bool


def encode_cursor(key: Key) -> str:
    return f"{key[0]}-{key[1]}"


def decode_cursor(cursor: str | int | None, *, company_id: int) -> Key:
    """The (txid, id) after which to read. Raises BadCursor for anything malformed or unknown."""
    if cursor is None or cursor == "" or cursor == 0 or cursor == "0":
        return START
    if isinstance(cursor, bool):
        raise BadCursor(cursor=str(cursor))
    if isinstance(cursor, int) or (isinstance(cursor, str) and cursor.isdigit() and len(cursor) <= 19):
        return _key_of_event(int(cursor), company_id=company_id, raw=str(cursor))
    m = _CURSOR.match(cursor) if isinstance(cursor, str) else None
    if not m:
        raise BadCursor(cursor=str(cursor)[:80])
    key = (int(m.group(1)), int(m.group(2)))
    if key[0] >= 2**63 or key[1] >= 2**63:
        raise BadCursor(cursor=cursor)
    return key


def _key_of_event(event_id: int, *, company_id: int, raw: str) -> Key:
    """An event id as a cursor: only for a stable event (one the feed could have handed out)."""
    head = stable_head(company_id)
    row = Event.objects.filter(company_id=company_id, pk=event_id).values_list("txid", "id").first()
    if row is None or head is None or tuple(row) > head:
        raise BadCursor(cursor=raw)
    return tuple(row)


def stable_head(company_id: int) -> Key | None:
    """The greatest (txid, id) of the company's events whose transactions have all finished.

    Everything at or below it is final: no transaction can still add an event there.
    """
    if connection.vendor == "postgresql":
        sql = f"SELECT txid, id FROM core_event WHERE company_id = %s AND txid < ({_PG_HORIZON}) ORDER BY txid DESC, id DESC LIMIT 1"
    else:
        sql = "SELECT txid, id FROM core_event WHERE company_id = %s ORDER BY txid DESC, id DESC LIMIT 1"
    with connection.cursor() as cur:
        cur.execute(sql, [company_id])
        row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else None


# The feed's horizon on PostgreSQL, in the statement's own snapshot: no transaction of this database below
# it is still running. That is the snapshot's xmin, except that running transactions positively known to
# belong to another database of the server (pg_stat_activity: a transaction never changes database) are
# not waited for; one that cannot be placed (stats hidden, already gone) is waited for. The reader's own
# transaction counts as running. 32-bit backend_xid is compared with the low half of the 64-bit ids.
_PG_HORIZON = """
SELECT LEAST(
  pg_snapshot_xmax(s.snap)::text::bigint,
  pg_current_xact_id_if_assigned()::text::bigint,
  (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s.snap) AS x
    WHERE mod(x::text::bigint, 4294967296) NOT IN (
      SELECT a.backend_xid::text::bigint FROM pg_stat_activity a
      WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database())))
FROM (SELECT pg_current_snapshot() AS snap) AS s"""


def feed_head(company_id: int) -> str:
    """A cursor that starts after everything already final: for readers that want only what comes next."""
    return encode_cursor(stable_head(company_id) or START)


def read_feed(*, company_id: int, cursor: str | int | None, limit: int = 500, scope: FeedScope | None = None) -> FeedPage:
    """The company's events after `cursor` that `scope` may see, oldest first, at most `limit`.

    `next_cursor` is where to continue (it moves past events the scope hides, too); `has_more` says
    whether more final events are waiting right now. Safe to call in any transaction state; events
    written by the caller's own open transaction appear only after it commits.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadLimit(max=MAX_LIMIT)
    after = decode_cursor(cursor, company_id=company_id)
    head = stable_head(company_id)
    if head is None or head <= after:
        return FeedPage(events=[], next_cursor=encode_cursor(after), has_more=False)

    events: list[FeedEvent] = []
    last = after
    scanned = 0
    chunk = max(limit, _SCAN_CHUNK) if scope is not None else limit
    while True:
        rows = _fetch(company_id, last, head, chunk)
        visible = _visible(rows, company_id, scope)
        for row, wh in zip(rows, visible, strict=True):
            key = (row[1], row[0])
            last = key
            if wh is not False:
                events.append(_event(row, wh, scope))
                if len(events) == limit:
                    return FeedPage(events=events, next_cursor=encode_cursor(last), has_more=last < head)
        scanned += len(rows)
        if len(rows) < chunk:
            last = head  # the range (after, head] is exhausted
            break
        if scanned >= _MAX_SCAN:
            break
    return FeedPage(events=events, next_cursor=encode_cursor(last), has_more=last < head)


_COLUMNS = "id, txid, topic, object_type, object_id, payload, created_at, actor_id"


def _fetch(company_id: int, after: Key, head: Key, limit: int) -> list[tuple]:
    """Rows in (after, head], which is final, so any snapshot reads the same rows."""
    qs = (Event.objects.filter(company_id=company_id)
          .extra(where=["(txid, id) > (%s, %s)", "(txid, id) <= (%s, %s)"], params=[*after, *head])
          .order_by("txid", "id")
          .values_list("id", "txid", "topic", "object_type", "object_id", "payload", "created_at", "actor_id")[:limit])
    return list(qs)


def _visible(rows: list[tuple], company_id: int, scope: FeedScope | None) -> list:
    """Per row: False (hidden) or the list of warehouse ids it concerns (maybe empty)."""
    stock_locations: set[int] = set()
    document_ids: set[int] = set()
    for row in rows:
        topic, payload = row[2], row[5]
        if topic.startswith("stock.") and isinstance(payload, dict):
            stock_locations.update(b.get("location") for b in payload.get("balances") or () if isinstance(b, dict))
        elif row[3] == "documents.document" and row[4].isdigit():
            document_ids.add(int(row[4]))
    loc_wh: dict[int, int | None] = {}
    doc_wh: dict[int, list[int]] = {}
    if stock_locations:
        from openjxc.stock.models import Location

        loc_wh = dict(Location.objects.filter(company_id=company_id, pk__in=[x for x in stock_locations if x])
                      .values_list("id", "warehouse_id"))
    if document_ids:
        from openjxc.documents.models import Document

        for pk, w, tw in (Document.objects.filter(company_id=company_id, pk__in=document_ids)
                          .values_list("id", "warehouse_id", "to_warehouse_id")):
            doc_wh[pk] = [x for x in (w, tw) if x is not None]
    out: list = []
    for row in rows:
        topic, payload = row[2], row[5]
        if topic.startswith("stock.") and isinstance(payload, dict):
            whs = sorted({loc_wh.get(b.get("location")) for b in payload.get("balances") or () if isinstance(b, dict)}
                         - {None})
            scoped = True
        elif row[3] == "documents.document" and row[4].isdigit():
            whs = doc_wh.get(int(row[4]), [])
            scoped = True
        else:
            whs, scoped = [], False
        if scope is not None:
            if (scope.topics is not None and not topic.startswith(scope.topics)) or (
                    scope.hidden_topics and topic.startswith(scope.hidden_topics)):
                out.append(False)
                continue
            if scoped and scope.warehouse_ids is not None and not scope.warehouse_ids.intersection(whs):
                out.append(False)
                continue
        out.append(whs)
    return out


# what a reader without "stock.cost" never gets in a payload, at any depth: costs and stock values
COST_KEYS = frozenset({"purchase_price", "standard_cost", "unit_cost", "last_cost", "average_cost", "avg_cost", "cost", "costs",
                       "cost_price", "valuation", "gross_profit", "margin", "total_cost", "cost_amount"})


def _strip(value, keys: frozenset):
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_strip(v, keys) for v in value]
    return value


def mask_costs(topic: str, payload):
    """The payload as a reader without "stock.cost" may see it (the change feed, a terminal's pull, the live
    stream): no cost field anywhere (an item's purchase price, a move's unit cost); in stock events no value
    either (a balance's or a move's value is its cost); in a document event of a kind whose prices are costs (a
    purchase, a transfer, a write-off: every kind but sales) no amount. Sales prices stay: the customer sees them."""
    if not isinstance(payload, dict):
        return payload
    keys = COST_KEYS | {"value"} if topic.startswith("stock.") else COST_KEYS
    masked = _strip(payload, keys)
    if topic.startswith("document.") and "total_amount" in masked and not _sales_kind(masked.get("kind")):
        del masked["total_amount"]
    return masked


def _sales_kind(code) -> bool:
    from openjxc.documents.kinds import KINDS

    kind = KINDS.get(str(code))  # an unknown kind (a removed one, in old events): its amounts count as costs
    return kind is not None and kind.partner_role == "customer"


def _event(row: tuple, warehouses: list[int], scope: FeedScope | None) -> FeedEvent:
    pk, txid, topic, object_type, object_id, payload, created_at, actor_id = row
    if scope is not None and not scope.show_cost:
        payload = mask_costs(topic, payload)
    return FeedEvent(id=pk, cursor=encode_cursor((txid, pk)), topic=topic, object_type=object_type,
                     object_id=object_id, payload=payload, created_at=created_at, actor_id=actor_id,
                     warehouse_ids=list(warehouses))
