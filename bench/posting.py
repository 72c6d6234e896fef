"""Posting benchmark: sales deliveries through our services, over HTTP, and a raw-SQL baseline.

    python bench/posting.py [--db sqlite|postgres|both] [--docs N] [--writers 1,2] [--http] [--profile]

Each engine configuration runs in its own child process (Django reads its settings from the
environment once): SQLite with synchronous=FULL (the default), SQLite with synchronous=NORMAL, and
PostgreSQL. A child builds a fresh database (a SQLite file in a temporary directory, or the
PostgreSQL database `openjxc_bench`, dropped and created), migrates it, creates a company with
1,000 items and receives stock through the services, then measures:

  in-process   N 3-line sales deliveries, create_document + advance_document(to="posted") in one
               transaction per document, with W writer threads; W=1 also through 4 transactions
               (create, submit, approve, post called one by one)
  raw SQL      the minimal equivalent on tables of its own in the same database: per document one
               transaction with 3 guarded balance UPDATEs (... WHERE qty >= n, CHECK qty >= 0) and
               3 ledger INSERTs, through the bare DB-API driver, same W
  HTTP         (with --http, the default) the real server, uvicorn openjxc.config.asgi:application,
               POST /api/documents with advance_to=posted from W keep-alive httpx clients; the
               server's RSS (with its children) is sampled during the run
  balances     stock.selectors.balances() for 10,000 items at one warehouse, fully evaluated, and
               GET /api/stock/balances if the API has it; median of several runs

The parent prints one table with docs/s, lines/s, the ratio ours/raw measured in the same run and
the targets. `--json PATH` also writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import serve  # bench/serve.py: a free port, stopping a server, its CPU

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "openjxc_bench"
ITEMS = 1_000
BALANCE_ITEMS = 10_000
LINES = 3
WARMUP = 20
STOCK_PER_ITEM = 1_000_000

TARGETS = {
    # (engine, path, writers) -> minimum docs/s
    ("sqlite", "in-process", 1): 1000,
    ("postgres", "in-process", 2): 400,
    ("sqlite", "http", 1): 250,
    ("postgres", "http", 2): 250,
}
BALANCE_TARGET_MS = 50
RSS_TARGET_MB = 300


# ====================================================================== parent: orchestration


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--docs", type=int, default=500, help="documents per measured run (default 500)")
    ap.add_argument("--writers", default="1,2", help="writer counts, comma separated (default 1,2)")
    ap.add_argument("--http", dest="http", action="store_true", default=True, help="run the HTTP part (default)")
    ap.add_argument("--no-http", dest="http", action="store_false")
    ap.add_argument("--server-workers", default="auto",
                    help="uvicorn worker processes: a number, or auto = max(writers) (default auto)")
    ap.add_argument("--sync", default="FULL,NORMAL", help="SQLite synchronous settings to measure (default FULL,NORMAL)")
    ap.add_argument("--balances", dest="balances", action="store_true", default=True)
    ap.add_argument("--no-balances", dest="balances", action="store_false")
    ap.add_argument("--profile", action="store_true", help="also profile the in-process path and count queries")
    ap.add_argument("--json", help="write all figures to this JSON file")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._child:
        child(json.loads(args._child))
        return

    writers = sorted({int(w) for w in args.writers.split(",") if w.strip()})
    configs = []
    if args.db in ("sqlite", "both"):
        for i, sync in enumerate(s.strip().upper() for s in args.sync.split(",") if s.strip()):
            configs.append({"engine": "sqlite", "sync": sync, "balances": args.balances and i == 0})
    if args.db in ("postgres", "both"):
        configs.append({"engine": "postgres", "sync": None, "balances": args.balances})

    print(machine_line())
    results = []
    for cfg in configs:
        cfg.update(docs=args.docs, writers=writers, http=args.http, server_workers=args.server_workers,
                   profile=args.profile)
        label = cfg["engine"] + (f" synchronous={cfg['sync']}" if cfg["sync"] else "")
        print(f"\n== {label}", flush=True)
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            cfg["out"] = out.name
            proc = subprocess.run([sys.executable, __file__, "--_child", json.dumps(cfg)], cwd=ROOT)
            text = Path(out.name).read_text()
        if proc.returncode != 0 or not text:
            print(f"!! {label}: child failed with exit code {proc.returncode}", file=sys.stderr)
            continue
        results.append(json.loads(text))

    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


def machine_line() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"machine: {os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}"


def print_table(results: list[dict]) -> None:
    head = ["engine", "path", "W", "docs", "seconds", "docs/s", "lines/s", "ours/raw", "target", "met?",
            "cpu ms/doc", "load"]
    rows = []
    for r in results:
        engine = r["engine"] + (f" {r['sync']}" if r.get("sync") else "")
        raw = {run["writers"]: run["docs_per_s"] for run in r["runs"] if run["path"] == "raw-sql"}
        for run in r["runs"]:
            ratio = ""
            if run["path"] != "raw-sql" and raw.get(run["writers"]):
                ratio = f"{run['docs_per_s'] / raw[run['writers']]:.3f}"
            base_path = "http" if run["path"].startswith("http") else run["path"]
            untargeted = "4-tx" in run["path"] or "CLI" in run["path"]
            target = None if untargeted else TARGETS.get((r["engine"], base_path, run["writers"]))
            met = "" if target is None else ("yes" if run["docs_per_s"] >= target else "NO")
            path = run["path"] + (f" ({run['errors']} errors)" if run.get("errors") else "")
            rows.append([engine, path, str(run["writers"]), str(run["docs"]), f"{run['seconds']:.2f}",
                         f"{run['docs_per_s']:.0f}", f"{run['docs_per_s'] * LINES:.0f}", ratio,
                         f">= {target}" if target else "", met,
                         f"{run['cpu_s'] * 1000 / run['docs']:.2f}" if run.get("cpu_s") is not None else "",
                         f"{run['load1']:.1f}"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))

    extra = []
    for r in results:
        engine = r["engine"] + (f" {r['sync']}" if r.get("sync") else "")
        for name, b in r.get("balances", {}).items():
            if b.get("median_ms") is None:
                extra.append(f"{engine:16} {name}: {b.get('note', 'not measured')}")
                continue
            ok = "yes" if b["median_ms"] <= BALANCE_TARGET_MS else "NO"
            extra.append(f"{engine:16} {name}: median {b['median_ms']:.1f} ms, min {b['min_ms']:.1f} ms over "
                         f"{b['runs']} runs, {b['rows']} rows (target <= {BALANCE_TARGET_MS} ms: {ok})"
                         + (f"; {b['note']}" if b.get("note") else ""))
            if b.get("all_pages_median_ms") is not None:
                extra.append(f"{engine:16} {name}: all {b['all_pages_rows']} rows page by page: median "
                             f"{b['all_pages_median_ms']:.1f} ms")
        for run in r["runs"]:
            if run.get("rss_peak_mb") is not None:
                ok = "yes" if run["rss_peak_mb"] <= RSS_TARGET_MB else "NO"
                extra.append(f"{engine:16} server RSS during {run['path']} W={run['writers']}: peak "
                             f"{run['rss_peak_mb']:.0f} MB, idle {run['rss_idle_mb']:.0f} MB, "
                             f"{run['server_workers']} worker process(es) (target <= {RSS_TARGET_MB} MB: {ok})")
        if r.get("http_note"):
            extra.append(f"{engine:16} http: {r['http_note']}")
        if r.get("ledger_problems") is not None:
            extra.append(f"{engine:16} ledger check after the runs: {r['ledger_problems']} problem(s)")
    extra.append("cpu ms/doc: CPU of the benchmark process (all threads) for in-process and raw-sql runs, "
                 "CPU of the server processes for http runs; the database server's CPU is not included. "
                 "load: 1-minute load average at the end of the run (2 CPUs: above ~1.5 means other work "
                 "competed for the CPUs)")
    if extra:
        print()
        print("\n".join(extra))


# ====================================================================== child: one engine configuration


def child(cfg: dict) -> None:
    engine = cfg["engine"]
    data_dir = tempfile.mkdtemp(prefix="openjxc-bench-")
    env = {
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1",
        "JXC_DATA_DIR": data_dir,
        "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    if engine == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
        env["JXC_SQLITE_SYNCHRONOUS"] = cfg["sync"]
    else:
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
        recreate_pg_database()
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openjxc.documents.services import create_document

    call_command("migrate", verbosity=0)
    result = {"engine": engine, "sync": cfg["sync"], "runs": [], "balances": {}}
    if engine == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous")
            result["sqlite_synchronous_in_use"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cur.fetchone()[0]]
            cur.execute("PRAGMA journal_mode")
            result["sqlite_journal_mode"] = cur.fetchone()[0]
    try:
        t0 = time.perf_counter()
        world = build_world()
        print(f"   setup: company, {ITEMS} items, stock received in {time.perf_counter() - t0:.1f}s", flush=True)

        for w in cfg["writers"]:
            result["runs"].append(report(run_inprocess(world, cfg["docs"], w, one_tx=True)))
        if 1 in cfg["writers"]:
            if "advance_to" in inspect.signature(create_document).parameters:
                result["runs"].append(report(run_inprocess(world, cfg["docs"], 1, one_tx=True, advance_to=True)))
            result["runs"].append(report(run_inprocess(world, max(cfg["docs"] // 4, 50), 1, one_tx=False)))
        raw_setup(engine)
        for w in cfg["writers"]:
            result["runs"].append(report(run_raw(engine, cfg["sync"], cfg["docs"], w)))

        if cfg["http"]:
            http_runs(cfg, env, world, result)
        if cfg["balances"]:
            add_balance_items(world)
            result["balances"]["selectors.balances"] = time_selector(world)
            result["balances"]["same query, values_list of shown columns"] = time_selector(world, values=True)
            with Server(env, 1) as server:
                result["balances"]["GET /api/stock/balances"] = time_balances_api(server, api_token(world), world)
            for name, b in result["balances"].items():
                print(f"   {name}: {b}", flush=True)

        if cfg["profile"]:
            result["profile"] = profile_inprocess(world)

        from openjxc.stock.ledger import check_ledger

        problems = check_ledger(world["company_id"])
        result["ledger_problems"] = len(problems)
        for p in problems[:5]:
            print(f"   ledger problem: {p}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if engine == "postgres":
            drop_pg_database()
        shutil.rmtree(data_dir, ignore_errors=True)
    Path(cfg["out"]).write_text(json.dumps(result, default=str))


def http_runs(cfg: dict, env: dict, world: dict, result: dict) -> None:
    """POST /api/documents from W clients: 1 server worker; 2 workers with and without the TCP_NODELAY fix."""
    token = api_token(world)
    n, top = cfg["docs"], max(cfg["writers"])
    plan = [(1, "cli", w, n) for w in cfg["writers"]]
    workers = top if cfg["server_workers"] == "auto" else int(cfg["server_workers"])
    if workers > 1:
        plan.append((workers, "nodelay", top, n))
        plan.append((workers, "cli", top, max(n // 10, 50)))  # shows uvicorn issue #3149, see bench/serve.py
    for k, launcher, w, docs in plan:
        with Server(env, k, launcher) as server:
            note = server.probe_documents(token, world)
            if note:
                result["http_note"] = note
                print(f"   http: {note}", flush=True)
                return
            run = run_http(server, token, world, docs, w)
            run["path"] = f"http {k} worker{'s' if k > 1 else ''}" + (
                " (uvicorn CLI)" if launcher == "cli" and k > 1 else "")
            result["runs"].append(report(run))


def report(run: dict) -> dict:
    extra = f", {run['errors']} errors: {run.get('first_error', '')}" if run.get("errors") else ""
    rss = f", server RSS peak {run['rss_peak_mb']:.0f} MB" if run.get("rss_peak_mb") is not None else ""
    print(f"   {run['path']:<22} W={run['writers']} {run['docs']:>6} docs in {run['seconds']:7.2f}s = "
          f"{run['docs_per_s']:7.0f} docs/s{rss}{extra}", flush=True)
    return run


def recreate_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


# ---------------------------------------------------------------------- the company, through the services


def build_world() -> dict:
    from decimal import Decimal

    from openjxc.catalog import services as catalog
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.partners import services as partners
    from openjxc.stock import services as stock

    company = core.create_company(code="BENCH", name="基准测试有限公司")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    pcs = catalog.create_unit(by=admin, code="PCS", name="件")
    wh = stock.create_warehouse(by=admin, code="WH1", name="总仓")
    supplier = partners.create_partner(by=admin, code="S001", name="供应商", kind="supplier")
    customer = partners.create_partner(by=admin, code="C001", name="客户", kind="customer")
    items = [
        catalog.create_item(by=admin, code=f"I{n:05d}", name=f"商品 {n}", base_unit=pcs,
                            purchase_price=Decimal("5"), sale_price=Decimal("8")).pk
        for n in range(ITEMS)
    ]
    receipt = docs.create_document(
        by=admin, kind="purchase_receipt", warehouse=wh, partner=supplier,
        lines=[LineInput(item=i, quantity=Decimal(STOCK_PER_ITEM), unit_price=Decimal("5")) for i in items],
    )
    docs.advance_document(receipt, by=admin, to="posted")
    return {"company_id": company.pk, "admin_id": admin.pk, "warehouse_id": wh.pk, "customer_id": customer.pk,
            "supplier_id": supplier.pk, "unit_id": pcs.pk, "items": items}


def api_token(world: dict) -> str:
    if "token" not in world:
        from openjxc.core.models import User
        from openjxc.core.tokens import create_token

        _token, raw = create_token(by=User.objects.get(pk=world["admin_id"]), name="bench")
        world["token"] = raw
    return world["token"]


def pick_items(rng: random.Random, items: list[int]) -> list[int]:
    return rng.sample(items, LINES)


# ---------------------------------------------------------------------- (a) in-process


def deliver(by, world, rng, *, one_tx: bool, advance_to: bool = False) -> None:
    from decimal import Decimal

    from django.db import transaction

    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput

    lines = [LineInput(item=i, quantity=Decimal(1)) for i in pick_items(rng, world["items"])]
    kw = {"by": by, "kind": "sales_delivery", "warehouse": world["warehouse_id"], "partner": world["customer_id"],
          "lines": lines}
    if advance_to:
        docs.create_document(**kw, advance_to="posted")
    elif one_tx:
        with transaction.atomic():
            doc = docs.create_document(**kw)
            docs.advance_document(doc, by=by, to="posted")
    else:
        doc = docs.create_document(**kw)
        doc = docs.submit_document(doc, by=by)
        doc = docs.approve_document(doc, by=by)
        docs.post_document(doc, by=by)


def run_threads(w: int, n: int, work) -> tuple[float, int, str]:
    """Run `work(thread_no, count)` in w threads over n documents; return wall seconds, errors, first error."""
    shares = [n // w + (1 if t < n % w else 0) for t in range(w)]
    barrier = threading.Barrier(w + 1)
    errors: list[str] = []
    lock = threading.Lock()

    def target(t):
        try:
            barrier.wait()
            errs = work(t, shares[t])
        except Exception as exc:  # a crashed writer is reported, never hidden
            errs = [f"{type(exc).__name__}: {exc}"] * shares[t]
        with lock:
            errors.extend(errs)

    threads = [threading.Thread(target=target, args=(t,)) for t in range(w)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    return time.perf_counter() - t0, len(errors), errors[0] if errors else ""


def run_inprocess(world: dict, n: int, w: int, *, one_tx: bool, advance_to: bool = False) -> dict:
    from django.db import connections

    from openjxc.core.models import User

    def work(t, count, warm=False):
        errs = []
        by = User.objects.select_related("company").get(pk=world["admin_id"])
        rng = random.Random(1000 * w + t + (7 if warm else 0))
        try:
            for _ in range(count):
                try:
                    deliver(by, world, rng, one_tx=one_tx, advance_to=advance_to)
                except Exception as exc:  # counted and shown in the table
                    errs.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()
        return errs

    run_threads(w, WARMUP * w, lambda t, c: work(t, c, warm=True))
    cpu0 = time.process_time()
    seconds, errors, first = run_threads(w, n, work)
    path = "in-process advance_to" if advance_to else "in-process" if one_tx else "in-process 4-tx"
    return result_row(path, w, n, seconds, errors, first, cpu_s=time.process_time() - cpu0)


def result_row(path, w, n, seconds, errors, first, **extra) -> dict:
    ok = n - errors
    return {"path": path, "writers": w, "docs": n, "seconds": seconds, "errors": errors, "first_error": first,
            "load1": os.getloadavg()[0],
            "docs_per_s": ok / seconds if seconds else 0.0, **extra}


# ---------------------------------------------------------------------- (b) raw SQL baseline


RAW_SCHEMA = {
    "sqlite": [
        "DROP TABLE IF EXISTS bench_raw_ledger",
        "DROP TABLE IF EXISTS bench_raw_balance",
        "CREATE TABLE bench_raw_balance (item_id bigint NOT NULL, warehouse_id bigint NOT NULL, "
        "quantity decimal(20, 4) NOT NULL CHECK (quantity >= 0), PRIMARY KEY (item_id, warehouse_id))",
        "CREATE TABLE bench_raw_ledger (id integer PRIMARY KEY AUTOINCREMENT, doc_no bigint NOT NULL, "
        "item_id bigint NOT NULL, warehouse_id bigint NOT NULL, quantity decimal(20, 4) NOT NULL, "
        "posted_at datetime NOT NULL)",
    ],
    "postgres": [
        "DROP TABLE IF EXISTS bench_raw_ledger",
        "DROP TABLE IF EXISTS bench_raw_balance",
        "CREATE TABLE bench_raw_balance (item_id bigint NOT NULL, warehouse_id bigint NOT NULL, "
        "quantity numeric(20, 4) NOT NULL CHECK (quantity >= 0), PRIMARY KEY (item_id, warehouse_id))",
        "CREATE TABLE bench_raw_ledger (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "doc_no bigint NOT NULL, item_id bigint NOT NULL, warehouse_id bigint NOT NULL, "
        "quantity numeric(20, 4) NOT NULL, posted_at timestamptz NOT NULL)",
    ],
}


def raw_setup(engine: str) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        for sql in RAW_SCHEMA[engine]:
            cur.execute(sql)
        cur.executemany("INSERT INTO bench_raw_balance (item_id, warehouse_id, quantity) VALUES (%s, 1, %s)",
                        [(i, STOCK_PER_ITEM) for i in range(1, ITEMS + 1)])


def raw_connect(engine: str, sync: str | None):
    """A bare DB-API connection with the same settings as the app's."""
    if engine == "sqlite":
        import sqlite3

        from django.conf import settings

        conn = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={sync}")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn
    import psycopg

    return psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB, autocommit=False)


