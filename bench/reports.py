"""Reports benchmark: a company with many stock moves, its facts built, six report queries timed on the facts and
beside the same question asked of the ledger.

    python bench/reports.py --db sqlite|postgres [--moves N] [--items 10000] [--months 24] [--keep PATH]
                            [--reuse PATH] [--runs 3] [--json out.json]
    … --no-facts                          the history only (and its state file), for a later --reuse
    … --reuse X --build-facts [--facts-only] [--src OTHER/src]
                                          rebuild the facts of that history (timed, moves/s), then the questions;
                                          --src times another checkout's rebuild on the same data

The company (10,000 items in 100 categories, 200 customers in a region tree, a central warehouse and 3 stores, 20
suppliers) is made through the services; its documents, lines and stock moves are written by bulk SQL (INSERT …
SELECT over a generated series), not through the services: 80 % of the moves are sales (3-line documents; 85 % at
the stores to their walk-in customers, 15 % from the warehouse to the 200 customers), 15 % receipts (20-line
documents), 5 % transfers warehouse → store through in-transit; items picked with a skew (a few sell a lot), dates
spread over `--months` months ending yesterday. Then `rebuild` builds the facts (timed), and each query runs
`--runs` times after a warm-up (median printed):

  stock as of a date, all items at one store   facts: checkpoint + days   ledger: Σ moves up to the date
  sales by category × month, a year            facts: monthly roll-up     ledger: lines ⋈ documents ⋈ items
  pivot region × category × month, subtotals   (GROUPING SETS on PostgreSQL; per level on SQLite, both sides)
  top-100 items by margin, a quarter           facts: revenue and COGS    ledger: lines and moves to customers
  turnover days by SKU, a quarter              facts: checkpoints' day sums  ledger: opening + weighted moves
  ageing buckets, all stock                    facts: FIFO over receipts  ledger: balances + receipts by bucket

PostgreSQL uses the database `openjxc_facts_bench` (or BENCH_REPORTS_DB; dropped and created; BENCH_PG_ADMIN_URL
overrides the server),
SQLite a file in a temporary directory (or `--keep PATH`; `--reuse PATH` skips building). Figures are wall-clock
on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_REPORTS_DB", "openjxc_facts_bench")  # another name keeps parallel runs apart
H = 2654435761  # Knuth's multiplicative hash: n * H mod 2^32 spreads consecutive n
M32 = 4294967296


def setup_env(args) -> str:
    data_dir = tempfile.mkdtemp(prefix="openjxc-reports-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1", "JXC_DATA_DIR": data_dir, "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost",
    })
    if args.db == "postgres":
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{PG_DB}"
        if not args.reuse:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_DB}")
    else:
        path = args.reuse or args.keep or f"{data_dir}/reports.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return data_dir


# ---------------------------------------------------------------- the company and its history


def build_world(args) -> dict:
    from decimal import Decimal as D

    from openjxc.catalog import services as catalog
    from openjxc.catalog.models import Category, Item
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.partners import services as partners
    from openjxc.partners.models import Partner
    from openjxc.stock import services as stock
    from openjxc.stock.locations import company_locations

    company = core.create_company(code="BENCH", name="报表基准有限公司")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    pcs = catalog.create_unit(by=admin, code="PCS", name="件")
    central = stock.create_warehouse(by=admin, code="WH", name="中心仓")
    stores = [stock.create_warehouse(by=admin, code=f"ST{k}", name=f"门店{k}", kind="store") for k in range(1, 4)]
    tops = [catalog.create_category(by=admin, code=f"C{k}", name=f"大类{k}") for k in range(10)]
    leaves = [catalog.create_category(by=admin, code=f"C{k}-{j}", name=f"小类{k}-{j}", parent=tops[k])
              for k in range(10) for j in range(10)]
    now = dt.datetime.now(dt.UTC)
    Item.objects.bulk_create([
        Item(company=company, code=f"I{i:05d}", name=f"商品{i:05d}", category=leaves[i % len(leaves)], base_unit=pcs,
             purchase_price=D(1 + i % 50), sale_price=D(1 + i % 50) * D("1.3"), created_at=now)
        for i in range(args.items)], batch_size=2000)
    items = list(Item.objects.filter(company=company).order_by("id").values_list("id", flat=True))
    assert items[-1] - items[0] == len(items) - 1, "items need consecutive ids"
    regions = []
    for k in range(5):
        top = partners.create_region(by=admin, code=f"R{k}", name=f"大区{k}")
        regions += [partners.create_region(by=admin, code=f"R{k}-{j}", name=f"地区{k}-{j}", parent=top)
                    for j in range(4)]
    Partner.objects.bulk_create([Partner(company=company, code=f"K{c:03d}", name=f"客户{c:03d}", kind="customer",
                                         region=regions[c % len(regions)]) for c in range(200)])
    customers = list(Partner.objects.filter(company=company, kind="customer").order_by("id").values_list("id",
                                                                                                       flat=True))
    assert customers[-1] - customers[0] == 199
    walk_in = [partners.create_partner(by=admin, code=f"W{k}", name=f"门店{k}散客", kind="customer",
                                       region=regions[k]).pk for k in range(3)]
    Partner.objects.bulk_create([Partner(company=company, code=f"S{s:02d}", name=f"供应商{s:02d}", kind="supplier")
                                 for s in range(20)])
    suppliers = list(Partner.objects.filter(company=company, kind="supplier").order_by("id").values_list("id",
                                                                                                       flat=True))
    cashiers = [core.create_user(by=admin, username=f"cashier{k}", password="pw-12345678", roles=[Role.CASHIER],
                                 warehouses=[stores[k]]).pk for k in range(3)]
    places = company_locations(company.pk)
    default = {w.pk: w.locations.get(is_default=True).pk for w in [central, *stores]}
    del Category
    return {"company": company.pk, "admin": admin.pk, "unit": pcs.pk, "central": central.pk,
            "stores": [s.pk for s in stores], "items": (items[0], len(items)), "customers": customers[0],
            "walk_in": walk_in, "suppliers": (suppliers[0], len(suppliers)), "cashiers": cashiers,
            "loc": default, "customer_loc": places["customer"].pk, "supplier_loc": places["supplier"].pk,
            "transit_loc": places["transit"].pk, "transit": places["transit"].warehouse_id}


def _series(vendor: str, n: int) -> tuple[str, str]:
    """(WITH clause, FROM clause) giving rows n = 1 … N."""
    if vendor == "postgresql":
        return "", f"generate_series(1, {int(n)}) AS g(n)"
    return f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {int(n)}) ", "g"


def _day(vendor: str, start: dt.date, expr: str) -> str:
    if vendor == "postgresql":
        return f"(DATE '{start.isoformat()}' + CAST({expr} AS integer))"
    return f"date('{start.isoformat()}', '+' || ({expr}) || ' days')"


def _case(expr: str, values: list[int]) -> str:
    return "CASE " + " ".join(f"WHEN ({expr}) = {i} THEN {v}" for i, v in enumerate(values)) + " END"


def history(w: dict, moves: int, months: int) -> dict:
    """Documents, lines and moves by bulk SQL; returns the counts."""
    from django.db import connection, transaction

    vendor = connection.vendor
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=int(months * 30.44))
    days = (end - start).days
    first_item, n_items = w["items"]
    sale_lines, receipt_lines = int(moves * 0.80) // 3 * 3, int(moves * 0.15) // 20 * 20
    transfer_lines = (moves - sale_lines - receipt_lines) // 2 // 10 * 10
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM documents_document")
        doc0 = cur.fetchone()[0] + 1
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM documents_documentline")
        line0 = cur.fetchone()[0] + 1
    h = f"((n * {H}) % {M32})"
    skew = f"(({h} / 65536) * ({h} / 65536) * {n_items} / {M32})"  # a few items sell a lot
    # per kind: name, number prefix, lines, lines per document, and of the document index d: warehouse, partner,
    # creator, destination warehouse; the item of line n
    s_store = lambda d: f"((({d}) * {H}) % {M32}) % 100 < 85"  # noqa: E731 - 85 % of sales at the stores
    first_sup, n_sup = w["suppliers"]
    kinds = [
        ("sales_delivery", "XS", sale_lines, 3,
         lambda d: f"CASE WHEN {s_store(d)} THEN {_case(f'({d}) % 3', w['stores'])} ELSE {w['central']} END",
         lambda d: (f"CASE WHEN {s_store(d)} THEN {_case(f'({d}) % 3', w['walk_in'])} "
                    f"ELSE {w['customers']} + (((({d}) % 200) * 7919) % 200) END"),
         lambda d: f"CASE WHEN {s_store(d)} THEN {_case(f'({d}) % 3', w['cashiers'])} ELSE {w['admin']} END",
         lambda d: "NULL", skew),
        ("purchase_receipt", "CG", receipt_lines, 20,
         lambda d: f"CASE WHEN ({d}) % 10 < 7 THEN {w['central']} ELSE {_case(f'({d}) % 3', w['stores'])} END",
         lambda d: f"{first_sup} + ({d}) % {n_sup}", lambda d: str(w["admin"]), lambda d: "NULL",
         f"({h} % {n_items})"),
        ("transfer_out", "DC", transfer_lines, 10, lambda d: str(w["central"]), lambda d: "NULL",
         lambda d: str(w["admin"]), lambda d: _case(f"({d}) % 3", w["stores"]), skew),
    ]
    counts = {}
    with transaction.atomic(), connection.cursor() as cur:
        if vendor == "postgresql":  # rows consistent by construction: skip the per-row foreign-key triggers
            cur.execute("SET LOCAL session_replication_role = replica")
        for kind, prefix, n_lines, per, wh, partner, creator, to_wh, item_expr in kinds:
            n_docs = n_lines // per
            with_, from_ = _series(vendor, n_docs)
            day = _day(vendor, start, f"CAST(n - 1 AS BIGINT) * {days} / {max(n_docs, 1)}")  # no int overflow at 10 M
            d = "(n - 1)"
            # created, posted and last changed at noon of the business day (as a day's postings would be)
            stamp = f"({day} + TIME '12:00')" if vendor == "postgresql" else f"({day} || ' 12:00:00')"
            sql = (f"{with_}INSERT INTO documents_document (id, company_id, kind, number, status, partner_id, "
                   f"warehouse_id, to_warehouse_id, business_on, memo, total_quantity, total_amount, tax_total, "
                   f"total_with_tax, prices_include_tax, custom, created_by_id, created_at, posted_at, posted_by_id, "
                   f"void_reason, close_reason, updated_at) "
                   f"SELECT {doc0} + n - 1, {w['company']}, '{kind}', '{prefix}-' || CAST(n AS text), 'posted', "
                   f"{partner(d)}, {wh(d)}, {to_wh(d)}, {day}, '', 0, 0, 0, 0, "
                   f"{'false' if vendor == 'postgresql' else '0'}, '{{}}', {creator(d)}, "
                   f"{stamp}, {stamp}, {w['admin']}, '', '', {stamp} FROM {from_}")
            cur.execute(sql)
            with_, from_ = _series(vendor, n_lines)
            cost = f"(1 + ({item_expr}) % 50)"  # the item's purchase price
            qty = f"(1 + {h} % 5)" if kind != "purchase_receipt" else f"(20 + {h} % 80)"
            sql = (f"{with_}INSERT INTO documents_documentline (id, document_id, line_no, item_id, unit_id, "
                   f"unit_quantity, factor, quantity, unit_price, amount, discount_rate, discount_amount, tax_rate, "
                   f"tax_amount, amount_with_tax, lot_code, memo, cost_amount) "
                   f"SELECT {line0} + n - 1, {doc0} + (n - 1) / {per}, (n - 1) % {per} + 1, "
                   f"{first_item} + {item_expr}, {w['unit']}, {qty}, 1, {qty}, {cost} * 13 / 10.0, "
                   f"{qty} * {cost} * 13 / 10.0, 0, 0, 0.13, {qty} * {cost} * 13 * 13 / 1000.0, "
                   f"{qty} * {cost} * 13 * 113 / 1000.0, '', '', {qty} * {cost} FROM {from_}")
            cur.execute(sql)
            counts[kind] = (n_docs, n_lines)
            doc0 += n_docs
            line0 += n_lines
        loc = w["loc"]
        wh_loc = "CASE d.warehouse_id " + " ".join(f"WHEN {k} THEN {v}" for k, v in loc.items()) + " END"
        to_loc = "CASE d.to_warehouse_id " + " ".join(f"WHEN {k} THEN {v}" for k, v in loc.items()) + " END"
        common = ("company_id, item_id, from_location_id, to_location_id, quantity, unit_cost, value, document_id, "
                  "line_id, is_adjustment, business_on, posted_at, posted_by_id")
        false = "false" if vendor == "postgresql" else "0"
        for kind, frm, to in (("sales_delivery", wh_loc, str(w["customer_loc"])),
                              ("purchase_receipt", str(w["supplier_loc"]), wh_loc),
                              ("transfer_out", wh_loc, str(w["transit_loc"])),
                              ("transfer_out", str(w["transit_loc"]), to_loc)):
            cur.execute(f"INSERT INTO stock_stockmove ({common}) SELECT d.company_id, l.item_id, {frm}, {to}, "
                        f"l.quantity, l.cost_amount / l.quantity, l.cost_amount, d.id, l.id, {false}, d.business_on, "
                        f"d.posted_at, {w['admin']} FROM documents_documentline l JOIN documents_document d "
                        f"ON d.id = l.document_id WHERE d.company_id = %s AND d.kind = %s", [w["company"], kind])
        if vendor == "postgresql":
            for table in ("documents_document", "documents_documentline"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {q(table)}))")
        cur.execute("SELECT COUNT(*) FROM stock_stockmove WHERE company_id = %s", [w["company"]])
        counts["moves"] = cur.fetchone()[0]
    counts["start"], counts["end"] = start.isoformat(), end.isoformat()
    return counts


# ---------------------------------------------------------------- the six questions, on the facts and on the ledger


def _date_diff(vendor: str, end: dt.date, column: str) -> str:
    if vendor == "postgresql":
        return f"(DATE '{end.isoformat()}' - {column} + 1)"
    return f"CAST(julianday('{end.isoformat()}') - julianday({column}) + 1 AS INTEGER)"


def _month(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"date_trunc('month', {column})"
    return f"strftime('%Y-%m', {column})"


def questions(w: dict, counts: dict) -> list[tuple[str, object, object]]:
    """(name, facts callable, ledger callable) for the six questions."""
    from django.db import connection

    from openjxc.core.models import Company
    from openjxc.reports.facts.months import first_of, last_of, previous_month
    from openjxc.reports.kpi_run import compute
    from openjxc.reports.query import Query, run

    vendor = connection.vendor
    company = Company.objects.get(pk=w["company"])
    end = dt.date.fromisoformat(counts["end"])
    as_of = end - dt.timedelta(days=20)
    last_month = previous_month(first_of(end)) if end != last_of(end) else first_of(end)
    y_start = last_month
    for _ in range(11):
        y_start = previous_month(y_start)
    year = (y_start, last_of(last_month))
    q_start = previous_month(previous_month(last_month))
    quarter = (q_start, last_of(last_month))
    store = w["stores"][0]
    store_loc = {int(k): v for k, v in w["loc"].items()}[store]  # (JSON keys are text after --reuse)
    c = w["company"]
    stocked = f"({', '.join(str(v) for v in w['loc'].values())}, {w['transit_loc']})"

    def sql(text, params=()):
        with connection.cursor() as cur:
            cur.execute(text, list(params))
            return cur.fetchall()

    def as_of_facts():
        return run(company, Query(measures=["stock_qty", "stock_value"], dimensions=["item"],
                                  filters={"warehouse": [store]}, start=first_of(as_of), end=as_of)).rows

    def as_of_ledger():
        return sql(f"SELECT item_id, SUM(CASE WHEN to_location_id = {store_loc} THEN quantity ELSE -quantity END), "
                   f"SUM(CASE WHEN to_location_id = {store_loc} THEN value ELSE -value END) FROM stock_stockmove "
                   f"WHERE company_id = %s AND business_on <= %s AND (to_location_id = {store_loc} "
                   f"OR from_location_id = {store_loc}) GROUP BY item_id", [c, as_of])

    def by_category_facts():
        return run(company, Query(measures=["revenue"], dimensions=["category", "month"], start=year[0],
                                  end=year[1])).rows

    def by_category_ledger():
        return sql(f"SELECT i.category_id, {_month(vendor, 'd.business_on')}, SUM(l.amount) "
                   f"FROM documents_documentline l JOIN documents_document d ON d.id = l.document_id "
                   f"JOIN catalog_item i ON i.id = l.item_id WHERE d.company_id = %s AND d.kind = 'sales_delivery' "
                   f"AND d.status = 'posted' AND d.business_on >= %s AND d.business_on <= %s GROUP BY 1, 2",
                   [c, *year])

    def pivot_facts():
        return run(company, Query(measures=["revenue", "gross_profit"], dimensions=["region_1", "category_1", "month"],
                                  subtotals="rollup", start=year[0], end=year[1])).rows

    def pivot_ledger():
        keys = ["COALESCE(r.parent_id, r.id)", "COALESCE(cat.parent_id, cat.id)", _month(vendor, "d.business_on")]
        base = ("FROM documents_documentline l JOIN documents_document d ON d.id = l.document_id "
                "JOIN stock_stockmove m ON m.line_id = l.id JOIN catalog_item i ON i.id = l.item_id "
                "JOIN catalog_category cat ON cat.id = i.category_id JOIN partners_partner p ON p.id = d.partner_id "
                "LEFT JOIN partners_region r ON r.id = p.region_id WHERE d.company_id = %s "
                "AND d.kind = 'sales_delivery' AND d.status = 'posted' AND d.business_on >= %s "
                "AND d.business_on <= %s")
        if vendor == "postgresql":
            return sql(f"SELECT {', '.join(keys)}, SUM(l.amount), SUM(l.amount) - SUM(m.value) {base} "
                       f"GROUP BY ROLLUP ({', '.join(keys)})", [c, *year])
        out = []
        for n in range(3, -1, -1):
            kept = keys[:n]
            sel = ", ".join(kept + ["SUM(l.amount)", "SUM(l.amount) - SUM(m.value)"])
            out += sql(f"SELECT {sel} {base}" + (f" GROUP BY {', '.join(kept)}" if kept else ""), [c, *year])
        return out

    def top_facts():
        return run(company, Query(measures=["gross_profit", "margin"], dimensions=["item"], top=100,
                                  top_by="margin", start=quarter[0], end=quarter[1])).rows

    def top_ledger():
        return sql("SELECT l.item_id, SUM(l.amount), SUM(m.value) FROM documents_documentline l "
                   "JOIN documents_document d ON d.id = l.document_id JOIN stock_stockmove m ON m.line_id = l.id "
                   "WHERE d.company_id = %s AND d.kind = 'sales_delivery' AND d.status = 'posted' "
                   "AND d.business_on >= %s AND d.business_on <= %s GROUP BY l.item_id "
                   "ORDER BY (SUM(l.amount) - SUM(m.value)) / SUM(l.amount) DESC LIMIT 100", [c, *quarter])

    def turnover_facts():
        return compute(company, "turnover_days", Query(measures=[], start=quarter[0], end=quarter[1]), by="item").rows

    def turnover_ledger():
        n = (quarter[1] - quarter[0]).days + 1
        w_ = _date_diff(vendor, quarter[1], "business_on")
        legs = (f"SELECT item_id, business_on, value AS v, 0 AS cogs FROM stock_stockmove WHERE company_id = %s "
                f"AND business_on <= %s AND to_location_id IN {stocked} UNION ALL "
                f"SELECT item_id, business_on, -value, CASE WHEN to_location_id = {w['customer_loc']} THEN value "
                f"ELSE 0 END FROM stock_stockmove WHERE company_id = %s AND business_on <= %s "
                f"AND from_location_id IN {stocked}")
        return sql(f"SELECT item_id, SUM(CASE WHEN business_on < %s THEN v * {n} ELSE v * {w_} END) / {n}, "
                   f"SUM(CASE WHEN business_on >= %s THEN cogs ELSE 0 END) FROM ({legs}) AS x GROUP BY item_id",
                   [quarter[0], quarter[0], c, quarter[1], c, quarter[1]])

    def ageing_facts():
        return compute(company, "ageing", Query(measures=[], start=first_of(end), end=end)).rows

    def ageing_ledger():
        hand = sql(f"SELECT loc, item_id, SUM(q), SUM(v) FROM (SELECT to_location_id AS loc, item_id, quantity AS q, "
                   f"value AS v FROM stock_stockmove WHERE company_id = %s AND to_location_id IN {stocked} UNION ALL "
                   f"SELECT from_location_id, item_id, -quantity, -value FROM stock_stockmove WHERE company_id = %s "
                   f"AND from_location_id IN {stocked}) AS x GROUP BY loc, item_id", [c, c])
        ages = _date_diff(vendor, end, "business_on")
        inflow = sql(f"SELECT to_location_id, item_id, SUM(CASE WHEN {ages} <= 31 THEN quantity ELSE 0 END), "
                     f"SUM(CASE WHEN {ages} BETWEEN 32 AND 91 THEN quantity ELSE 0 END), "
                     f"SUM(CASE WHEN {ages} BETWEEN 92 AND 181 THEN quantity ELSE 0 END), "
                     f"SUM(CASE WHEN {ages} BETWEEN 182 AND 366 THEN quantity ELSE 0 END) FROM stock_stockmove "
                     f"WHERE company_id = %s AND to_location_id IN {stocked} AND business_on > %s "
                     f"GROUP BY to_location_id, item_id", [c, end - dt.timedelta(days=366)])
        return hand, inflow

    return [
        ("stock as of a date, all items, one store", as_of_facts, as_of_ledger),
        ("sales by category x month, a year", by_category_facts, by_category_ledger),
        ("pivot region x category x month + subtotals", pivot_facts, pivot_ledger),
        ("top-100 items by margin, a quarter", top_facts, top_ledger),
        ("turnover days by SKU, a quarter", turnover_facts, turnover_ledger),
        ("ageing buckets, all stock", ageing_facts, ageing_ledger),
    ]


def timed(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--moves", type=int, default=None, help="default 1,000,000 (SQLite), 10,000,000 (PostgreSQL)")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="SQLite: build into this file and keep it")
    parser.add_argument("--reuse", help="SQLite: a file built before with --keep; PostgreSQL: any value (reuse "
                                        f"{PG_DB})")
    parser.add_argument("--no-facts", action="store_true",
                        help="write the history and its state file, then stop (build the facts later: --reuse)")
    parser.add_argument("--build-facts", action="store_true",
                        help="with --reuse: rebuild the facts of the history built before (timed), then the questions")
    parser.add_argument("--facts-only", action="store_true", help="stop once the facts are built")
    parser.add_argument("--src", help="the openjxc sources to run (default: this tree), e.g. another checkout's "
                                      "for its rebuild's time on the same data")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, args.src)
    moves = args.moves or (10_000_000 if args.db == "postgres" else 1_000_000)
    data_dir = setup_env(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openjxc.core.models import Company

    out: dict = {"engine": args.db, "moves_wanted": moves, "load_before": os.getloadavg()}
    try:
        if args.reuse:
            state = json.loads(Path(_state_path(args)).read_text())
            w, counts = state["world"], state["counts"]
        else:
            call_command("migrate", verbosity=0)
            t0 = time.perf_counter()
            w = build_world(args)
            counts = history(w, moves, args.months)
            with connection.cursor() as cur:  # a bulk-loaded history has no statistics until autovacuum passes:
                cur.execute("ANALYZE")  # the facts rebuild then picked plans that ran for an hour at 1–10 M moves
            out["build_seconds"] = round(time.perf_counter() - t0, 1)
            print(f"built {counts} in {out['build_seconds']} s", flush=True)
            if args.no_facts:
                Path(_state_path(args)).write_text(json.dumps({"world": w, "counts": counts}))
                return
        if not args.reuse or args.build_facts:
            _build_facts(Company.objects.get(pk=w["company"]), out)
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
            if not args.reuse and (args.keep or args.db == "postgres"):
                Path(_state_path(args)).write_text(json.dumps({"world": w, "counts": counts}))
        if args.facts_only:
            return
        out["counts"] = counts
        out["sizes"] = _sizes(connection)
        print(f"facts built in {out.get('facts_seconds')} s; table rows: {out['sizes']}", flush=True)
        out["queries"] = []
        print(f"{'question':<48} {'facts s':>9} {'ledger s':>9} {'ledger/facts':>13}  load")
        for name, facts, ledger in questions(w, counts):
            f_s = timed(facts, args.runs)
            l_s = timed(ledger, max(1, args.runs if moves <= 2_000_000 else 1))
            load = os.getloadavg()[0]
            out["queries"].append({"question": name, "facts_s": round(f_s, 4), "ledger_s": round(l_s, 4),
                                   "load": load})
            print(f"{name:<48} {f_s:>9.3f} {l_s:>9.3f} {l_s / f_s:>12.1f}x  {load:.1f}", flush=True)
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


def _build_facts(company, out: dict) -> None:
    """`rebuild` of the company's facts, timed, with its stages as they pass."""
    from openjxc.reports.facts.rebuild import rebuild, tidy

    t0 = time.perf_counter()

    def progress(stage, done, total):
        print(f"  facts {stage}: {done:,}/{total:,} ({time.perf_counter() - t0:.0f} s)", flush=True)

    result = rebuild(company, progress=progress)
    out["facts_seconds"] = round(time.perf_counter() - t0, 1)
    out["fact_rows"] = result.rows
    out["moves_per_second"] = round(result.moves / max(out["facts_seconds"], 0.1))
    print(f"facts rebuilt from {result.moves:,} moves and {result.documents:,} documents ({result.rows:,} rows) in "
          f"{out['facts_seconds']} s = {out['moves_per_second']:,} moves/s | load {os.getloadavg()[0]:.1f} | "
          f"{datetime_now()}", flush=True)
    t0 = time.perf_counter()
    if tidy():  # as `jxc rebuild-facts` does: without it the replaced rows slow every range read until autovacuum
        out["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
        print(f"fact tables vacuumed and analysed in {out['vacuum_seconds']} s", flush=True)


def datetime_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _state_path(args) -> str:
    if args.db == "postgres":
        return str(ROOT / "bench" / "results" / f".reports-pg-state-{PG_DB}.json")
    return (args.reuse or args.keep) + ".json"


def _sizes(connection) -> dict:
    out = {}
    with connection.cursor() as cur:
        for table in ("stock_stockmove", "documents_documentline", "reports_stockday", "reports_stockmonth",
                      "reports_stockclose", "reports_salesday", "reports_salesmonth", "reports_salesitemmonth",
                      "reports_salescategorymonth"):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            out[table] = cur.fetchone()[0]
    return out


if __name__ == "__main__":
    main()
