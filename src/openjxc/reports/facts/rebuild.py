"""Recompute a company's facts from its ledgers (`jxc rebuild-facts`): a new install, an upgrade, a repair.

One transaction. On PostgreSQL it reads one snapshot (REPEATABLE READ) after locking the cursors' table (so no
consumer batch runs meanwhile). The cursor is set to the feed's stable head; events above the head whose
transactions had already committed in the snapshot are in the facts too, so they are listed in `skip` and the
consumer passes over them once. On SQLite the write transaction excludes every other writer: head is the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from openjxc.core import clock
from openjxc.core.models import Event
from openjxc.documents.models import Document, Status
from openjxc.reports.facts.deltas import Deltas
from openjxc.reports.facts.docinfo import DocInfo
from openjxc.reports.facts.documents import KINDS, ORDER, add_documents
from openjxc.reports.facts.months import close_months, first_of, previous_month
from openjxc.reports.facts.movecounts import rebuild_move_counts
from openjxc.reports.facts.partners import add_partner_rows
from openjxc.reports.facts.stock import CHUNK, add_moves, fetch_moves_after, places
from openjxc.reports.models import (
    FactCursor,
    PartnerDay,
    PartnerRowSeen,
    PurchaseDay,
    PurchaseLine,
    PurchaseLineReceipt,
    SalesDay,
    SalesMonth,
    SalesTicketDay,
    StockClose,
    StockDay,
    StockMonth,
)
from openjxc.sync.feed import START, encode_cursor, stable_head

VERSION = 1  # the facts' layout: a cursor of another version makes the consumer rebuild first
FACT_MODELS = (StockDay, StockMonth, StockClose, SalesDay, SalesMonth, SalesTicketDay, PurchaseDay, PurchaseLine,
               PurchaseLineReceipt, PartnerDay, PartnerRowSeen)
DOC_CHUNK = 2000


@dataclass
class RebuildResult:
    moves: int = 0
    documents: int = 0
    rows: int = 0
    cursor: str = ""
    skipped: int = 0


def _count(sql: str, params) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0] or 0)


def rebuild(company, *, progress=None) -> RebuildResult:
    """Replace the company's facts by what its ledgers say; `progress(stage, done, total)` is told as it goes."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("LOCK TABLE reports_factcursor IN EXCLUSIVE MODE")
        state, _created = FactCursor.objects.select_for_update().get_or_create(company=company)
        result = RebuildResult()
        for model in FACT_MODELS:
            model.objects.filter(company_id=company.pk).delete()
        head = stable_head(company.pk) or START
        skip = []
        if connection.vendor == "postgresql":
            skip = [list(k) for k in Event.objects.filter(company_id=company.pk)
                    .extra(where=["(txid, id) > (%s, %s)"], params=list(head)).order_by("txid", "id")
                    .values_list("txid", "id")]
        rebuild_move_counts(company.pk)  # the home page's moves per day: one grouped pass
        info = DocInfo(company.pk, company.time_zone)
        where = places(company.pk)

        total = _count("SELECT COUNT(*) FROM stock_stockmove WHERE company_id = %s", [company.pk])
        after = 0
        while True:
            rows = fetch_moves_after(company.pk, after, CHUNK)
            if not rows:
                break
            deltas = Deltas(company.pk)
            add_moves(deltas, rows, where, info)
            result.rows += deltas.flush(None)
            result.moves += len(rows)
            after = rows[-1][0]
            info.forget()
            if progress:
                progress("moves", result.moves, total)

        docs = (Document.objects.filter(company_id=company.pk, kind__in=KINDS,
                                        status__in=[Status.POSTED, Status.VOIDED, Status.CLOSED])
                .order_by("id").values_list("id", "kind", "status"))
        total = docs.count()
        actions: list[tuple[int, str]] = []
        done = 0
        for pk, kind, status in docs.iterator(chunk_size=DOC_CHUNK):
            actions.append((pk, "post"))
            if status == Status.VOIDED:
                actions.append((pk, "void"))
            elif status == Status.CLOSED and kind == ORDER:
                actions.append((pk, "close"))
            done += 1
            if len(actions) >= DOC_CHUNK:
                result.rows += _documents(company, actions, info)
                actions = []
                if progress:
                    progress("documents", done, total)
        result.rows += _documents(company, actions, info)
        result.documents = done
        if progress:
            progress("documents", done, total)

        deltas = Deltas(company.pk)
        add_partner_rows(deltas, everything=True)
        result.rows += deltas.flush(None)
        if progress:
            progress("partners", 1, 1)

        state.closed_through = None
        result.rows += close_months(state, previous_month(first_of(clock.today(company.time_zone))),
                                    progress=(lambda n, t: progress("months", n, t)) if progress else None)
        state.cursor = result.cursor = encode_cursor(head)
        state.skip = skip
        result.skipped = len(skip)
        state.version = VERSION
        state.events = 0
        state.built_at = state.updated_at = clock.now()
        state.save()
        return result


def _documents(company, actions: list[tuple[int, str]], info: DocInfo) -> int:
    if not actions:
        return 0
    deltas = Deltas(company.pk)
    add_documents(deltas, actions, info)
    info.forget()
    return deltas.flush(None)
