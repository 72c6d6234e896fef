"""Cockpit benchmark: the full cockpit page (eight tiles) rendered for the bench company of bench/reports.py.

    python bench/cockpit.py --db sqlite|postgres [--moves 300000] [--items 10000] [--months 12] [--runs 5]
                            [--reuse PATH] [--keep PATH] [--json out.json]

Builds the company and its history exactly as bench/reports.py does (services for the master data, bulk SQL
for the documents and moves, then the facts rebuilt), then times, after a warm-up render:

  the page     GET /reports/cockpit/ through Django's test client as the administrator (session, every tile,
               the template; a GET writes nothing, the facts are the worker's): the first render with nothing
               kept, then the median of --runs renders (the stock-health KPIs kept for cockpit.SLOW_TTL, as on a
               live screen)
  worker       cockpit_snapshots.refresh: the slow KPIs of the tiles for the company and each warehouse, as the
               worker computes them every 10 minutes; then the page with nothing kept in the process (every
               render, on any app server, the first of the day included), median of --runs
  each tile    its builder alone with nothing kept (cockpit.TILES[key].build), median of --runs

and prints the statements the page runs. Wall-clock on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _company  # noqa: E402 - the bench company built or reused
import reports as rb  # noqa: E402 - bench/reports.py: the same company and history

rb.PG_DB = os.environ.get("BENCH_COCKPIT_DB", "openjxc_cockpit_bench")  # never the one bench/reports.py may be using


def main() -> None:
    parser = _company.arguments(__doc__.splitlines()[0], runs=5)  # PostgreSQL: BENCH_COCKPIT_DB, dropped, created
    args = parser.parse_args()
    data_dir = rb.setup_env(args)
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from openjxc.reports import cockpit

    out: dict = {"engine": args.db, "load_before": os.getloadavg()}
    try:
        admin = _company.admin_of_company(rb, args, out)
        out["sizes"] = rb._sizes(connection)
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)

        def page():
            r = client.get("/reports/cockpit/", secure=True)
            assert r.status_code == 200, r.status_code

        cache.clear()
        t0 = time.perf_counter()
        page()
        out["page_cold_s"] = round(time.perf_counter() - t0, 4)
        print(f"cockpit page, first render (nothing kept): {out['page_cold_s'] * 1000:.0f} ms", flush=True)
        out["page_s"] = round(rb.timed(page, args.runs), 4)
        with CaptureQueriesContext(connection) as ctx:
            page()
        out["statements"] = len(ctx.captured_queries)
        print(f"cockpit page: {out['page_s'] * 1000:.0f} ms median, {out['statements']} statements, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
        company = admin.company
        from openjxc.reports import cockpit_snapshots

        t0 = time.perf_counter()
        out["worker_snapshots"] = cockpit_snapshots.refresh(company, force=True)
        out["worker_refresh_s"] = round(time.perf_counter() - t0, 3)
        print(f"worker: {out['worker_snapshots']} slow figures in {out['worker_refresh_s']:.1f} s", flush=True)

        def page_cold():
            cache.clear()  # nothing kept in this process: the slow figures are the worker's
            page()

        out["page_with_snapshots_s"] = round(rb.timed(page_cold, args.runs), 4)
        with CaptureQueriesContext(connection) as ctx:
            page_cold()
        out["statements_with_snapshots"] = len(ctx.captured_queries)
        print(f"cockpit page, the worker's slow figures, nothing kept in the process: "
              f"{out['page_with_snapshots_s'] * 1000:.0f} ms median, {out['statements_with_snapshots']} statements, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
        p = cockpit.periods_for(company)
        base = cockpit.base_query(admin)
        out["tiles"] = {}
        for key in cockpit.DEFAULT_TILES:
            d = cockpit.TILES[key]

            def one(d=d):
                cache.clear()  # each tile computed in full
                return d.build(company, p, base, admin) if d.key == "alerts" else d.build(company, p, base)

            out["tiles"][key] = round(rb.timed(one, args.runs), 4)
            print(f"  {key:<14} {out['tiles'][key] * 1000:>8.0f} ms", flush=True)
        out["load_after"] = os.getloadavg()
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
