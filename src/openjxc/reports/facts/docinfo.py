"""What the facts need of documents, read once per batch: sales keys (customer, salesperson, channel) and dates.

Salesperson: the person who created the first sales document of the chain (quote, order or delivery) a sale or
return comes from. Channel: a document sent by a POS terminal (the till) is "till", by another terminal
"terminal", anything else (back office, API) "order".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import connection

from openjxc.reports.facts.months import as_date
from openjxc.reports.models import Channel
from openjxc.sync.models import Terminal, TerminalKind

SALES_CHAIN = {"sales_quote", "sales_order", "sales_delivery", "sales_return"}


@dataclass(slots=True)
class Doc:
    id: int
    kind: str
    status: str
    partner_id: int | None
    warehouse_id: int | None
    created_by_id: int | None
    source_id: int | None
    business_on: dt.date
    voided_at: dt.datetime | None
    closed_at: dt.datetime | None
    terminal: str
    prices_include_tax: bool


class DocInfo:
    def __init__(self, company_id: int, time_zone: str):
        self.company_id = company_id
        self.tz = zoneinfo.ZoneInfo(time_zone)
        self.docs: dict[int, Doc] = {}
        self._keys: dict[int, tuple[int, int, int]] = {}
        self._terminals: dict[str, str] | None = None

    def load(self, ids) -> None:
        """Read the documents `ids` and the sales documents they come from (up to three levels)."""
        todo = sorted({i for i in ids if i is not None and i not in self.docs})
        terminal = ("custom ->> 'terminal'" if connection.vendor == "postgresql"
                    else "json_extract(custom, '$.terminal')")
        for _level in range(4):
            if not todo:
                return
            rows = []
            for start in range(0, len(todo), 5000):
                part = todo[start:start + 5000]
                with connection.cursor() as cur:
                    cur.execute(f"SELECT id, kind, status, partner_id, warehouse_id, created_by_id, source_id, "
                                f"business_on, voided_at, closed_at, {terminal}, prices_include_tax "
                                f"FROM documents_document WHERE company_id = %s "
                                f"AND id IN ({', '.join(['%s'] * len(part))})", [self.company_id, *part])
                    rows += cur.fetchall()
            sources = set()
            for pk, kind, status, partner, wh, creator, source, day, voided, closed, term, inclusive in rows:
                self.docs[pk] = Doc(pk, kind, status, partner, wh, creator, source, as_date(day), voided, closed,
                                    str(term) if term else "", bool(inclusive))
                if kind in SALES_CHAIN and source is not None and source not in self.docs:
                    sources.add(source)
            todo = sorted(sources)

    def get(self, doc_id: int) -> Doc:
        return self.docs[doc_id]

    def local_day(self, at) -> dt.date:
        """The company's date at a time (SQLite hands back UTC text)."""
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(self.tz).date()

    def channel(self, doc: Doc) -> int:
        if not doc.terminal:
            return Channel.ORDER
        if self._terminals is None:
            self._terminals = dict(Terminal.objects.filter(company_id=self.company_id).values_list("code", "kind"))
        kind = self._terminals.get(doc.terminal)
        if kind is None:  # registered after the map was read
            self._terminals = dict(Terminal.objects.filter(company_id=self.company_id).values_list("code", "kind"))
            kind = self._terminals.get(doc.terminal)
        return Channel.TILL if kind == TerminalKind.POS else Channel.TERMINAL

    def salesperson(self, doc: Doc) -> int:
        first = doc
        seen = 0
        while first.source_id is not None and seen < 4:
            src = self.docs.get(first.source_id)
            if src is None or src.kind not in SALES_CHAIN:
                break
            first, seen = src, seen + 1
        return first.created_by_id or 0

    def sales_key(self, doc_id: int | None) -> tuple[int, int, int]:
        """(customer, salesperson, channel) of a sales document (zeros and "order" without one)."""
        if doc_id is None:
            return (0, 0, Channel.ORDER)
        key = self._keys.get(doc_id)
        if key is None:
            if doc_id not in self.docs:
                self.load([doc_id])
            doc = self.docs[doc_id]
            key = self._keys[doc_id] = (doc.partner_id or 0, self.salesperson(doc), self.channel(doc))
        return key
