"""The partner ledger (应收 / 应付) into PartnerDay, each entry and allocation exactly once.

The finance events name the document, receipt/payment or allocation they concern, not the ledger rows written
(a void reverses rows without an event per row). So for each object an event names, the consumer reads that
object's rows not yet in the facts (PartnerRowSeen) and adds them, marking them in the same transaction: a row
is never added twice, and a row written by a later transaction is simply added when first read.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from openjxc.finance.effects import EFFECTS
from openjxc.finance.models import Allocation, PartnerEntry
from openjxc.reports.facts.deltas import Deltas
from openjxc.reports.facts.scale import fen
from openjxc.reports.models import Book, PartnerRowSeen

BOOKS = {"receivable": Book.RECEIVABLE, "payable": Book.PAYABLE}
_SIGN = {kind: sign for kind, (_book, sign) in EFFECTS.items()}


def _unseen(qs, kind: int):
    return qs.filter(~Exists(PartnerRowSeen.objects.filter(kind=kind, row_id=OuterRef("pk"))))


def add_partner_rows(deltas: Deltas, *, documents=(), settlements=(), allocations=()) -> None:
    """Add the not-yet-seen entries and allocations of these documents, settlements and allocations' credits to
    `deltas`."""
    company_id = deltas.company_id
    documents, settlements = set(documents), set(settlements)
    if allocations:
        for s, c, d in Allocation.objects.filter(company_id=company_id, pk__in=list(allocations)).values_list(
                "settlement_id", "credit_document_id", "document_id"):
            settlements.update({s} - {None})
            documents.update({c, d} - {None})
    if not documents and not settlements:
        return
    docs, sets = sorted(documents), sorted(settlements)
    entries = _unseen(PartnerEntry.objects.filter(company_id=company_id).filter(
        Q(document_id__in=docs) | Q(settlement_id__in=sets)), PartnerRowSeen.ENTRY)
    allocs = _unseen(Allocation.objects.filter(company_id=company_id).filter(
        Q(document_id__in=docs) | Q(credit_document_id__in=docs) | Q(settlement_id__in=sets)),
        PartnerRowSeen.ALLOCATION)
    entry_rows = list(entries.values_list("id", "book", "business_on", "partner_id", "due_on", "amount",
                                          "document__kind", "settlement_id"))
    alloc_rows = list(allocs.values_list("id", "book", "business_on", "partner_id", "document_id", "amount"))
    due = _due_dates(company_id, {r[4] for r in alloc_rows})
    for pk, book, day, partner, due_on, amount, kind, settlement in entry_rows:
        acc = deltas.partner[(BOOKS[book], day, partner, due_on)]
        value = fen(amount)
        if settlement is not None:
            acc[2] -= value  # money received / paid lowers the balance: a positive "settled"
        elif _SIGN.get(kind, 1) > 0:
            acc[0] += value
        else:
            acc[1] -= value
        deltas.seen.append((PartnerRowSeen.ENTRY, pk))
    for pk, book, day, partner, document, amount in alloc_rows:
        deltas.partner[(BOOKS[book], day, partner, due.get(document, day))][3] += fen(amount)
        deltas.seen.append((PartnerRowSeen.ALLOCATION, pk))


def _due_dates(company_id: int, documents: set[int]) -> dict[int, dt.date]:
    """When each document falls due: the due date of its (first, unreversed-original) ledger entry."""
    if not documents:
        return {}
    return dict(PartnerEntry.objects.filter(company_id=company_id, document_id__in=sorted(documents),
                                            reverses__isnull=True).values_list("document_id", "due_on"))
