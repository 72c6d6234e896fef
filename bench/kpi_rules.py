"""KPI threshold benchmark: evaluating KPI alert rules over the bench company of bench/reports.py (10,000 items).

    python bench/kpi_rules.py --db sqlite|postgres [--moves 300000] [--items 10000] [--months 12] [--runs 3]
                              [--reuse PATH] [--keep PATH] [--json out.json]

Builds the company and its history exactly as bench/reports.py does (services for the master data, bulk SQL for
the documents and moves, then the facts rebuilt), makes the KPI threshold rules below (through the alerts
services) and times alerts.engine.evaluate_rule for each:

  first   the first evaluation: the KPI computed for every period it needs, every alert raised and notified
  again   the median of --runs evaluations after it (nothing new: the periodic scan's steady state)

Rules: an item's weekly sales down > 30 % two weeks running (10,000 items, 3 weeks of revenue by item);
毛利率 < 15 % per category this month; 毛利率 < 15 % per item this month (10,000 subjects); on-time rate < 90 %
per supplier last month; and 毛利率 < 50 % per item last month, which every item sold is in (the bench company's
prices are cost + 30 %): the cost of raising, notifying (as one digest) and then keeping ~10,000 alerts. Wall-clock on a shared machine: the load average is printed with them.
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

rb.PG_DB = "openjxc_kpirules_bench"  # its own database: never the one bench/reports.py may be using

RULES = {
    "weekly sales by item, -30 % two weeks running": {
        "kpi": "revenue", "by": "item", "period": "week", "which": "last", "compare": "previous", "op": "below",
        "threshold": -30, "running": 2, "role": "purchaser"},
    "gross margin by category, this month": {
        "kpi": "gross_margin", "by": "category", "period": "month", "which": "current", "threshold": 15},
    "gross margin by item, this month": {
        "kpi": "gross_margin", "by": "item", "period": "month", "which": "current", "threshold": 15},
    "gross margin by item < 50 % (every item sold)": {
        "kpi": "gross_margin", "by": "item", "period": "month", "which": "last", "threshold": 50},
    "on-time rate by supplier, last month": {
        "kpi": "on_time_rate", "by": "supplier", "period": "month", "which": "last", "threshold": 90,
        "role": "purchaser"},
}


def main() -> None:
    parser = _company.arguments(__doc__.splitlines()[0], runs=3)
    args = parser.parse_args()
    data_dir = rb.setup_env(args)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from openjxc.alerts import engine
    from openjxc.alerts.rule_models import Alert, AlertRule

    out: dict = {"engine": args.db, "load_before": os.getloadavg()}
    try:
        admin = _company.admin_of_company(rb, args, out)
        reverse("web:home")  # the URL configuration loaded (3 s once per process), as in a running worker
        AlertRule.objects.filter(company_id=admin.company_id, kind="kpi_threshold").delete()
        out["rules"] = {}
        for name, params in RULES.items():
            rule = engine.save_rule(by=admin, kind="kpi_threshold", name=name[:100], params=params)
            t0 = time.perf_counter()
            first = engine.evaluate_rule(rule)
            cold = time.perf_counter() - t0
            with CaptureQueriesContext(connection) as ctx:
                engine.evaluate_rule(rule)
            warm = rb.timed(lambda rule=rule: engine.evaluate_rule(rule), args.runs)
            opened = Alert.objects.filter(rule=rule, status="open").count()
            out["rules"][name] = {"first_s": round(cold, 3), "again_s": round(warm, 3), "raised": len(first.raised),
                                  "open": opened, "statements_again": len(ctx.captured_queries)}
            print(f"  {name:<48} first {cold * 1000:>8.0f} ms ({len(first.raised)} raised)   again "
                  f"{warm * 1000:>7.0f} ms, {len(ctx.captured_queries)} statements   load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
        out["load_after"] = os.getloadavg()
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