def raw_document(engine, conn, doc_no: int, item_ids: list[int]) -> None:
    """One document, minimal: lock-free guarded decrements in a fixed order, then the ledger rows."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    ph = "?" if engine == "sqlite" else "%s"
    upd = (f"UPDATE bench_raw_balance SET quantity = quantity - {ph} "
           f"WHERE item_id = {ph} AND warehouse_id = 1 AND quantity >= {ph}")
    ins = (f"INSERT INTO bench_raw_ledger (doc_no, item_id, warehouse_id, quantity, posted_at) "
           f"VALUES ({ph}, {ph}, 1, {ph}, {ph})")
    if engine == "sqlite":
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for i in sorted(item_ids):
                cur.execute(upd, (1, i, 1))
                if cur.rowcount != 1:
                    raise RuntimeError(f"insufficient stock for item {i}")
            for i in item_ids:
                cur.execute(ins, (doc_no, i, 1, now.isoformat(" ")))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    else:
        try:
            with conn.cursor() as cur:
                for i in sorted(item_ids):
                    cur.execute(upd, (1, i, 1))
                    if cur.rowcount != 1:
                        raise RuntimeError(f"insufficient stock for item {i}")
                for i in item_ids:
                    cur.execute(ins, (doc_no, i, 1, now))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def run_raw(engine: str, sync: str | None, n: int, w: int) -> dict:
    counter = iter(range(10**9))
    lock = threading.Lock()

    def work(t, count):
        errs = []
        conn = raw_connect(engine, sync)
        rng = random.Random(5000 + 1000 * w + t)
        try:
            for _ in range(count):
                with lock:
                    doc_no = next(counter)
                try:
                    raw_document(engine, conn, doc_no, rng.sample(range(1, ITEMS + 1), LINES))
                except Exception as exc:
                    errs.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
        return errs

    run_threads(w, WARMUP * w, work)
    cpu0 = time.process_time()
    seconds, errors, first = run_threads(w, n, work)
    return result_row("raw-sql", w, n, seconds, errors, first, cpu_s=time.process_time() - cpu0)


# ---------------------------------------------------------------------- (c) HTTP


class Server:
    """The real ASGI server in a subprocess, on a free local port."""

    def __init__(self, env: dict, workers: int, launcher: str = "cli"):
        """launcher "cli": the uvicorn command line; "nodelay": bench/serve.py (same, with TCP_NODELAY)."""
        import httpx

        self.workers = workers
        self.port = serve.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        if launcher == "cli":
            cmd = [sys.executable, "-m", "uvicorn", "openjxc.config.asgi:application", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        else:
            cmd = [sys.executable, str(ROOT / "bench" / "serve.py"), "127.0.0.1", str(self.port), str(workers)]
        # static files are not served in this benchmark: keep whitenoise quiet about the missing directory
        Path(env["JXC_DATA_DIR"], "staticfiles").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                httpx.get(self.base + "/api/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start within 60 s") from None
                time.sleep(0.2)

    def _procs(self) -> list:
        import psutil

        try:
            p = psutil.Process(self.proc.pid)
            return [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        import psutil

        total = 0
        for q in self._procs():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += q.memory_info().rss
        return total / 2**20

    def cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the server and its worker processes."""
        return serve.tree_cpu_s(self.proc.pid)

    def probe_documents(self, token: str, world: dict) -> str | None:
        """None if POST /api/documents works, else what is wrong (the endpoint may not exist yet)."""
        import httpx

        rng = random.Random(99)
        r = httpx.post(self.base + "/api/documents", json=delivery_body(world, rng),
                       headers=auth_headers(token), timeout=30)
        if r.status_code == 404:
            return "POST /api/documents is not there yet (404): HTTP figures not measured"
        if not 200 <= r.status_code < 300:
            return f"POST /api/documents answered {r.status_code}: {r.text[:300]}"
        status = r.json().get("status")
        if status not in (None, "posted"):
            return f"POST /api/documents did not post the document (status {status!r})"
        return None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        serve.stop(self.proc)


