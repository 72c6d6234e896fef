"""The partner facts in three statements: PartnerDay from every entry and allocation of the partner ledger (as
partners.py adds them), and PartnerRowSeen marking each of those rows as in the facts."""

from __future__ import annotations

from openjxc.finance.effects import EFFECTS
from openjxc.reports.facts.partners import BOOKS
from openjxc.reports.facts.rebuild_sql import fen, quoted, run, summed
from openjxc.reports.models import PartnerRowSeen

SUMS = ("debit", "credit", "settled", "applied")


def _book(column: str) -> str:
    return "CASE " + " ".join(f"WHEN {column} = '{name}' THEN {int(b)}" for name, b in sorted(BOOKS.items())) + " END"


def partner_days(values: dict) -> int:
    """Money received or paid: settled; a document's entry: debit when its kind raises the debt, else credit
    (both positive); an allocation: applied, on the due date of the document it is applied to (of that document's
    original entry; its own date when there is none)."""
    v = fen("e.amount")
    lowering = quoted(k for k, (_book, sign) in EFFECTS.items() if sign < 0)
    entries = (f"SELECT {_book('e.book')} AS book, e.business_on AS day, e.partner_id AS partner_id, "
               f"e.due_on AS due_on, "
               f"CASE WHEN e.settlement_id IS NULL AND COALESCE(d.kind, '') NOT IN ({lowering}) THEN {v} ELSE 0 END "
               f"AS debit, "
               f"CASE WHEN e.settlement_id IS NULL AND d.kind IN ({lowering}) THEN -{v} ELSE 0 END AS credit, "
               f"CASE WHEN e.settlement_id IS NOT NULL THEN -{v} ELSE 0 END AS settled, 0 AS applied "
               f"FROM finance_partnerentry e LEFT JOIN documents_document d ON d.id = e.document_id "
               f"WHERE e.company_id = %(c)s")
    due = ("(SELECT MIN(x.due_on) FROM finance_partnerentry x WHERE x.company_id = %(c)s "
           "AND x.document_id = a.document_id AND x.reverses_id IS NULL)")
    allocations = (f"SELECT {_book('a.book')}, a.business_on, a.partner_id, COALESCE({due}, a.business_on), "
                   f"0, 0, 0, {fen('a.amount')} FROM finance_allocation a WHERE a.company_id = %(c)s")
    keys = "book, day, partner_id, due_on"
    return summed("reports_partnerday", keys, SUMS, f"({entries} UNION ALL {allocations}) AS x", values)


def rows_seen(values: dict) -> int:
    n = 0
    for kind, table in ((PartnerRowSeen.ENTRY, "finance_partnerentry"),
                        (PartnerRowSeen.ALLOCATION, "finance_allocation")):
        n += run(f"INSERT INTO reports_partnerrowseen (company_id, kind, row_id) "
                 f"SELECT %(c)s, {int(kind)}, id FROM {table} WHERE company_id = %(c)s", values)
    return n
