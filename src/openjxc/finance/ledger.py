"""The partner-ledger check: entries match their documents, allocations never exceed, reversals are exact.

Used by `jxc check-ledger`, the nightly check (core/ledger_checks.py) and at the end of the finance scenario tests.
Every invariant is one query that the database answers with only the keys that break it (decision 0031): no
entry, allocation or document is held in memory, so it checks the whole ledger every night. Amounts are compared
in cents (rounded per row), exact whatever the engine keeps a NUMERIC as.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from openjxc.core.models import Company
from openjxc.core.sql import literals as _in
from openjxc.core.sql import select_rows as _rows
from openjxc.documents.models import Status
from openjxc.finance.effects import EFFECTS, effect_of
from openjxc.finance.models import SettlementKind, SettlementStatus
from openjxc.stock.ledger import Problem

TRIGGERS = {f"{t}_{op}" for t in ("finance_partnerentry", "finance_allocation") for op in ("no_update", "no_delete")}
CENTS = "CAST(ROUND({} * 100) AS BIGINT)"
# what a document puts on the ledger: its total with tax when it carries one (effects.document_amount)
DOC_CENTS = CENTS.format("(CASE WHEN COALESCE(d.total_with_tax, 0) <> 0 THEN d.total_with_tax "
                         "ELSE d.total_amount END)")
POSTED, VOIDED = str(Status.POSTED), str(Status.VOIDED)
S_POSTED = str(SettlementStatus.POSTED)
RECEIPT, REFUND = str(SettlementKind.RECEIPT), str(SettlementKind.REFUND)
# the columns a reversal repeats from its original (all but id, amount, reverses and the bookkeeping)
SAME = {"finance_partnerentry": ("partner_id", "book", "document_id", "settlement_id"),
        "finance_allocation": ("partner_id", "book", "document_id", "settlement_id", "credit_document_id")}


def _money(cents) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


def check_partner_ledger(company_id: int | None = None) -> list[Problem]:
    """Every violated invariant of the partner ledger, as a list (empty when the books are right)."""
    problems: list[Problem] = []

    def scope(alias: str) -> tuple[str, list]:
        return (f"{alias}.company_id = %s", [company_id]) if company_id else ("1 = 1", [])

    # 1. a reversal undoes exactly one original, in the same book for the same partner and source
    for table, what in (("finance_partnerentry", "entry"), ("finance_allocation", "allocation")):
        w, p = scope("r")
        if what == "allocation":
            for pk, amount in _rows(f"SELECT r.id, {CENTS.format('r.amount')} FROM {table} r WHERE {w} "
                                    f"AND r.reverses_id IS NULL AND {CENTS.format('r.amount')} <= 0 ORDER BY r.id", p):
                problems.append(Problem("allocation.not_positive", f"allocation {pk} of {_money(amount)}"))
        wo, po = scope("o")
        # null-safe: a column set on one side only differs (a plain = would be NULL there, and NOT NULL too)
        same = " AND ".join(f"CASE WHEN o.{c} = r.{c} OR (o.{c} IS NULL AND r.{c} IS NULL) THEN 1 ELSE 0 END = 1"
                            for c in SAME[table])
        for pk, orig in _rows(f"SELECT r.id, r.reverses_id FROM {table} r LEFT JOIN {table} o "
                              f"ON o.id = r.reverses_id AND {wo} WHERE {w} AND r.reverses_id IS NOT NULL "
                              f"AND (o.id IS NULL OR o.reverses_id IS NOT NULL OR NOT ({same}) "
                              f"OR {CENTS.format('o.amount')} <> -{CENTS.format('r.amount')}) ORDER BY r.id",
                              po + p):
            problems.append(Problem("reversal.not_exact", f"{what} {pk} does not exactly reverse {what} {orig}"))
        for pk, n in _rows(f"SELECT r.reverses_id, COUNT(*) FROM {table} r WHERE {w} AND r.reverses_id IS NOT NULL "
                           f"GROUP BY r.reverses_id HAVING COUNT(*) > 1 ORDER BY r.reverses_id", p):
            problems.append(Problem("reversal.repeated", f"{what} {pk} is reversed {n} times"))

    # the nets every later step reads: per document and per settlement from the entries, the allocations per
    # document paid, per settlement and per credit document
    we, pe = scope("e")
    wa, pa = scope("a")
    net_doc = (f"SELECT e.document_id AS id, SUM({CENTS.format('e.amount')}) AS net FROM finance_partnerentry e "
               f"WHERE {we} AND e.document_id IS NOT NULL GROUP BY e.document_id")
    net_set = (f"SELECT e.settlement_id AS id, SUM({CENTS.format('e.amount')}) AS net FROM finance_partnerentry e "
               f"WHERE {we} AND e.settlement_id IS NOT NULL GROUP BY e.settlement_id")

    # 2. each document's entries net to its amount while posted, to zero once voided; the sign of each kind is
    # the company's (receipts or bills book the payable: payable_from), given to the query as a list of values
    companies = Company.objects.filter(pk=company_id) if company_id else Company.objects.all()
    signs = [(c.pk, kind, (effect_of(kind, c) or (None, 0))[1]) for c in companies for kind in EFFECTS]
    wd, pd = scope("d")
    if signs:  # written out (integers and our own kind names): no limit on parameters however many companies
        values = ", ".join(f"({int(pk)}, '{kind}', {int(sign)})" for pk, kind, sign in signs)
        expected = f"CASE WHEN d.status = '{POSTED}' THEN s.sign * {DOC_CENTS} ELSE 0 END"
        rows = _rows(f"WITH signs (company_id, kind, sign) AS (VALUES {values}), n AS ({net_doc}) "
                     f"SELECT d.number, COALESCE(n.net, 0), {expected} FROM documents_document d "
                     f"JOIN signs s ON s.company_id = d.company_id AND s.kind = d.kind "
                     f"LEFT JOIN n ON n.id = d.id WHERE {wd} AND d.partner_id IS NOT NULL "
                     f"AND d.status IN ('{POSTED}', '{VOIDED}') AND COALESCE(n.net, 0) <> {expected} ORDER BY d.id",
                     pe + pd)
        for number, net, exp in rows:
            problems.append(Problem("entry.document_mismatch", f"document {number}: ledger {_money(net)}, "
                                                               f"expected {_money(exp)}"))
    for pk, net in _rows(f"WITH n AS ({net_doc}) SELECT n.id, n.net FROM n WHERE n.net <> 0 AND NOT EXISTS ("
                         f"SELECT 1 FROM documents_document d WHERE d.id = n.id AND {wd} "
                         f"AND d.kind IN ({_in(EFFECTS)}) AND d.partner_id IS NOT NULL "
                         f"AND d.status IN ('{POSTED}', '{VOIDED}')) ORDER BY n.id", pe + pd):
        problems.append(Problem("entry.document_mismatch", f"document {pk} is not posted but has {_money(net)}"))

    # 3. each receipt or payment: minus its amount while posted (a refund: plus), zero otherwise
    ws, ps = scope("st")
    expected = (f"CASE WHEN st.status = '{S_POSTED}' THEN (CASE WHEN st.kind = '{REFUND}' THEN 1 ELSE -1 END) "
                f"* {CENTS.format('st.amount')} ELSE 0 END")
    for number, net, exp in _rows(f"WITH n AS ({net_set}) SELECT st.number, COALESCE(n.net, 0), {expected} "
                                  f"FROM finance_settlement st LEFT JOIN n ON n.id = st.id WHERE {ws} "
                                  f"AND COALESCE(n.net, 0) <> {expected} ORDER BY st.id", pe + ps):
        problems.append(Problem("entry.settlement_mismatch", f"{number}: ledger {_money(net)}, expected {_money(exp)}"))

    # 4. allocations never exceed what a document owes, nor the money or credit they apply; a counter receipt
    # is applied to its own document in full while both are posted
    to_doc = (f"SELECT a.document_id AS id, SUM({CENTS.format('a.amount')}) AS applied FROM finance_allocation a "
              f"WHERE {wa} GROUP BY a.document_id")
    for pk, applied, net in _rows(f"WITH t AS ({to_doc}), n AS ({net_doc}) SELECT t.id, t.applied, "
                                  f"COALESCE(n.net, 0) FROM t LEFT JOIN n ON n.id = t.id WHERE t.applied < 0 "
                                  f"OR t.applied > (CASE WHEN n.net > 0 THEN n.net ELSE 0 END) ORDER BY t.id",
                                  pa + pe):
        problems.append(Problem("allocation.over_document", f"document {pk}: {_money(applied)} applied, "
                                                            f"{_money(net)} owed"))
    from_set = (f"SELECT a.settlement_id AS id, SUM({CENTS.format('a.amount')}) AS applied "
                f"FROM finance_allocation a WHERE {wa} AND a.settlement_id IS NOT NULL GROUP BY a.settlement_id")
    cap = f"(CASE WHEN st.status = '{S_POSTED}' THEN {CENTS.format('st.amount')} ELSE 0 END)"
    for pk, applied, of in _rows(f"WITH f AS ({from_set}) SELECT f.id, f.applied, COALESCE({cap}, 0) FROM f "
                                 f"LEFT JOIN finance_settlement st ON st.id = f.id AND {ws} "
                                 f"WHERE f.applied < 0 OR f.applied > COALESCE({cap}, 0) ORDER BY f.id", pa + ps):
        problems.append(Problem("allocation.over_credit", f"settlement {pk}: {_money(applied)} applied of "
                                                          f"{_money(of)}"))
    # a counter refund uses up its return's credit like an allocation (finance/counter.py)
    from_doc = (f"SELECT a.credit_document_id AS id, {CENTS.format('a.amount')} AS applied FROM finance_allocation a "
                f"WHERE {wa} AND a.settlement_id IS NULL UNION ALL SELECT st.document_id, COALESCE(ns.net, 0) "
                f"FROM finance_settlement st LEFT JOIN ns ON ns.id = st.id WHERE {ws} AND st.kind = '{REFUND}' "
                f"AND st.document_id IS NOT NULL")
    for pk, applied, net in _rows(f"WITH n AS ({net_doc}), ns AS ({net_set}), c AS (SELECT id, SUM(applied) AS "
                                  f"applied FROM ({from_doc}) AS x GROUP BY id) "
                                  f"SELECT c.id, c.applied, COALESCE(n.net, 0) FROM c LEFT JOIN n ON n.id = c.id "
                                  f"WHERE c.applied < 0 OR c.applied > (CASE WHEN n.net < 0 THEN -n.net ELSE 0 END) "
                                  f"ORDER BY c.id", pe + pe + pa + ps):
        problems.append(Problem("allocation.over_credit", f"document {pk}: {_money(applied)} applied of "
                                                          f"{_money(max(-int(net or 0), 0))}"))
    for number, applied, amount in _rows(f"WITH f AS ({from_set}) SELECT st.number, COALESCE(f.applied, 0), "
                                         f"{CENTS.format('st.amount')} FROM finance_settlement st "
                                         f"LEFT JOIN f ON f.id = st.id WHERE {ws} AND st.kind = '{RECEIPT}' "
                                         f"AND st.document_id IS NOT NULL AND st.status = '{S_POSTED}' "
                                         f"AND COALESCE(f.applied, 0) <> {CENTS.format('st.amount')} ORDER BY st.id",
                                         pa + ps):
        problems.append(Problem("counter.not_applied", f"{number}: {_money(applied)} of {_money(amount)} applied "
                                                       f"to its document"))

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