def auth_headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def delivery_body(world: dict, rng: random.Random) -> dict:
    return {"kind": "sales_delivery", "warehouse": world["warehouse_id"], "partner": world["customer_id"],
            "lines": [{"item": i, "quantity": "1"} for i in pick_items(rng, world["items"])],
            "advance_to": "posted"}


def run_http(server: Server, token: str, world: dict, n: int, w: int) -> dict:
    import httpx

    def work(t, count, warm=False):
        errs = []
        rng = random.Random(9000 + 1000 * w + t + (7 if warm else 0))
        with httpx.Client(base_url=server.base, headers=auth_headers(token), timeout=60) as client:
            for _ in range(count):
                # every POST carries an Idempotency-Key, as the API asks of its clients
                r = client.post("/api/documents", json=delivery_body(world, rng),
                                headers={"Idempotency-Key": str(uuid.uuid4())})
                if not 200 <= r.status_code < 300:
                    errs.append(f"HTTP {r.status_code}: {r.text[:200]}")
        return errs

    run_threads(w, WARMUP * w, lambda t, c: work(t, c, warm=True))
    idle = server.rss_mb()
    peak = [idle]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss_mb())
            stop.wait(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu0, client0 = server.cpu_s(), time.process_time()
    try:
        seconds, errors, first = run_threads(w, n, work)
    finally:
        stop.set()
        sampler.join()
    return result_row("http", w, n, seconds, errors, first, rss_peak_mb=peak[0], rss_idle_mb=idle,
                      server_workers=server.workers, cpu_s=server.cpu_s() - cpu0,
                      client_cpu_s=time.process_time() - client0)


# ---------------------------------------------------------------------- (d) the balance query


def add_balance_items(world: dict) -> None:
    """Bring the warehouse to 10,000 items with a balance each: items in bulk, stock through a receipt."""
    from decimal import Decimal

    from openjxc.catalog.models import Item
    from openjxc.core.models import User
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput

    t0 = time.perf_counter()
    extra = BALANCE_ITEMS - len(world["items"])
    # master data in bulk (the query does not care how items were made); the stock goes through posting
    Item.objects.bulk_create(
        [Item(company_id=world["company_id"], code=f"B{n:05d}", name=f"商品 B{n}", base_unit_id=world["unit_id"],
              purchase_price=Decimal("5"), sale_price=Decimal("8")) for n in range(extra)],
        batch_size=1000,
    )
    new = list(Item.objects.filter(company_id=world["company_id"], code__startswith="B").values_list("pk", flat=True))
    admin = User.objects.get(pk=world["admin_id"])
    doc = docs.create_document(
        by=admin, kind="purchase_receipt", warehouse=world["warehouse_id"], partner=world["supplier_id"],
        lines=[LineInput(item=i, quantity=Decimal(100), unit_price=Decimal("5")) for i in new],
    )
    docs.advance_document(doc, by=admin, to="posted")
    print(f"   {extra} more items and a {extra}-line receipt posted in {time.perf_counter() - t0:.1f}s", flush=True)


def _timings(fn, runs: int = 7) -> dict:
    fn()  # warm
    times, rows = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "runs": runs, "rows": rows}


