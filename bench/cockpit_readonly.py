"""The cockpit's per-render work on a company whose database this bench must not write (the lead's 10 M company):
every tile a render computes when the worker's snapshots hold the slow KPIs, in a read-only session.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/oj_scale_bench python bench/cockpit_readonly.py [--runs 3]

The session is `SET default_transaction_read_only = on` before anything runs: a write fails. Timed per tile (median
of --runs after a warm-up): sales today, gross margin, stock value by day (the stock tile without its turnover
days, which the worker keeps), receivables, top / bottom items, on-time rate, alerts; and their sum, which is what
a render costs beyond the session, the one snapshot read and the template.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--user", default="")
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openjxc.config.settings.dev")
    os.environ.setdefault("JXC_DATA_DIR", "/tmp/jxc-cockpit-readonly")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cur:
        cur.execute("SET default_transaction_read_only = on")
    from openjxc.core.models import User
    from openjxc.reports import cockpit

    admin = User.objects.get(username=args.user) if args.user else User.objects.order_by("pk").first()
    company = admin.company
    p = cockpit.periods_for(company)
    base = cockpit.base_query(admin)
    first = p.today - dt.timedelta(days=cockpit.SPARK_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(cockpit.SPARK_DAYS)]
    work = {
        "sales_today": lambda: cockpit.sales_today(company, p, base),
        "gross_margin": lambda: cockpit.gross_margin(company, p, base),
        "stock value by day": lambda: (cockpit._stock_by_day(company, base, days)
                                       or cockpit._daily(company, base, "stock_value", first, p.today)),
        "receivables": lambda: cockpit.receivables(company, p, base),
        "items": lambda: cockpit.items(company, p, base),
        "on_time": lambda: cockpit.on_time(company, p, base),
        "alerts": lambda: cockpit.alerts(company, p, base, admin),
    }
    out: dict = {"db": connection.settings_dict["NAME"], "today": str(p.today), "load_before": os.getloadavg(),
                 "tiles": {}}
    for name, fn in work.items():
        fn()
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        out["tiles"][name] = {"ms": round(statistics.median(times) * 1000), "statements": len(ctx.captured_queries)}
        print(f"  {name:<20} {out['tiles'][name]['ms']:>7} ms  {len(ctx.captured_queries)} statements", flush=True)
    out["sum_ms"] = sum(t["ms"] for t in out["tiles"].values())
    out["load_after"] = os.getloadavg()
    print(f"sum {out['sum_ms']} ms, load {out['load_before'][0]:.1f} -> {out['load_after'][0]:.1f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
