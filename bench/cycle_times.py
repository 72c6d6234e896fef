"""Cycle-time report benchmark: the report over 1,000,000 document transitions on PostgreSQL.

    python bench/cycle_times.py [--transitions 1000000] [--weeks 26] [--db postgres|sqlite|both]

A child process per engine works on a fresh database (PostgreSQL: `openjxc_bench_cycle`, dropped and
created; SQLite: a file in a temporary directory). It creates a company, two warehouses and users through
the services, then writes documents and their transition log in bulk (PostgreSQL: INSERT … SELECT over
generate_series, then VACUUM ANALYZE as autovacuum would; SQLite: multi-row INSERTs) — the services are
not what is measured here; the workflow's step tables stay empty (their queries still run). Each document gets create, submit,
approve and post; one in ten is voided after posting, one in twenty is rejected once and resubmitted, so
TRANSITIONS rows spread over WEEKS weeks and seven kinds. Then it times the report
(reports.cycle_times.cycle_times) for the whole span, for one quarter, for one kind and for one
warehouse, each run three times (the best is printed), and prints EXPLAIN ANALYZE's total for the
biggest query. Target (issue 5): the whole-span report under 1 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database, machine_line, pg_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "openjxc_bench_cycle"
TARGET_S = 1.0
KINDS = ["purchase_request", "purchase_order", "purchase_receipt", "sales_order", "sales_delivery", "write_off",
         "transfer_out"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgres", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--transitions", type=int, default=1_000_000)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(machine_line())
    for engine in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        cfg = {"engine": engine, "transitions": args.transitions, "weeks": args.weeks}
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], capture_output=True, text=True)
        if out.returncode:
            print(out.stdout, out.stderr, sep="\n")
            raise SystemExit(f"{engine}: the benchmark failed")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{engine}: {r['transitions']:,} transitions of {r['documents']:,} documents over {r['weeks']} "
              f"weeks; written in {r['write_s']:.1f} s ({r['transitions'] / r['write_s']:,.0f} rows/s)")
        for name, seconds in r["report"].items():
            note = ""
            if name == "whole span":
                note = f"  target < {TARGET_S:.0f} s: {'yes' if seconds < TARGET_S else 'NO'}"
            print(f"  {name:28} {seconds * 1000:8.0f} ms{note}")
        if r.get("explain_ms") is not None:
            print(f"  EXPLAIN ANALYZE of the archive query (the biggest): {r['explain_ms']:.0f} ms")
        print(f"  sample: {r['sample']}")
        print(f"  load average {r['load1']:.1f}")


def child(cfg: dict) -> None:
    data_dir = fresh_database("openjxc-bench-cycle-", pg_url(PG_DB) if cfg["engine"] == "postgres" else None)
    try:
        result = run(cfg)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result))


def _columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column but the id, with `values` or the field's default."""
    cols, defaults = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        defaults.append(values.get(f.attname, f.get_default()))
    return cols, defaults