def time_selector(world: dict, *, values: bool = False) -> dict:
    from openjxc.stock import selectors

    if values:
        # the same rows and order, without building four model instances per row
        def once():
            qs = selectors.balances(world["company_id"], warehouse_ids=[world["warehouse_id"]])
            return len(list(qs.values_list("item__code", "item__name", "location__code", "location__warehouse__code",
                                           "quantity", "value", "lot__code")))

        return _timings(once)

    def once():
        rows = list(selectors.balances(world["company_id"], warehouse_ids=[world["warehouse_id"]]))
        # fully evaluated: touch what a balance screen shows
        shown = [(b.item.code, b.item.name, b.location.code, b.location.warehouse.code, b.quantity, b.value, b.lot)
                 for b in rows]
        return len(shown)

    return _timings(once)


def time_balances_api(server: Server, token: str, world: dict) -> dict:
    import httpx

    url = f"{server.base}/api/stock/balances"
    with httpx.Client(headers=auth_headers(token), timeout=60) as client:
        # the API caps a page at MAX_PAGE rows: time the largest page, and walking all of them
        try:
            from openjxc.core.schemas import MAX_PAGE
        except ImportError:
            MAX_PAGE = 500  # noqa: N806
        r = client.get(url, params={"warehouse": world["warehouse_id"], "limit": min(MAX_PAGE, BALANCE_ITEMS)})
        if r.status_code != 200:
            return {"median_ms": None, "note": f"answered {r.status_code}: not measured"}
        limit = r.json()["limit"]

        def page(offset):
            resp = client.get(url, params={"warehouse": world["warehouse_id"], "limit": limit, "offset": offset})
            resp.raise_for_status()
            return resp.json()

        def first_page():
            return len(page(0)["items"])

        def all_pages():
            n, offset = 0, 0
            while True:
                body = page(offset)
                n += len(body["items"])
                offset += limit
                if offset >= body["count"]:
                    return n

        out = _timings(first_page)
        out["note"] = f"one page of limit={limit}"
        walk = _timings(all_pages, runs=3)
        out["all_pages_median_ms"] = walk["median_ms"]
        out["all_pages_rows"] = walk["rows"]
    return out


