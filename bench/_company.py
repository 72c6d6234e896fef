"""The bench company of bench/reports.py, built or reused, for the benches that time one feature on it
(bench/cockpit.py, bench/kpi_rules.py, bench/period_report.py): their common arguments and the build step."""

from __future__ import annotations

import argparse
import time


def arguments(description: str, *, runs: int) -> argparse.ArgumentParser:
    """The arguments every such bench takes: engine, size of the history, runs, keep / reuse, a JSON file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--moves", type=int, default=300_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--keep")
    parser.add_argument("--reuse", help="SQLite: a file built before with --keep; PostgreSQL: any value (reuse the "
                                        "database built before)")
    parser.add_argument("--json")
    return parser


def admin_of_company(rb, args, out: dict):
    """The bench company's administrator: the company built by an earlier run (--reuse), or built now with its
    history and facts (the time and counts go into `out`). Call after django.setup() and rb.setup_env(args)."""
    from django.core.management import call_command
    from django.db import connection

    from openjxc.core.models import Company, User
    from openjxc.reports.facts.rebuild import rebuild

    if args.reuse:
        return User.objects.get(username="bench-admin")
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    w = rb.build_world(args)
    counts = rb.history(w, args.moves, args.months)
    rebuild(Company.objects.get(pk=w["company"]))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    out["build_seconds"] = round(time.perf_counter() - t0, 1)
    out["counts"] = counts
    print(f"built {counts} and the facts in {out['build_seconds']} s", flush=True)
    return User.objects.get(pk=w["admin"])
