"""Weekly / monthly report benchmark: the last complete month's report, its PDF and its workbook, for the bench
company of bench/reports.py (issue 17's target: PDF + XLSX of a monthly report for 10,000 items in ≤ 30 s).

    python bench/period_report.py --db sqlite|postgres [--moves 300000] [--items 10000] [--months 12] [--runs 3]
                                  [--reuse PATH] [--keep PATH] [--json out.json]

Builds the company and its history exactly as bench/reports.py does, then times (median of --runs, after a
warm-up): the report (`period_report.build`: every figure of the month and the month before, charts, movers,
summary), the PDF and the workbook, and the three together; prints the statements `build` runs and the load.
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

rb.PG_DB = os.environ.get("BENCH_PERIOD_DB", "openjxc_period_bench")  # its own: never bench/reports.py's


def main() -> None:
    parser = _company.arguments(__doc__.splitlines()[0], runs=3)
    parser.add_argument("--once", action="store_true", help="one cold pass: the report, its PDF and workbook once "
                                                            "each, no warm-up (a large company on a shared machine)")
    args = parser.parse_args()
    data_dir = rb.setup_env(args)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openjxc.core import clock
    from openjxc.reports import periods
    from openjxc.reports.period_files import pdf, xlsx
    from openjxc.reports.period_report import build

    out: dict = {"engine": args.db, "load_before": os.getloadavg()}
    try:
        admin = _company.admin_of_company(rb, args, out)
        month = periods.last_complete("month", clock.today(admin.company.time_zone))
        out["period"] = month.label()
        if args.once:
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                report = build(admin, month)
            out["statements"], out["report_s"] = len(ctx.captured_queries), round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            out["pdf_bytes"] = len(pdf(report))
            out["pdf_s"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            out["xlsx_bytes"] = len(xlsx(report))
            out["xlsx_s"] = round(time.perf_counter() - t0, 3)
            out["all_s"] = round(out["report_s"] + out["pdf_s"] + out["xlsx_s"], 3)
            out["load_after"] = os.getloadavg()
            print(f"monthly report {month.label()} (one cold pass): report {out['report_s']} s "
                  f"({out['statements']} statements), PDF {out['pdf_s']} s, XLSX {out['xlsx_s']} s, all three "
                  f"{out['all_s']} s; load {out['load_before'][0]:.1f} → {out['load_after'][0]:.1f}", flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(out, indent=2, default=str))
            return
        report = build(admin, month)
        with CaptureQueriesContext(connection) as ctx:
            build(admin, month)
        out["statements"] = len(ctx.captured_queries)
        out["report_s"] = round(rb.timed(lambda: build(admin, month), args.runs), 3)
        out["pdf_s"] = round(rb.timed(lambda: pdf(report), args.runs), 3)
        out["xlsx_s"] = round(rb.timed(lambda: xlsx(report), args.runs), 3)
        out["pdf_bytes"], out["xlsx_bytes"] = len(pdf(report)), len(xlsx(report))

        def everything():
            r = build(admin, month)
            pdf(r)
            xlsx(r)

        out["all_s"] = round(rb.timed(everything, args.runs), 3)
        out["load_after"] = os.getloadavg()
        print(f"monthly report {month.label()}: report {out['report_s']} s ({out['statements']} statements), "
              f"PDF {out['pdf_s']} s ({out['pdf_bytes']} B), XLSX {out['xlsx_s']} s ({out['xlsx_bytes']} B), "
              f"all three {out['all_s']} s; load {out['load_before'][0]:.1f} → {out['load_after'][0]:.1f}",
              flush=True)
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