# ---------------------------------------------------------------------- profile


def profile_inprocess(world: dict, n: int = 300) -> dict:
    """Queries per delivery (by statement kind and table) and the hot functions of create_document(advance_to=)."""
    import cProfile
    import io
    import pstats
    import re
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openjxc.core.models import User

    by = User.objects.select_related("company").get(pk=world["admin_id"])
    rng = random.Random(4242)
    out: dict = {}
    for one_tx, advance_to in ((True, False), (False, False), (True, True)):
        with CaptureQueriesContext(connection) as ctx:
            deliver(by, world, rng, one_tx=one_tx, advance_to=advance_to)
        kinds: Counter = Counter()
        for q in ctx.captured_queries:
            sql = q["sql"].lstrip()
            verb = sql.split(None, 1)[0].upper()
            m = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
            kinds[f"{verb} {m.group(1) if m else ''}".strip()] += 1
        key = "queries_advance_to" if advance_to else "queries_one_tx" if one_tx else "queries_4_tx"
        out[key] = {"total": len(ctx.captured_queries), "by_kind": dict(kinds.most_common())}
        out[f"sql_{key[8:]}"] = [q["sql"][:240] for q in ctx.captured_queries]
    # one API request through Django's whole stack (middleware, token, idempotency, ninja), no network
    from django.test import Client

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {api_token(world)}")

    def api_post():
        r = client.post("/api/documents", data=json.dumps(delivery_body(world, rng)), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert r.status_code == 201, r.content[:300]

    api_post()
    with CaptureQueriesContext(connection) as ctx:
        api_post()
    kinds = Counter()
    for q in ctx.captured_queries:
        sql = q["sql"].lstrip()
        m = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
        kinds[f"{sql.split(None, 1)[0].upper()} {m.group(1) if m else ''}".strip()] += 1
    out["queries_api"] = {"total": len(ctx.captured_queries), "by_kind": dict(kinds.most_common())}
    out["sql_api"] = [q["sql"][:240] for q in ctx.captured_queries]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n // 2):
        api_post()
    prof.disable()
    out["api_profiled_seconds"] = time.perf_counter() - t0
    for sort in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(45)
        out[f"api_top_{sort}"] = buf.getvalue()

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n):
        deliver(by, world, rng, one_tx=True, advance_to=True)
    prof.disable()
    out["profiled_docs"] = n
    out["profiled_seconds"] = time.perf_counter() - t0
    for sort in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(45)
        out[f"top_{sort}"] = buf.getvalue()
    print(f"   profile: {out['queries_one_tx']['total']} queries per one-transaction delivery, "
          f"{out['queries_advance_to']['total']} with create_document(advance_to=), "
          f"{out['queries_4_tx']['total']} through 4 transactions", flush=True)
    return out


if __name__ == "__main__":
    main()
