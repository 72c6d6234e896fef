"""The partner-ledger check: entries match their documents, allocations never exceed, reversals are exact.

Used by `jxc check-ledger` and at the end of the finance scenario tests.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from openjxc.core.models import Company
from openjxc.core.quantities import ZERO
from openjxc.documents.models import Document, Status
from openjxc.finance.effects import EFFECTS, document_amount, effect_of
from openjxc.finance.models import Allocation, PartnerEntry, Settlement, SettlementKind, SettlementStatus
from openjxc.stock.ledger import Problem

TRIGGERS = {f"{t}_{op}" for t in ("finance_partnerentry", "finance_allocation") for op in ("no_update", "no_delete")}


def _scope(company_id):
    return {"company_id": company_id} if company_id else {}


def check_partner_ledger(company_id: int | None = None) -> list[Problem]:
    """Every violated invariant of the partner ledger, as a list (empty when the books are right)."""
    problems: list[Problem] = []
    scope = _scope(company_id)
    entries = list(PartnerEntry.objects.filter(**scope).values(
        "id", "partner_id", "book", "document_id", "settlement_id", "amount", "reverses_id"))
    allocations = list(Allocation.objects.filter(**scope).values(
        "id", "partner_id", "book", "document_id", "settlement_id", "credit_document_id", "amount", "reverses_id"))

    # 1. a reversal undoes exactly one original, in the same book for the same partner and source
    for rows, what in ((entries, "entry"), (allocations, "allocation")):
        by_id = {r["id"]: r for r in rows}
        reversed_once: dict[int, int] = defaultdict(int)
        for r in rows:
            if r["reverses_id"] is None:
                if r["amount"] <= 0 and what == "allocation":
                    problems.append(Problem("allocation.not_positive", f"allocation {r['id']} of {r['amount']}"))
                continue
            orig = by_id.get(r["reverses_id"])
            reversed_once[r["reverses_id"]] += 1
            same = orig is not None and all(
                orig[k] == r[k] for k in r if k not in ("id", "amount", "reverses_id")
            )
            if orig is None or orig["reverses_id"] is not None or not same or orig["amount"] != -r["amount"]:
                problems.append(Problem("reversal.not_exact", f"{what} {r['id']} does not exactly reverse "
                                                              f"{what} {r['reverses_id']}"))
        for pk, n in reversed_once.items():
            if n > 1:
                problems.append(Problem("reversal.repeated", f"{what} {pk} is reversed {n} times"))

    # 2. each document's entries net to its amount while posted, to zero once voided
    net_doc: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for e in entries:
        if e["document_id"] is not None:
            net_doc[e["document_id"]] += e["amount"]
    docs = Document.objects.filter(kind__in=EFFECTS, partner__isnull=False, **scope).filter(
        status__in=[Status.POSTED, Status.VOIDED]
    )
    seen = set()
    companies: dict[int, Company] = {}
    for doc in docs.iterator():
        seen.add(doc.pk)
        company = companies.get(doc.company_id) or companies.setdefault(doc.company_id, doc.company)
        effect = effect_of(doc.kind, company)  # receipts or bills book the payable (payable_from)
        sign = effect[1] if effect is not None else 0
        expected = sign * document_amount(doc) if doc.status == Status.POSTED else ZERO
        if net_doc.get(doc.pk, ZERO) != expected:
            problems.append(Problem("entry.document_mismatch", f"document {doc.number}: ledger "
                                                               f"{net_doc.get(doc.pk, ZERO)}, expected {expected}"))
    for pk, amount in net_doc.items():
        if pk not in seen and amount != 0:
            problems.append(Problem("entry.document_mismatch", f"document {pk} is not posted but has {amount}"))

    # 3. each receipt or payment: minus its amount while posted, zero otherwise
    net_set: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for e in entries:
        if e["settlement_id"] is not None:
            net_set[e["settlement_id"]] += e["amount"]
    settlements = {s.pk: s for s in Settlement.objects.filter(**scope)}
    for s in settlements.values():
        expected = s.sign * s.amount if s.status == SettlementStatus.POSTED else ZERO
        if net_set.get(s.pk, ZERO) != expected:
            problems.append(Problem("entry.settlement_mismatch", f"{s.number}: ledger {net_set.get(s.pk, ZERO)}, "
                                                                 f"expected {expected}"))

    # 4. allocations never exceed what a document owes, nor the money or credit they apply; a counter receipt
    # is applied to its own document in full while both are posted
    applied_to: dict[int, Decimal] = defaultdict(lambda: ZERO)
    applied_from_set: dict[int, Decimal] = defaultdict(lambda: ZERO)
    applied_from_doc: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in allocations:
        applied_to[a["document_id"]] += a["amount"]
        if a["settlement_id"] is not None:
            applied_from_set[a["settlement_id"]] += a["amount"]
        else:
            applied_from_doc[a["credit_document_id"]] += a["amount"]
    for pk, applied in applied_to.items():
        if applied < 0 or applied > max(net_doc.get(pk, ZERO), ZERO):
            problems.append(Problem("allocation.over_document", f"document {pk}: {applied} applied, "
                                                                f"{net_doc.get(pk, ZERO)} owed"))
    # a counter refund uses up its return's credit like an allocation (finance/counter.py)
    for s in settlements.values():
        if s.kind == SettlementKind.REFUND and s.document_id is not None:
            applied_from_doc[s.document_id] += net_set.get(s.pk, ZERO)
    for pk, applied in applied_from_set.items():
        s = settlements.get(pk)
        cap = s.amount if s is not None and s.status == SettlementStatus.POSTED else ZERO
        if applied < 0 or applied > cap:
            problems.append(Problem("allocation.over_credit", f"settlement {pk}: {applied} applied of {cap}"))
    for pk, applied in applied_from_doc.items():
        cap = max(-net_doc.get(pk, ZERO), ZERO)
        if applied < 0 or applied > cap:
            problems.append(Problem("allocation.over_credit", f"document {pk}: {applied} applied of {cap}"))
    for s in settlements.values():
        if (s.kind == SettlementKind.RECEIPT and s.document_id is not None and s.status == SettlementStatus.POSTED
                and applied_from_set.get(s.pk, ZERO) != s.amount):
            problems.append(Problem("counter.not_applied", f"{s.number}: {applied_from_set.get(s.pk, ZERO)} of "
                                                            f"{s.amount} applied to its document"))

    # 5. the append-only triggers are in place
    missing = TRIGGERS - _triggers()
    if missing:
        problems.append(Problem("partner_ledger.not_protected", ", ".join(sorted(missing))))
    return problems


def _triggers() -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {r[0] for r in cur.fetchall()}
