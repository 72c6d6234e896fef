"""`jxc check-facts`: the facts equal the stock ledger, the documents and the partner ledger.

The check runs in one transaction that sees one state of the books (REPEATABLE READ on PostgreSQL, after the lock
a rebuild takes; SQLite's write transaction): it first adds every committed event the consumer has not reached
yet — so a consumer running behind is not a difference — then compares, then rolls everything back. Each
comparison is one query that sums the facts and subtracts the same figure read from the ledgers, keeping the keys
where something is left (no large join, no large dict in memory).

Compared: stock per day, warehouse, item and lot (quantity, value) and the balances; cost of sales per day,
warehouse and item; the monthly roll-ups; every month-end checkpoint against the one before it and its month's
days; the narrow sales roll-ups (and the category recorded for each item against its current one);
sales and purchases per day and warehouse and per item over all time; tickets; purchase order lines; the
partner ledger per partner and per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction

from openjxc.core.models import Company, Event
from openjxc.core.sql import literals as _in
from openjxc.core.sql import select_rows as _rows
from openjxc.documents.models import Status
from openjxc.reports.facts.ageing import MOVING_FLOWS, RECEIVED_FLOWS, flows_sql, layers_sql
from openjxc.reports.facts.consumer import apply_events, due_month
from openjxc.reports.facts.deltas import Deltas
from openjxc.reports.facts.docinfo import DocInfo
from openjxc.reports.facts.documents import PURCHASES, SALES, void_days
from openjxc.reports.facts.months import as_date, close_months, last_of, month_sql, previous_month
from openjxc.reports.facts.rebuild import VERSION
from openjxc.reports.models import MONEY_SCALE, QTY_SCALE, FactCursor
from openjxc.stock.ledger import Problem

SHOW = 20  # differences listed per comparison
Q = f"CAST(ROUND({{}} * {QTY_SCALE}) AS BIGINT)"
M = f"CAST(ROUND({{}} * {MONEY_SCALE}) AS BIGINT)"
STOCKED = "('internal', 'transit')"


@dataclass
class FactsReport:
    company: str
    cursor: str = ""
    caught_up: int = 0  # events added for the check that the consumer had not reached
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _differences(report: FactsReport, code: str, keys: str, sums: int, facts: str, ledger: str, params: list,
                 what: str) -> None:
    """Keys where `facts` − `ledger` (both SELECT keys, then `sums` figures) is not zero, as problems."""
    cols = ", ".join(f"SUM(s{i})" for i in range(sums))
    having = " OR ".join(f"SUM(s{i}) <> 0" for i in range(sums))
    sql = (f"SELECT {keys}, {cols} FROM ({facts} UNION ALL {ledger}) AS x GROUP BY {keys} HAVING {having} "
           f"ORDER BY {keys}")
    rows = _rows(sql, params)
    for row in rows[:SHOW]:
        n = len(row) - sums
        report.problems.append(Problem(code, f"{what} {tuple(row[:n])}: facts − ledger = {tuple(row[n:])}"))
    if len(rows) > SHOW:
        report.problems.append(Problem(code, f"… and {len(rows) - SHOW} more"))


def _stock(report: FactsReport, c: int) -> None:
    k = "day, warehouse_id, item_id, lot_key"
    legs = (f"SELECT m.business_on AS day, l.warehouse_id, m.item_id, COALESCE(m.lot_id, 0) AS lot_key, "
            f"{{sign}}{Q.format('m.quantity')} AS s0, {{sign}}{M.format('m.value')} AS s1 FROM stock_stockmove m "
            f"JOIN stock_location l ON l.id = m.{{side}}_location_id WHERE m.company_id = %s AND l.kind IN {STOCKED}")
    _differences(report, "facts.stock_day", k, 2,
                 f"SELECT {k}, qty_in - qty_out AS s0, value_in - value_out AS s1 FROM reports_stockday "
                 f"WHERE company_id = %s",
                 legs.format(sign="-", side="to") + " UNION ALL " + legs.format(sign="", side="from"),
                 [c, c, c], "day, warehouse, item, lot")
    k = "warehouse_id, item_id, lot_key"
    _differences(report, "facts.stock_balance", k, 2,
                 f"SELECT {k}, qty_in - qty_out AS s0, value_in - value_out AS s1 FROM reports_stockday "
                 f"WHERE company_id = %s",
                 f"SELECT l.warehouse_id, b.item_id, b.lot_key, -{Q.format('b.quantity')}, -{M.format('b.value')} "
                 f"FROM stock_stockbalance b JOIN stock_location l ON l.id = b.location_id WHERE b.company_id = %s",
                 [c, c], "warehouse, item, lot")
    k = "day, warehouse_id, item_id"
    cost = (f"SELECT m.business_on, s.warehouse_id, m.item_id, {{sign}}{M.format('m.value')} "
            f"FROM stock_stockmove m JOIN stock_location s ON s.id = m.{{stocked}}_location_id "
            f"JOIN stock_location v ON v.id = m.{{other}}_location_id "
            f"WHERE m.company_id = %s AND s.kind IN {STOCKED} AND v.kind = 'customer'")
    _differences(report, "facts.cost_of_sales", k, 1,
                 f"SELECT {k}, cogs - return_cost AS s0 FROM reports_salesday WHERE company_id = %s",
                 cost.format(sign="-", stocked="from", other="to") + " UNION ALL "
                 + cost.format(sign="", stocked="to", other="from"),
                 [c, c, c], "day, warehouse, item")


def _ageing(report: FactsReport, c: int) -> None:
    """StockNow against the ledger's balances, its last_out and ReceiptDay against StockDay, AgeLayer against a
    fresh computation from ReceiptDay and StockNow (decision 0023)."""
    k = "warehouse_id, item_id"
    _differences(report, "facts.stock_now", k, 2,
                 f"SELECT {k}, qty AS s0, value AS s1 FROM reports_stocknow WHERE company_id = %s",
                 f"SELECT l.warehouse_id, b.item_id, -{Q.format('b.quantity')}, -{M.format('b.value')} "
                 f"FROM stock_stockbalance b JOIN stock_location l ON l.id = b.location_id WHERE b.company_id = %s",
                 [c, c], "warehouse, item")
    rows = _rows(f"SELECT {k}, MAX(a), MAX(b) FROM (SELECT {k}, last_out AS a, NULL AS b FROM reports_stocknow "
                 f"WHERE company_id = %s UNION ALL SELECT {k}, NULL, MAX(CASE WHEN qty_out > 0 AND flow IN "
                 f"{flows_sql(MOVING_FLOWS)} THEN day END) FROM reports_stockday WHERE company_id = %s GROUP BY {k}) "
                 f"AS x GROUP BY {k} HAVING COALESCE(MAX(a), MAX(b)) IS NOT NULL "
                 f"AND (MAX(a) IS NULL OR MAX(b) IS NULL OR MAX(a) <> MAX(b)) ORDER BY {k}", [c, c])
    for w, i, kept, last in rows[:SHOW]:
        report.problems.append(Problem("facts.last_out", f"warehouse, item {(w, i)}: last outbound day {kept} in "
                                                         f"the facts, {last} in the day facts"))
    k = "warehouse_id, item_id, day"
    _differences(report, "facts.receipt_day", k, 1,
                 f"SELECT {k}, qty AS s0 FROM reports_receiptday WHERE company_id = %s",
                 f"SELECT {k}, -qty_in FROM reports_stockday WHERE company_id = %s AND flow IN "
                 f"{flows_sql(RECEIVED_FLOWS)}", [c, c], "warehouse, item, day")
    fresh, params = layers_sql(c, None)
    _differences(report, "facts.age_layer", k, 1,
                 f"SELECT {k}, qty AS s0 FROM reports_agelayer WHERE company_id = %s",
                 f"SELECT w, i, day, -qty FROM ({fresh}) AS a", [c, *params], "warehouse, item, day")


def _move_counts(report: FactsReport, c: int) -> None:
    """MoveCountDay (the home page's chart) against counting the moves."""
    k = "day, loc"
    moves = ("SELECT business_on AS day, to_location_id AS loc, -1 AS s0, 0 AS s1 FROM stock_stockmove "
             "WHERE company_id = %s UNION ALL SELECT business_on, from_location_id, 0, -1 FROM stock_stockmove "
             "WHERE company_id = %s")
    _differences(report, "facts.move_counts", k, 2,
                 "SELECT day, location_id AS loc, moves_in AS s0, moves_out AS s1 FROM reports_movecountday "
                 "WHERE company_id = %s", moves, [c, c, c], "day, location")


def _rollups(report: FactsReport, c: int) -> None:
    k = "month, warehouse_id, item_id, flow"
    _differences(report, "facts.stock_month", k, 4,
                 f"SELECT {k}, qty_in AS s0, qty_out AS s1, value_in AS s2, value_out AS s3 FROM reports_stockmonth "
                 f"WHERE company_id = %s",
                 f"SELECT {month_sql('day')}, warehouse_id, item_id, flow, -qty_in, -qty_out, -value_in, -value_out "
                 f"FROM reports_stockday WHERE company_id = %s", [c, c], "month, warehouse, item, flow")
    sums = ("qty", "revenue", "tax", "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost")
    k = "month, warehouse_id, item_id, customer_id, salesperson_id, channel"
    _differences(report, "facts.sales_month", k, len(sums),
                 f"SELECT {k}, {', '.join(f'{s} AS s{i}' for i, s in enumerate(sums))} FROM reports_salesmonth "
                 f"WHERE company_id = %s",
                 f"SELECT {month_sql('day')}, warehouse_id, item_id, customer_id, salesperson_id, channel, "
                 f"{', '.join(f'-{s}' for s in sums)} FROM reports_salesday WHERE company_id = %s",
                 [c, c], "month, warehouse, item, customer, salesperson, channel")
    figures = ", ".join(f"{s} AS s{i}" for i, s in enumerate(sums))
    minus = ", ".join(f"-d.{s}" for s in sums)
    k = "month, warehouse_id, item_id"
    _differences(report, "facts.sales_item_month", k, len(sums),
                 f"SELECT {k}, {figures} FROM reports_salesitemmonth WHERE company_id = %s",
                 f"SELECT {month_sql('d.day')}, d.warehouse_id, d.item_id, {minus} FROM reports_salesday d "
                 f"WHERE d.company_id = %s", [c, c], "month, warehouse, item")
    # under the category recorded for the item (-1: none recorded); the batch above moved re-categorised items
    k = "month, warehouse_id, customer_id, category_id"
    _differences(report, "facts.sales_category_month", k, len(sums),
                 f"SELECT {k}, {figures} FROM reports_salescategorymonth WHERE company_id = %s",
                 f"SELECT {month_sql('d.day')}, d.warehouse_id, d.customer_id, COALESCE(r.category_id, -1), {minus} "
                 f"FROM reports_salesday d LEFT JOIN reports_salescategoryitem r ON r.company_id = d.company_id "
                 f"AND r.item_id = d.item_id WHERE d.company_id = %s", [c, c],
                 "month, warehouse, customer, category")
    _differences(report, "facts.sales_category_item", "item_id", 1,
                 "SELECT r.item_id, r.category_id AS s0 FROM reports_salescategoryitem r WHERE r.company_id = %s",
                 "SELECT i.id, -COALESCE(i.category_id, 0) FROM catalog_item i WHERE i.id IN (SELECT item_id FROM "
                 "reports_salescategoryitem WHERE company_id = %s)", [c, c], "item (recorded − current category)")


def _checkpoints(report: FactsReport, c: int, closed_through: dt.date | None) -> None:
    """Each closed month's checkpoint = the previous one carried over + the month's days (both sums and
    day-weighted sums); the first month's previous one is empty."""
    if closed_through is None:
        return
    months = [r[0] for r in _rows("SELECT DISTINCT month FROM reports_stockclose WHERE company_id = %s", [c])]
    months += [r[0] for r in _rows(f"SELECT DISTINCT {month_sql('day')} FROM reports_stockday "
                                   f"WHERE company_id = %s", [c])]
    months = sorted({dt.date.fromisoformat(m) if isinstance(m, str) else m for m in months})
    k = "warehouse_id, item_id, lot_key"
    vendor = connection.vendor
    for month in [m for m in months if m <= closed_through]:
        end, prev = last_of(month), previous_month(month)
        days = (end - month).days + 1
        span = "(%s::date - day + 1)" if vendor == "postgresql" else "CAST(julianday(%s) - julianday(day) + 1 AS INTEGER)"
        p = (lambda d: d) if vendor == "postgresql" else (lambda d: d.isoformat())
        _differences(report, "facts.checkpoint", k, 4,
                     f"SELECT {k}, qty AS s0, value AS s1, qty_days AS s2, value_days AS s3 FROM reports_stockclose "
                     f"WHERE company_id = %s AND month = %s",
                     f"SELECT {k}, -qty, -value, -qty * {days}, -value * {days} FROM reports_stockclose "
                     f"WHERE company_id = %s AND month = %s UNION ALL "
                     f"SELECT {k}, -(qty_in - qty_out), -(value_in - value_out), -(qty_in - qty_out) * {span}, "
                     f"-(value_in - value_out) * {span} FROM reports_stockday "
                     f"WHERE company_id = %s AND day >= %s AND day <= %s",
                     [c, p(month), c, p(prev), p(end), p(end), c, p(month), p(end)], f"{month:%Y-%m} warehouse, item, lot")


def _documents(report: FactsReport, c: int, info: DocInfo) -> None:
    """Sales and purchases: per item over all time (voids net out), per day and warehouse (voids on their day)."""
    q, a, t = Q.format("l.quantity"), M.format("l.amount"), M.format("l.tax_amount")
    for kinds, table, cols, code in (
            (SALES, "reports_salesday", ("qty", "revenue", "tax", "return_qty", "return_revenue", "return_tax"),
             "facts.sales"),
            (PURCHASES, "reports_purchaseday", ("qty", "amount", "tax", "return_qty", "return_amount"),
             "facts.purchases")):
        n = len(cols)
        parts = []
        for kind, is_return in kinds.items():
            figures = ["0", "0", "0", f"-{q}", f"-{a}", f"-{t}"] if is_return else [f"-{q}", f"-{a}", f"-{t}",
                                                                                   "0", "0", "0"]
            parts.append(f"SELECT d.warehouse_id, l.item_id, {', '.join(figures[:n])} FROM documents_documentline l "
                         f"JOIN documents_document d ON d.id = l.document_id "
                         f"WHERE d.company_id = %s AND d.status = 'posted' AND d.kind = '{kind}'")
        _differences(report, code, "warehouse_id, item_id", n,
                     f"SELECT warehouse_id, item_id, {', '.join(f'{s} AS s{i}' for i, s in enumerate(cols))} "
                     f"FROM {table} WHERE company_id = %s",
                     " UNION ALL ".join(parts), [c] * (1 + len(parts)), "warehouse, item (all time)")
        _daily(report, c, info, kinds, table, list(cols), code)


def _voided(c: int, info: DocInfo, kinds: dict) -> list[tuple[int, str, int, dt.date]]:
    """The voided documents of `kinds` with a void day: (id, kind, warehouse or 0, day). Few: a void corrects."""
    rows = _rows(f"SELECT id, kind, warehouse_id FROM documents_document WHERE company_id = %s "
                 f"AND status = '{Status.VOIDED}' AND kind IN ({_in(kinds)}) ORDER BY id", [c])
    info.load([r[0] for r in rows])
    days = void_days(c, [info.get(r[0]) for r in rows], info)
    return [(pk, kind, wh or 0, days[pk]) for pk, kind, wh in rows if days.get(pk) is not None]


def _by_day(report: FactsReport, code: str, n: int, facts: str, ledger: str, params: list,
            voided: dict[tuple, list[int]], what: str) -> None:
    """Per (day, warehouse): `facts` − `ledger` (each SELECT day, wh, then `n` figures) summed by the database,
    which returns only the keys left over (a void's key among them), plus `voided` — what the voids took off
    the ledger on their void day (their day is found in Python: reversal moves, else the void time's local
    date) — reported where still not zero. Memory: the differing keys and the voided documents only."""
    cols = ", ".join(f"SUM(s{i})" for i in range(n))
    having = " OR ".join(f"SUM(s{i}) <> 0" for i in range(n))
    left: dict[tuple, list[int]] = {}
    for row in _rows(f"SELECT day, wh, {cols} FROM ({facts} UNION ALL {ledger}) AS x GROUP BY day, wh "
                     f"HAVING {having}", params):
        left[(as_date(row[0]), row[1])] = [int(x or 0) for x in row[2:]]
    for key, figures in voided.items():  # facts − (posted − voided): the void's figures come back in
        acc = left.setdefault(key, [0] * n)
        for i, f in enumerate(figures):
            acc[i] += f
    wrong = sorted(k for k, v in left.items() if any(v))
    for key in wrong[:SHOW]:
        report.problems.append(Problem(code, f"day, warehouse {key}: facts − ledger = {tuple(left[key])} ({what})"))
    if len(wrong) > SHOW:
        report.problems.append(Problem(code, f"… and {len(wrong) - SHOW} more"))


def _daily(report: FactsReport, c: int, info: DocInfo, kinds: dict, table: str, cols: list[str], code: str) -> None:
    """Per (day, warehouse): the facts' sums against the posted and voided documents' lines on their business day
    and the voided ones' taken off on their void day."""
    n = len(cols)
    q, a, t = Q.format("l.quantity"), M.format("l.amount"), M.format("l.tax_amount")

    def figures(is_return: bool, sign: str) -> list[str]:
        mine = [f"{sign}{q}", f"{sign}{a}", f"{sign}{t}"]
        return ([*["0"] * 3, *mine] if is_return else [*mine, *["0"] * 3])[:n]

    parts = [f"SELECT d.business_on AS day, COALESCE(d.warehouse_id, 0) AS wh, {', '.join(figures(ret, '-'))} "
             f"FROM documents_documentline l JOIN documents_document d ON d.id = l.document_id "
             f"WHERE d.company_id = %s AND d.status IN ('{Status.POSTED}', '{Status.VOIDED}') AND d.kind = '{kind}'"
             for kind, ret in kinds.items()]
    voided_docs = _voided(c, info, kinds)
    sums = {pk: (int(sq or 0), int(sa or 0), int(st or 0)) for pk, sq, sa, st in _rows(
        f"SELECT l.document_id, SUM({q}), SUM({a}), SUM({t}) FROM documents_documentline l "
        f"JOIN documents_document d ON d.id = l.document_id WHERE d.company_id = %s "
        f"AND d.status = '{Status.VOIDED}' AND d.kind IN ({_in(kinds)}) GROUP BY l.document_id", [c])}
    voided: dict[tuple, list[int]] = {}
    for pk, kind, wh, day in voided_docs:
        mine = list(sums.get(pk, (0, 0, 0)))
        acc = voided.setdefault((day, wh), [0] * n)
        for i, f in enumerate(([0] * 3 + mine if kinds[kind] else mine + [0] * 3)[:n]):
            acc[i] += f
    _by_day(report, code + "_day", n,
            f"SELECT day, warehouse_id AS wh, {', '.join(f'{s} AS s{i}' for i, s in enumerate(cols))} FROM {table} "
            f"WHERE company_id = %s", " UNION ALL ".join(parts), [c] * (1 + len(parts)), voided, ", ".join(cols))


def _partners(report: FactsReport, c: int) -> None:
    k = "partner_id, book"
    book = "CASE e.book WHEN 'receivable' THEN 1 ELSE 2 END"
    _differences(report, "facts.partner_balance", k, 1,
                 f"SELECT {k}, debit - credit - settled AS s0 FROM reports_partnerday WHERE company_id = %s",
                 f"SELECT e.partner_id, {book}, -{M.format('e.amount')} FROM finance_partnerentry e "
                 f"WHERE e.company_id = %s", [c, c], "partner, book")
    _differences(report, "facts.partner_applied", k, 1,
                 f"SELECT {k}, applied AS s0 FROM reports_partnerday WHERE company_id = %s",
                 f"SELECT e.partner_id, {book}, -{M.format('e.amount')} FROM finance_allocation e "
                 f"WHERE e.company_id = %s", [c, c], "partner, book")
    k = "day, book"
    _differences(report, "facts.partner_day", k, 1,
                 f"SELECT {k}, debit - credit - settled AS s0 FROM reports_partnerday WHERE company_id = %s",
                 f"SELECT e.business_on, {book}, -{M.format('e.amount')} FROM finance_partnerentry e "
                 f"WHERE e.company_id = %s", [c, c], "day, book")


def _order_lines(report: FactsReport, c: int) -> None:
    _differences(report, "facts.order_lines", "line_id", 1,
                 "SELECT line_id, ordered AS s0 FROM reports_purchaseline WHERE company_id = %s",
                 f"SELECT l.id, -{Q.format('l.quantity')} FROM documents_documentline l JOIN documents_document d "
                 f"ON d.id = l.document_id WHERE d.company_id = %s AND d.kind = 'purchase_order' "
                 f"AND d.status IN ('posted', 'closed', 'voided')", [c, c], "order line")
    received = (f"SELECT {{line}}, {{sign}}{Q.format('l.quantity')} FROM documents_documentline l "
                f"JOIN documents_document d ON d.id = l.document_id "
                f"JOIN documents_documentline s ON s.id = l.source_line_id "
                f"JOIN documents_document sd ON sd.id = s.document_id {{join}}"
                f"WHERE d.company_id = %s AND d.status = 'posted' AND d.kind = '{{kind}}' AND {{order}}.kind = "
                f"'purchase_order'")
    _differences(report, "facts.order_received", "line_id", 1,
                 "SELECT line_id, qty AS s0 FROM reports_purchaselinereceipt WHERE company_id = %s",
                 received.format(line="s.id", sign="-", join="", kind="purchase_receipt", order="sd")
                 + " UNION ALL " + received.format(
                     line="o.id", sign="", kind="purchase_return", order="od",
                     join="JOIN documents_documentline o ON o.id = s.source_line_id "
                          "JOIN documents_document od ON od.id = o.document_id "),
                 [c, c, c], "order line")


def _tickets(report: FactsReport, c: int, info: DocInfo) -> None:
    """Per (day, warehouse): the facts' ticket and return counts against the posted and voided sales documents
    on their business day, the voided ones taken off on their void day."""
    parts = [f"SELECT d.business_on AS day, COALESCE(d.warehouse_id, 0) AS wh, {'0, -1' if ret else '-1, 0'} "
             f"FROM documents_document d WHERE d.company_id = %s "
             f"AND d.status IN ('{Status.POSTED}', '{Status.VOIDED}') AND d.kind = '{kind}'"
             for kind, ret in SALES.items()]
    voided: dict[tuple, list[int]] = {}
    for _pk, kind, wh, day in _voided(c, info, SALES):
        voided.setdefault((day, wh), [0, 0])[1 if SALES[kind] else 0] += 1
    _by_day(report, "facts.tickets", 2,
            "SELECT day, warehouse_id AS wh, tickets AS s0, returns AS s1 FROM reports_salesticketday "
            "WHERE company_id = %s", " UNION ALL ".join(parts), [c] * (1 + len(parts)), voided, "tickets, returns")


def check_facts(company) -> FactsReport:
    """Compare one company's facts with its ledgers; nothing it does is kept."""
    report = FactsReport(company.code)
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("LOCK TABLE reports_factcursor IN EXCLUSIVE MODE")
        state = FactCursor.objects.select_for_update().filter(company=company).first()
        if state is None or state.version != VERSION:
            report.problems.append(Problem("facts.not_built", "the facts are not built: run jxc rebuild-facts"))
            transaction.set_rollback(True)
            return report
        report.cursor = state.cursor
        txid, eid = (int(x) for x in state.cursor.split("-"))
        skip = {tuple(k) for k in state.skip}
        events = [e for e in Event.objects.filter(company_id=company.pk)
                  .extra(where=["(txid, id) > (%s, %s)"], params=[txid, eid]).order_by("txid", "id")
                  if (e.txid, e.pk) not in skip]
        report.caught_up = len(events)
        deltas = Deltas(company.pk)
        apply_events(company, events, deltas)
        deltas.flush(state.closed_through)
        close_months(state, due_month(company))
        info = DocInfo(company.pk, company.time_zone)
        c = company.pk
        _stock(report, c)
        _rollups(report, c)
        _ageing(report, c)
        _move_counts(report, c)
        _checkpoints(report, c, state.closed_through)
        _documents(report, c, info)
        _tickets(report, c, info)
        _order_lines(report, c)
        _partners(report, c)
        transaction.set_rollback(True)
    return report


def registered_check(company_id: int | None) -> list[Problem]:
    """For `jxc check-ledger` and the nightly check (core/ledger_checks.py): every company's differences; a
    company whose facts were never built has none to compare (the consumer builds them on its first run)."""
    out = []
    companies = Company.objects.filter(pk=company_id) if company_id else Company.objects.order_by("pk")
    for company in companies:
        for p in check_facts(company).problems:
            if p.code != "facts.not_built":
                out.append(Problem(p.code, f"{company.code}: {p.detail}"))
    return out