def run(cfg: dict) -> dict:
    from django.db import connection, transaction

    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.documents.models import Document, DocumentTransition
    from openjxc.reports.cycle_times import Filters, cycle_times
    from openjxc.stock import services as stock

    rng = random.Random(5)
    company = core.create_company(code="BENCH", name="时效基准有限公司")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    approvers = [core.create_user(by=admin, username=f"mgr{n}", password="pw-12345678", roles=[Role.MANAGER]).pk
                 for n in range(8)]
    warehouses = [stock.create_warehouse(by=admin, code=f"WH{n}", name=f"仓库 {n}").pk for n in range(2)]
    weeks = cfg["weeks"]
    end_day = dt.date(2026, 11, 22)
    span_start = dt.datetime.combine(end_day - dt.timedelta(weeks=weeks), dt.time(1), dt.UTC)
    span_s = weeks * 7 * 86400

    t0 = time.perf_counter()
    n_docs = int(cfg["transitions"] / 4.2)  # create, submit, approve, post; 10 % voided, 5 % rejected once
    if connection.vendor == "postgresql":
        _generate_in_sql(connection, Document, DocumentTransition, company.pk, admin.pk, approvers, warehouses,
                         n_docs, span_start, span_s)
    else:
        _generate_in_python(connection, Document, DocumentTransition, company.pk, admin.pk, approvers, warehouses,
                            n_docs, span_start, span_s, rng)
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM documents_documenttransition WHERE company_id = %s", [company.pk])
        n_transitions = cur.fetchone()[0]
    write_s = time.perf_counter() - t0

    def best(filters):
        times = []
        for _n in range(3):
            t = time.perf_counter()
            with transaction.atomic():
                out = cycle_times(company, filters)
            times.append(time.perf_counter() - t)
        return min(times), out

    whole = Filters(start=end_day - dt.timedelta(weeks=weeks), end=end_day)
    report = {}
    report["whole span"], r = best(whole)
    report["one quarter"], _ = best(Filters(start=end_day - dt.timedelta(days=90), end=end_day))
    report["one kind (purchase_order)"], _ = best(Filters(start=whole.start, end=end_day, kind="purchase_order"))
    report["one warehouse"], _ = best(Filters(start=whole.start, end=end_day,
                                              warehouse_ids=frozenset({warehouses[0]})))
    explain_ms = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET work_mem = '64MB'")  # as the report sets it for its transaction
            cur.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT k, count(*), "
                "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) FROM ("
                "SELECT t.kind, t.age FROM documents_documenttransition t "
                "WHERE t.company_id = %(c)s AND t.action IN ('void', 'close') UNION ALL "
                "SELECT t.kind, t.age FROM documents_documenttransition t WHERE t.company_id = %(c)s "
                "AND t.action = 'post' AND NOT EXISTS (SELECT 1 FROM documents_documenttransition u "
                "WHERE u.document_id = t.document_id AND u.company_id = %(c)s AND u.action IN ('void', 'close'))"
                ") x (k, s) GROUP BY k", {"c": company.pk})
            plan = cur.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            explain_ms = plan[0]["Execution Time"]
    po = r.to_post.get("purchase_order")
    sample = (f"purchase_order creation->posting: n={po.count}, avg {po.avg / 3600:.1f} h, median "
              f"{po.median / 3600:.1f} h, p90 {po.p90 / 3600:.1f} h; {len(r.weekly)} (week, kind) points")
    return {"engine": cfg["engine"], "transitions": n_transitions, "documents": n_docs, "weeks": weeks,
            "write_s": write_s, "report": report, "explain_ms": explain_ms, "sample": sample,
            "load1": os.getloadavg()[0]}


def _generate_in_sql(connection, Document, Transition, company_id, admin_id, approvers, warehouses, n_docs,
                     span_start, span_s) -> None:
    """Documents and their transitions by INSERT … SELECT over generate_series: the database makes the rows."""
    doc_cols, doc_defaults = _columns(Document, {})
    fixed = {"company_id": "%(company)s", "kind": "(%(kinds)s::text[])[1 + n %% 7]", "number": "'B-' || n",
             "status": "'posted'", "warehouse_id": "(%(warehouses)s::bigint[])[1 + n %% 2]", "business_on": "%(day)s",
             "created_by_id": "%(admin)s", "created_at": "%(start)s + random() * %(span)s * interval '1 second'",
             "updated_at": "now()", "custom": "'{}'::jsonb"}
    select, params = [], {"company": company_id, "kinds": KINDS, "warehouses": warehouses, "day": dt.date(2026, 11, 22),
                          "admin": admin_id, "start": span_start, "span": span_s - 30 * 86400}
    for col, default in zip(doc_cols, doc_defaults, strict=True):
        if col in fixed:
            select.append(fixed[col])
        else:
            params[f"d_{col}"] = default
            select.append(f"%(d_{col})s")
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO documents_document ({', '.join(doc_cols)}) "
                    f"SELECT {', '.join(select)} FROM generate_series(1, %(n)s) AS n", {**params, "n": n_docs})
        # per document: exponential waits (mean 6 h) between its steps, one approver, maybe a reject and a void
        cur.execute("""
            WITH d0 AS (
                SELECT id, kind, warehouse_id, created_at AS c,
                       (%(approvers)s::bigint[])[1 + floor(random() * %(na)s)::int] AS approver,
                       random() < 0.05 AS rejected, random() < 0.10 AS voided,
                       -ln(1 - random()) * 21600 AS w1, -ln(1 - random()) * 21600 AS r2,
                       -ln(1 - random()) * 21600 AS r3, -ln(1 - random()) * 21600 AS w4,
                       -ln(1 - random()) * 21600 AS w5, -ln(1 - random()) * 21600 AS w6
                FROM documents_document WHERE company_id = %(company)s
            ), d AS (  -- the reject and resubmit waits only for the rejected ones
                SELECT d0.*, CASE WHEN rejected THEN r2 ELSE 0 END AS w2, CASE WHEN rejected THEN r3 ELSE 0 END AS w3
                FROM d0
            ), s AS (
                SELECT d.*, v.*
                FROM d CROSS JOIN LATERAL (VALUES
                    (1, 'create', '', 'draft', 0.0, 0.0, NULL::int),
                    (2, 'submit', 'draft', 'submitted', w1, w1, NULL),
                    (3, 'reject', 'submitted', 'draft', w1 + w2, w2, 1),
                    (4, 'submit', 'draft', 'submitted', w1 + w2 + w3, w3, NULL),
                    (5, 'approve', 'submitted', 'approved', w1 + w2 + w3 + w4, w4, 1),
                    (6, 'post', 'approved', 'posted', w1 + w2 + w3 + w4 + w5, w5, NULL),
                    (7, 'void', 'posted', 'voided', w1 + w2 + w3 + w4 + w5 + w6, w6, NULL)
                ) AS v (seq, action, from_status, to_status, age_s, waited_s, step)
                WHERE (v.seq NOT IN (3, 4) OR d.rejected) AND (v.seq <> 7 OR d.voided)
            )
            INSERT INTO documents_documenttransition
                (company_id, document_id, kind, warehouse_id, action, from_status, to_status, at, by_id, step, age,
                 waited)
            SELECT %(company)s, id, kind, warehouse_id, action, from_status, to_status,
                   c + age_s * interval '1 second',
                   CASE WHEN action IN ('approve', 'reject') THEN approver ELSE %(admin)s END, step,
                   age_s * interval '1 second', waited_s * interval '1 second'
            FROM s ORDER BY c, seq
        """, {"company": company_id, "approvers": approvers, "na": len(approvers), "admin": admin_id})
    # a real table has been vacuumed by autovacuum: the visibility map lets the report read the index only
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE documents_documenttransition")


