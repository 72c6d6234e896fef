"""Stock count benchmark: a 20,000-line count, from start to the posted adjustment, through the services.

    python bench/counts.py [--db sqlite|postgres|both] [--lines 20000] [--items 5000]

Each engine runs in its own child process on a fresh database (a SQLite file in a temporary directory,
or the PostgreSQL database `openjxc_bench_counts`, dropped and created). The child creates a company
with ITEMS items, spreads their stock over LINES / ITEMS storage locations of one warehouse with opening
documents, then measures each step of a full count of the warehouse:

  start        start_count: the snapshot of LINES (item, location) book quantities
  entries      record_entries in batches of 5,000 typed quantities (a phone uploading its counts)
  finish       finish_count (tolerance check; every line is within tolerance by construction)
  document     create_count_document: one stock_count line per difference (every line differs: half
               short by 1, half over by 1, so the document has LINES lines)
  approve      submit_document + approve_document
  post         post_document: LINES moves to/from the count-difference location through the ledger
               (the figure the issue targets: under 10 s)

Wall time and the benchmark process's CPU time are printed for each step: on a shared machine the
CPU time is the steadier figure (PostgreSQL's own CPU is not in it).

and finally runs the ledger check. Prints one table per engine; target: post < 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database, machine_line, pg_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "openjxc_bench_counts"
TARGET_POST_S = 10.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=5_000)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the post step")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(machine_line())
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for engine in engines:
        cfg = {"engine": engine, "lines": args.lines, "items": args.items, "profile": args.profile}
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], capture_output=True, text=True)
        if out.returncode:
            print(out.stdout, out.stderr, sep="\n")
            raise SystemExit(f"{engine}: the benchmark failed")
        if args.profile:
            print(out.stderr[-6000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{engine}: {result['lines']} count lines ({result['items']} items x {result['locations']} "
              f"locations), document of {result['document_lines']} lines; setup {result['setup_s']:.1f} s")
        for step, seconds in result["steps"].items():
            note = ""
            if step == "post":
                note = f"  target < {TARGET_POST_S:.0f} s: {'yes' if seconds < TARGET_POST_S else 'NO'}"
            print(f"  {step:10} {seconds:8.2f} s wall {result['cpu'][step]:8.2f} s CPU (this process){note}")
        print(f"  ledger check: {'ok' if result['ledger_ok'] else 'PROBLEMS'}; load average {result['load1']:.1f}")


def child(cfg: dict) -> None:
    data_dir = fresh_database("openjxc-bench-counts-", pg_url(PG_DB) if cfg["engine"] == "postgres" else None)
    try:
        result = run(cfg)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result))


def run(cfg: dict) -> dict:
    from decimal import Decimal

    from openjxc.catalog.models import Item
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.counts import services as counts
    from openjxc.counts.models import CountLine
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.stock import services as stock
    from openjxc.stock.ledger import check_ledger
    from openjxc.stock.models import Location

    t0 = time.perf_counter()
    n_items, n_lines = cfg["items"], cfg["lines"]
    per_item = -(-n_lines // n_items)
    company = core.create_company(code="BENCH", name="盘点基准有限公司")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    from openjxc.catalog import services as catalog

    pcs = catalog.create_unit(by=admin, code="PCS", name="件")
    wh = stock.create_warehouse(by=admin, code="WH1", name="总仓")
    locations = [Location.objects.get(warehouse=wh)] + [
        stock.create_location(by=admin, warehouse=wh, code=f"WH1-B{n:02d}", name=f"货架 {n}")
        for n in range(1, per_item)
    ]
    # items in bulk: the catalogue service is not what is measured here
    Item.objects.bulk_create([
        Item(company=company, code=f"I{n:05d}", name=f"商品 {n}", base_unit=pcs, purchase_price=Decimal("5"),
             sale_price=Decimal("8"))
        for n in range(n_items)
    ])
    items = list(Item.objects.filter(company=company).order_by("code").values_list("id", flat=True))
    pairs = [(i, loc) for loc in locations for i in items][:n_lines]
    for start in range(0, len(pairs), docs.MAX_LINES):
        chunk = pairs[start:start + docs.MAX_LINES]
        doc = docs.create_document(by=admin, kind="opening", warehouse=wh, lines=[
            LineInput(item=i, quantity=Decimal(100), unit_price=Decimal("5"), location=loc.pk) for i, loc in chunk
        ])
        docs.advance_document(doc, by=admin, to="posted")
    setup = time.perf_counter() - t0

    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, fn):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = time.perf_counter() - t
        cpu[name] = time.process_time() - c
        return out

    count = counts.create_count(by=admin, warehouse=wh, blind=False, tolerance_rate=Decimal("0.5"),
                                tolerance_value=Decimal("1000"))
    timed("start", lambda: counts.start_count(count, by=admin))
    lines = list(CountLine.objects.filter(count=count).order_by("pk").values_list("item_id", "location_id"))
    entries = [
        counts.EntryInput(item=i, location=loc, quantity=Decimal(99 if n % 2 else 101))
        for n, (i, loc) in enumerate(lines)
    ]

    def record():
        for start in range(0, len(entries), 5000):
            counts.record_entries(count, by=admin, entries=entries[start:start + 5000])

    timed("entries", record)
    timed("finish", lambda: counts.finish_count(count, by=admin))
    count = timed("document", lambda: counts.create_count_document(count, by=admin))
    doc = count.document

    def approve():
        docs.submit_document(doc, by=admin)
        docs.approve_document(doc, by=admin)

    timed("approve", approve)
    if cfg.get("profile"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    timed("post", lambda: docs.post_document(doc, by=admin))
    if cfg.get("profile"):
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    problems = check_ledger(company.pk)
    return {"engine": cfg["engine"], "lines": len(lines), "items": n_items, "locations": len(locations),
            "document_lines": doc.lines.count(), "setup_s": setup, "steps": steps, "cpu": cpu, "ledger_ok": not problems,
            "load1": os.getloadavg()[0]}


if __name__ == "__main__":
    main()
