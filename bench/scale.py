"""Flat as history grows (issue 15): the home page, every alert rule, the ledger check and stock as of a date,
timed on the company bench/reports.py built (10,000,000 moves on PostgreSQL by default).

    BENCH_REPORTS_DB=oj_scale_bench python bench/reports.py --db postgres --moves 10000000   # once: build
    BENCH_REPORTS_DB=oj_scale_bench python bench/scale.py [--runs 5] [--skip-replay] [--json out.json]

bench/reports.py writes moves, not balances: the first run here derives the stock balances and valuations from
the ledger by set-based SQL (so the ledger check has books to compare). Each figure is the median of `--runs`
after a warm-up; the ledger check runs once per part (set-based sums, replay, facts) with the peak RSS of this
process. Run it with another `src` (`--src /work/main/src`) for the figures of another checkout on the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def derive_books(company_id: int) -> int:
    """Stock balances and valuations equal to the ledger, if the company has none yet; the rows written."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM stock_stockbalance WHERE company_id = %s", [company_id])
        if cur.fetchone()[0]:
            return 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO stock_stockbalance (company_id, item_id, location_id, lot_id, lot_key, quantity, value) "
            "SELECT %s, item_id, loc, lot, COALESCE(lot, 0), SUM(q), SUM(v) FROM ("
            " SELECT item_id, to_location_id AS loc, lot_id AS lot, quantity AS q, value AS v FROM stock_stockmove"
            " WHERE company_id = %s UNION ALL"
            " SELECT item_id, from_location_id, lot_id, -quantity, -value FROM stock_stockmove WHERE company_id = %s"
            ") AS x WHERE loc IN (SELECT id FROM stock_location WHERE company_id = %s AND kind IN ('internal', "
            "'transit')) GROUP BY item_id, loc, lot", [company_id] * 4)
        n = cur.rowcount
        cur.execute(
            "INSERT INTO stock_itemvaluation (company_id, item_id, warehouse_id, quantity, value, last_cost, "
            "last_move_on) SELECT %s, b.item_id, l.warehouse_id, SUM(b.quantity), SUM(b.value), 0, NULL "
            "FROM stock_stockbalance b JOIN stock_location l ON l.id = b.location_id WHERE b.company_id = %s "
            "GROUP BY b.item_id, l.warehouse_id", [company_id, company_id])
        n += cur.rowcount
    with connection.cursor() as cur:
        cur.execute("ANALYZE stock_stockbalance")
        cur.execute("ANALYZE stock_itemvaluation")
    return n