def _generate_in_python(connection, Document, Transition, company_id, admin_id, approvers, warehouses, n_docs,
                        span_start, span_s, rng) -> None:
    now = dt.datetime.now(dt.UTC)
    doc_cols, doc_defaults = _columns(Document, {
        "company_id": company_id, "kind": "", "number": "", "status": "posted", "business_on": dt.date(2026, 11, 22),
        "created_by_id": admin_id, "created_at": now, "updated_at": now, "custom": "{}",
    })
    kind_i, num_i, wh_i, created_i = (doc_cols.index(c) for c in ("kind", "number", "warehouse_id", "created_at"))
    plan, rows = [], []
    for n in range(n_docs):
        created = span_start + dt.timedelta(seconds=rng.uniform(0, span_s - 30 * 86400))
        row = list(doc_defaults)
        row[kind_i], row[num_i], row[wh_i], row[created_i] = KINDS[n % 7], f"B-{n:08d}", warehouses[n % 2], created
        rows.append(row)
        plan.append((KINDS[n % 7], warehouses[n % 2], created))
    _bulk(connection, Document, doc_cols, rows)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM documents_document WHERE company_id = %s ORDER BY id", [company_id])
        ids = [r[0] for r in cur.fetchall()]
    t_cols, _d = _columns(Transition, {})
    rows = []
    for doc_id, (kind, wh, created) in zip(ids, plan, strict=True):
        at = prev = created
        steps = [("create", "", "draft", None)]
        if rng.random() < 0.05:
            steps += [("submit", "draft", "submitted", None), ("reject", "submitted", "draft", 1)]
        steps += [("submit", "draft", "submitted", None), ("approve", "submitted", "approved", 1),
                  ("post", "approved", "posted", None)]
        if rng.random() < 0.1:
            steps.append(("void", "posted", "voided", None))
        approver = approvers[rng.randrange(len(approvers))]
        for action, before, after, step in steps:
            if action != "create":
                at = at + dt.timedelta(seconds=rng.expovariate(1 / 21600))
            values = {"company_id": company_id, "document_id": doc_id, "kind": kind, "warehouse_id": wh,
                      "action": action, "from_status": before, "to_status": after, "at": at,
                      "by_id": approver if action in ("approve", "reject") else admin_id, "step": step,
                      "age": at - created, "waited": at - prev}
            rows.append([values[c] for c in t_cols])
            prev = at
    _bulk(connection, Transition, t_cols, rows)


def _bulk(connection, model, cols: list[str], rows: list[list]) -> None:
    """COPY on PostgreSQL; multi-row INSERTs elsewhere."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            with cur.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    from openjxc.core.sql import insert_rows

    by_column = {f.column: f.name for f in model._meta.concrete_fields}
    fields = [by_column[c] for c in cols]
    for start in range(0, len(rows), 50_000):
        insert_rows(model, fields, [tuple(r) for r in rows[start:start + 50_000]])


if __name__ == "__main__":
    main()
