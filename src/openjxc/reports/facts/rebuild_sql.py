"""What the set-based rebuild's statements share: scaled figures, the flow of a leg, the days documents count on,
the sales keys of documents — each written once for both engines, the few vendor differences in small helpers.

Every statement takes the named parameters `c` (the company) and, where a time becomes a date, `tz` and `db_tz`
(`params()`). The SQL here mirrors the row-by-row code the consumer runs (legs.py, stock.py, documents.py,
docinfo.py, partners.py); tests/reports/test_rebuild_oracle.py holds them equal.
"""

from __future__ import annotations

from django.db import connection

from openjxc.documents.models import Status
from openjxc.reports.facts.docinfo import SALES_CHAIN
from openjxc.reports.facts.legs import FLOW_OF_KIND
from openjxc.reports.facts.months import month_sql
from openjxc.reports.models import MONEY_SCALE, QTY_SCALE, Channel, Flow
from openjxc.stock.models import STOCKED_KINDS, LocationKind
from openjxc.sync.models import TerminalKind

COUNTED = (Status.POSTED, Status.VOIDED, Status.CLOSED)  # a document in one of these was posted once


def quoted(values) -> str:
    """A SQL list of fixed names from our own enums (never user input)."""
    return ", ".join(f"'{v}'" for v in sorted(str(x) for x in values))


STOCKED = f"({quoted(STOCKED_KINDS)})"
CHAIN = f"({quoted(SALES_CHAIN)})"
CUSTOMER = f"'{LocationKind.CUSTOMER}'"


def params(company) -> dict:
    return {"c": company.pk, "tz": company.time_zone, "db_tz": connection.timezone_name}


def qty(column: str) -> str:
    """A quantity in the facts' scale: exact integers on both engines (as stock.py and documents.py read them)."""
    return f"CAST(ROUND({column} * {QTY_SCALE}) AS BIGINT)"


def fen(column: str) -> str:
    return f"CAST(ROUND({column} * {MONEY_SCALE}) AS BIGINT)"


def local_date(column: str) -> str:
    """The company's date (parameter `tz`) at a stored time: PostgreSQL converts, SQLite calls the function Django
    registers on every connection (times are stored as UTC text)."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE %(tz)s) AS date)"
    return f"django_datetime_cast_date({column}, %(tz)s, %(db_tz)s)"


def nonzero(sums) -> str:
    """HAVING: a row whose sums are all zero is left out, as the consumer's upsert leaves out zero deltas."""
    return " OR ".join(f"SUM({s}) <> 0" for s in sums)


def summed(table: str, keys: str, sums, source: str, values: dict, *, by_month_of: str = "",
           with_: str = "") -> int:
    """INSERT INTO `table` the sums of `source` grouped by `keys` (led by the month of the column `by_month_of`
    when given), all-zero rows left out, in key order (rows of a day or month stay on neighbouring pages); the rows
    written. `with_`: a WITH clause `source` reads."""
    group = f"{month_sql(by_month_of)}, {keys}" if by_month_of else keys
    columns = f"month, {keys}" if by_month_of else keys
    return run(f"{with_}INSERT INTO {table} (company_id, {columns}, {', '.join(sums)}) "
               f"SELECT %(c)s, {group}, {', '.join(f'SUM({s})' for s in sums)} FROM {source} "
               f"GROUP BY {group} HAVING {nonzero(sums)} ORDER BY {group}", values)


def run(sql: str, values: dict) -> int:
    """Execute one statement; the rows it wrote."""
    with connection.cursor() as cur:
        cur.execute(sql, values)
        return max(cur.rowcount, 0)


def tune() -> None:
    """PostgreSQL: room for the large sorts and hashes of a rebuild, for its transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")


# ---------------------------------------------------------------- stock legs (legs.py)


def _flow_of_kind(kind: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN {int(f)}" for k, f in sorted(FLOW_OF_KIND.items()))
    return f"CASE {kind} {cases} ELSE {int(Flow.OTHER)} END"


def leg_flow(other: str) -> str:
    """The flow of the leg at the stocked location of move `m` whose counterpart is location `other` (f or t):
    a cost-only move is an adjustment; between two stocked locations internal (same warehouse) or transfer; else
    named by the counterpart's kind."""
    return (f"CASE WHEN m.is_adjustment THEN {int(Flow.ADJUSTMENT)} "
            f"WHEN f.kind IN {STOCKED} AND t.kind IN {STOCKED} THEN "
            f"CASE WHEN f.warehouse_id = t.warehouse_id THEN {int(Flow.INTERNAL)} ELSE {int(Flow.TRANSFER)} END "
            f"ELSE {_flow_of_kind(other + '.kind')} END")


MOVES = ("FROM stock_stockmove m JOIN stock_location f ON f.id = m.from_location_id "
         "JOIN stock_location t ON t.id = m.to_location_id")


# ---------------------------------------------------------------- documents (documents.py, docinfo.py)


def void_day() -> str:
    """The day document `d` was voided: its reversal moves' business date, else its void time's local date."""
    return (f"COALESCE((SELECT MAX(r.business_on) FROM stock_stockmove r WHERE r.company_id = %(c)s "
            f"AND r.document_id = d.id AND r.reverses_id IS NOT NULL), {local_date('d.voided_at')})")


def doc_events(kinds) -> str:
    """(doc_id, day, sign): each counted document of `kinds` on its business date (+1) and, voided, on the day of
    the void (−1)."""
    where = f"d.company_id = %(c)s AND d.kind IN ({quoted(kinds)})"
    return (f"SELECT d.id AS doc_id, d.business_on AS day, 1 AS sign FROM documents_document d "
            f"WHERE {where} AND d.status IN ({quoted(COUNTED)}) "
            f"UNION ALL SELECT doc_id, day, -1 FROM (SELECT d.id AS doc_id, {void_day()} AS day "
            f"FROM documents_document d WHERE {where} AND d.status = '{Status.VOIDED}') AS v WHERE day IS NOT NULL")


def sales_keys() -> str:
    """(doc_id, customer_id, salesperson_id, channel) of every document of the company (docinfo.py): the customer;
    the creator of the first sales document of its chain (up to three sources back); till, terminal or order."""
    s = [f"s{n}" for n in range(1, 4)]
    joins = (f"LEFT JOIN documents_document s1 ON s1.id = d.source_id AND d.kind IN {CHAIN} AND s1.kind IN {CHAIN} "
             f"LEFT JOIN documents_document s2 ON s2.id = s1.source_id AND s2.kind IN {CHAIN} "
             f"LEFT JOIN documents_document s3 ON s3.id = s2.source_id AND s3.kind IN {CHAIN}")
    first = " ".join(f"WHEN {x}.id IS NOT NULL THEN {x}.created_by_id" for x in reversed(s))
    terminal = "d.custom ->> 'terminal'" if connection.vendor == "postgresql" else "json_extract(d.custom, '$.terminal')"
    channel = (f"CASE WHEN {terminal} IS NULL OR {terminal} = '' THEN {int(Channel.ORDER)} "
               f"WHEN EXISTS (SELECT 1 FROM sync_terminal k WHERE k.company_id = d.company_id "
               f"AND k.code = {terminal} AND k.kind = '{TerminalKind.POS}') THEN {int(Channel.TILL)} "
               f"ELSE {int(Channel.TERMINAL)} END")
    return (f"SELECT d.id AS doc_id, COALESCE(d.partner_id, 0) AS customer_id, "
            f"COALESCE(CASE {first} ELSE d.created_by_id END, 0) AS salesperson_id, {channel} AS channel "
            f"FROM documents_document d {joins} WHERE d.company_id = %(c)s")