def derive_move_counts(company_id: int) -> int:
    """The home page's daily move counts (reports/facts/movecounts.py) if the company has none; the rows written.

    Counts can be written at any time (a recount is idempotent). The page trusts them once the company has a facts
    cursor: if it has none, one is written at version 0 ("facts not built": the consumer rebuilds every fact before
    it reads an event, so nothing reads the other facts half-built) — unless another process holds the cursors'
    table (a facts rebuild running: its cursor will do), then the page counts the moves until that one commits."""
    try:
        from openjxc.reports.facts.movecounts import rebuild_move_counts
    except ImportError:  # --src of a checkout without them
        return 0
    from django.db import DatabaseError, connection, transaction

    from openjxc.reports.models import FactCursor, MoveCountDay
    from openjxc.sync.feed import START, encode_cursor, stable_head

    n = 0
    if not MoveCountDay.objects.filter(company_id=company_id).exists():
        with transaction.atomic():
            n = rebuild_move_counts(company_id)
    if not FactCursor.objects.filter(company_id=company_id).exists():
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '5s'")
                FactCursor.objects.create(company_id=company_id, version=0,
                                          cursor=encode_cursor(stable_head(company_id) or START))
        except DatabaseError as e:
            print(f"no facts cursor written ({str(e).strip()[:80]}): the home page counts the moves", flush=True)
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", default=str(ROOT / "src"), help="the openjxc sources to time (default: this tree)")
    parser.add_argument("--skip-replay", action="store_true", help="leave out the ledger check's replay part")
    parser.add_argument("--only", default="", help="comma-separated parts: home,rules,ledger,asof")
    parser.add_argument("--full-items", type=int, default=0,
                        help="also time the full replay of this many items (memory and moves/s)")
    parser.add_argument("--no-checkpoints", action="store_true", help="do not write the month-end checkpoints")
    parser.add_argument("--skip-books", action="store_true", help="leave out the registered books' checks")
    parser.add_argument("--json")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import reports as rb  # (puts this tree's src first: --src goes before it)

    sys.path.insert(0, args.src)

    ns = argparse.Namespace(db="postgres", reuse="1", keep=None)
    data_dir = rb.setup_env(ns)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import openjxc
    from openjxc.alerts import rules
    from openjxc.alerts.rules import DEFAULT_PARAMS, Scope
    from openjxc.core import clock
    from openjxc.core.models import User
    from openjxc.stock import ledger, selectors

    parts = set(args.only.split(",")) if args.only else {"home", "rules", "ledger", "asof"}
    from openjxc.core.models import Company

    path = Path(rb._state_path(ns))
    if path.exists():
        w = json.loads(path.read_text())["world"]
    else:  # history written, facts still building: the company by its code
        w = {"company": Company.objects.get(code="BENCH").pk, "admin": User.objects.get(username="bench-admin").pk}
    company_id = w["company"]
    out: dict = {"src": str(Path(openjxc.__file__).parent), "load_before": os.getloadavg()}
    print(f"timing {out['src']} on {rb.PG_DB}, load {os.getloadavg()[0]:.1f}", flush=True)
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM stock_stockmove WHERE company_id = %s", [company_id])
        out["moves"] = cur.fetchone()[0]
    written = derive_books(company_id)
    if written:
        print(f"derived {written:,} balance and valuation rows from the ledger", flush=True)
    t0 = time.perf_counter()
    written = derive_move_counts(company_id) if "home" in parts else 0  # (only the home page reads them)
    if written:
        print(f"derived {written:,} daily move counts in {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"{out['moves']:,} moves", flush=True)

    def report(name, seconds, extra=""):
        out[name] = round(seconds, 4)
        print(f"{name:<44} {seconds * 1000:>10.1f} ms {extra} load {os.getloadavg()[0]:.1f}", flush=True)

    if "home" in parts:
        admin = User.objects.get(pk=w["admin"])
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)

        def home():
            r = client.get("/", secure=True)
            assert r.status_code == 200, r.status_code

        seconds = rb.timed(home, args.runs)
        sql_s, cpu_s = [], []
        for _ in range(args.runs):  # less sensitive to the load than the wall time: the statements' time, this
            cpu0 = time.process_time()  # process's CPU (rendering, ORM)
            with CaptureQueriesContext(connection) as ctx:
                home()
            cpu_s.append(time.process_time() - cpu0)
            sql_s.append(sum(float(q["time"]) for q in ctx.captured_queries))
        slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
        out["home_sql"], out["home_cpu"] = sorted(sql_s)[len(sql_s) // 2], sorted(cpu_s)[len(cpu_s) // 2]
        report("home page", seconds, f"({len(ctx.captured_queries)} statements, median {out['home_sql'] * 1000:.0f}"
                                     f" ms in them, {out['home_cpu'] * 1000:.0f} ms CPU here; slowest "
                                     f"{', '.join(q['time'] + ' s' for q in slowest)})")
        out["home_slowest"] = [q["sql"][:300] for q in slowest]

    if "rules" in parts:
        today = clock.today()
        for kind, evaluator in sorted(rules.EVALUATORS.items()):
            scope = Scope(company_id=company_id, today=today)
            if kind not in DEFAULT_PARAMS and kind == "kpi_threshold":  # needs a KPI named in its parameters
                print(f"rule {kind}: skipped (no default parameters: a KPI must be chosen)", flush=True)
                continue
            seconds = rb.timed(lambda e=evaluator, k=kind, s=scope: e(s, dict(DEFAULT_PARAMS.get(k, {}))),
                               max(1, args.runs // 2))
            report(f"rule {kind}", seconds)

    if "asof" in parts:
        try:
            from openjxc.stock import checkpoints
        except ImportError:  # a checkout from before the month-end checkpoints
            checkpoints = None
        today = dt.date.today()
        if checkpoints is not None and not args.no_checkpoints:
            company = Company.objects.get(pk=company_id)
            t0 = time.perf_counter()
            done = checkpoints.refresh(company)
            report("month-end checkpoints: refresh", time.perf_counter() - t0, f"({done})")
            t0 = time.perf_counter()
            done = checkpoints.refresh(company)
            report("month-end checkpoints: refresh, nothing new", time.perf_counter() - t0, f"({done})")
        for days in (20, 45, 400):
            on = today - dt.timedelta(days=days)
            seconds = rb.timed(lambda on=on: selectors.balances_as_of(company_id, on), max(1, args.runs // 2))
            report(f"stock as of {days} days ago, company", seconds)
        from openjxc.core.tokens import create_token

        admin = User.objects.get(pk=w["admin"])
        _token, secret = create_token(by=admin, name="bench-scale", user=admin)
        client = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {secret}"})
        for days in (20, 45, 400):
            on = today - dt.timedelta(days=days)

            def page(on=on):
                r = client.get("/api/stock/balances", {"as_of": str(on), "limit": 500, "offset": 1000}, secure=True)
                assert r.status_code == 200 and len(r.json()["items"]) == 500, r.status_code

            report(f"API page of 500 balances as of {days} days ago", rb.timed(page, max(1, args.runs // 2)))

    if "ledger" in parts:
        import inspect

        from openjxc.stock.models import StockMove

        incremental = "full" in inspect.signature(ledger.check_ledger).parameters
        before = rss_mb()
        t0 = time.perf_counter()
        saved = ledger.replay_problems
        ledger.replay_problems = lambda company_id=None, **kw: []  # the sums and comparisons alone
        try:
            problems = ledger.check_ledger(company_id)
        finally:
            ledger.replay_problems = saved
        report("ledger check: sums and comparisons", time.perf_counter() - t0,
               f"({len(problems)} problems, peak RSS {before:.0f} -> {rss_mb():.0f} MB)")
        if incremental:
            from openjxc.stock.models import LedgerCheckpoint

            # tonight's replay after a day of postings: the (item, warehouse) pairs with moves on the last business
            # day, from that day (bench/reports.py writes the moves kind by kind, so the ids of a day are not a
            # range here: the pairs are found by date and handed to the replay the checkpoint would start)
            last_day = StockMove.objects.filter(company_id=company_id).order_by("-business_on").values_list(
                "business_on", flat=True).first()
            where = ledger.stocked_locations(company_id)
            starts = {}
            for item, frm, to in StockMove.objects.filter(company_id=company_id, business_on=last_day).values_list(
                    "item_id", "from_location_id", "to_location_id").distinct():
                for loc in (frm, to):
                    if loc in where:
                        starts[(item, where[loc])] = last_day
            from openjxc.stock.locations import VIRTUAL_CODES
            from openjxc.stock.models import Location, LocationKind

            adjustment = Location.objects.get(company_id=company_id, code=VIRTUAL_CODES[LocationKind.ADJUSTMENT]).pk
            run = ledger.ReplayStats(company_id, False)
            t0 = time.perf_counter()
            with ledger._snapshot():
                problems = ledger.replay_pairs(company_id, starts, where, adjustment, run)
            report("ledger check: replay of a day's postings", time.perf_counter() - t0,
                   f"({len(problems)} problems, {run.pairs:,} pairs, {run.moves:,} moves, "
                   f"peak RSS {rss_mb():.0f} MB)")
            # and the whole nightly check as it runs, with the checkpoint at the highest move (nothing new)
            LedgerCheckpoint.objects.update_or_create(company_id=company_id, defaults={
                "last_move_id": StockMove.objects.filter(company_id=company_id).order_by("-id").values_list(
                    "id", flat=True).first(), "checked_at": clock.now()})
            stats = []
            t0 = time.perf_counter()
            problems = ledger.check_ledger(company_id, full=False, stats=stats)
            report("ledger check: all of it, nightly (sums + since the checkpoint)", time.perf_counter() - t0,
                   f"({len(problems)} problems, {stats[0].moves:,} moves replayed, peak RSS {rss_mb():.0f} MB)")
            if args.full_items:
                run = ledger.ReplayStats(company_id, True)
                t0 = time.perf_counter()
                problems = ledger._replay_all(company_id, where, adjustment, run, None, limit_items=args.full_items)
                seconds = time.perf_counter() - t0
                report(f"ledger check: full replay of {args.full_items:,} items", seconds,
                       f"({len(problems)} problems, {run.moves:,} moves, {run.moves / seconds:,.0f} moves/s, "
                       f"peak RSS {rss_mb():.0f} MB)")
        elif not args.skip_replay:
            t0 = time.perf_counter()
            problems = ledger.replay_problems(company_id)
            report("ledger check: replay in business-date order", time.perf_counter() - t0,
                   f"({len(problems)} problems, peak RSS {rss_mb():.0f} MB)")
        if not args.skip_books:
            from openjxc.core.ledger_checks import CHECKS

            t0 = time.perf_counter()
            others = {}
            for name, check in CHECKS.items():  # each book's time too: they differ by orders of magnitude
                t1 = time.perf_counter()
                others[name] = list(check(company_id))
                report(f"ledger check: registered book {name}", time.perf_counter() - t1,
                       f"({len(others[name])} problems, peak RSS {rss_mb():.0f} MB)")
            report("ledger check: registered books (facts, partner)", time.perf_counter() - t0,
                   f"({ {k: len(v) for k, v in others.items()} }, peak RSS {rss_mb():.0f} MB)")
    out["load_after"] = os.getloadavg()
    connection.close()
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
