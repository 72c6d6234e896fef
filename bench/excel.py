"""Excel benchmark: import 20,000 items from .xlsx (check, then import) and export 100,000 balance rows.

    python bench/excel.py [--db sqlite|postgres|both] [--items 20000] [--balances 100000]

Each engine runs in its own child process on a fresh database (a SQLite file in a temporary directory, or
the PostgreSQL database `openjxc_bench_excel`, dropped and created). Steps, each through the code the web
page and the API use (web/excel.py, web/excel_imports.py, web/jobs.py):

  write xlsx   build the ITEMS-row items file with openpyxl (what a user uploads; not our code's cost)
  read         read_sheet: parse the upload (openpyxl read-only) into rows
  check        the dry run: every row through catalog.create_item in a savepoint, then rolled back
  import       the real import: the same, committed in one transaction
  export items the items list to .xlsx (units and barcodes prefetched)
  export bal.  a background export job (run in this process) of BALANCES balance rows, progress written
               as it goes: setup posts opening stock of the imported items over BALANCES / ITEMS locations

Wall time and this process's CPU time are printed for each step.
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
PG_DB = "openjxc_bench_excel"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--balances", type=int, default=100_000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(machine_line())
    for engine in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        cfg = {"engine": engine, "items": args.items, "balances": args.balances}
        # the child's stderr (each step as it ends) goes straight to ours, so a long run shows its progress
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], stdout=subprocess.PIPE,
                             text=True)
        if out.returncode:
            print(out.stdout)
            raise SystemExit(f"{engine}: the benchmark failed")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{engine}: {r['items']} items imported, {r['balance_rows']} balance rows exported "
              f"(setup of the balances {r['setup_s']:.1f} s); load average {r['load1']:.1f}")
        for step, seconds in r["steps"].items():
            rate = r["rows"].get(step)
            per = f"  {rate / seconds:8.0f} rows/s" if rate and seconds else ""
            print(f"  {step:13} {seconds:8.2f} s wall {r['cpu'][step]:8.2f} s CPU{per}")
        print(f"  files: items upload {r['upload_mb']:.1f} MB, balances export {r['export_mb']:.1f} MB; "
              f"ledger check: {'ok' if r['ledger_ok'] else 'PROBLEMS'}")


def child(cfg: dict) -> None:
    data_dir = fresh_database("openjxc-bench-excel-", pg_url(PG_DB) if cfg["engine"] == "postgres" else None, JXC_HUEY_IMMEDIATE="1")
    try:
        result = run(cfg)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result))


def run(cfg: dict) -> dict:
    import io
    from decimal import Decimal

    from openpyxl import Workbook

    from openjxc.catalog.exports import ITEMS_EXPORT
    from openjxc.catalog.imports import ItemImporter
    from openjxc.catalog.models import Item
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.stock import selectors
    from openjxc.stock import services as stock
    from openjxc.stock.exports import BALANCES_EXPORT
    from openjxc.stock.ledger import check_ledger
    from openjxc.web import jobs
    from openjxc.web.excel import read_sheet, write_list
    from openjxc.web.imports import run_import

    n_items, n_bal = cfg["items"], cfg["balances"]
    company = core.create_company(code="BENCH", name="导入基准有限公司")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    rows: dict[str, int] = {}

    def timed(name, fn, n=None):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = time.perf_counter() - t
        cpu[name] = time.process_time() - c
        if n:
            rows[name] = n
        print(f"  {name:13} {steps[name]:8.2f} s wall {cpu[name]:8.2f} s CPU", file=sys.stderr, flush=True)
        return out

    def make_file() -> bytes:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("商品")
        ws.append(["商品编码", "商品名称", "规格", "分类", "基本单位", "辅助单位", "条码", "采购价", "销售价", "税率"])
        for n in range(n_items):
            ws.append([f"I{n:06d}", f"商品 {n}", "500g", f"分类{n % 50}", "件", "箱=12", f"69{n:011d}",
                       5 + n % 7, 8 + n % 9, 0.13])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    data = timed("write xlsx", make_file, n_items)
    sheet = timed("read", lambda: read_sheet(data, ItemImporter.fields), n_items)
    check = timed("check", lambda: run_import(ItemImporter(admin, sheet), commit=False), n_items)
    assert not check.errors, check.errors[:3]
    done = timed("import", lambda: run_import(ItemImporter(admin, sheet), commit=True), n_items)
    assert done.created == n_items and Item.objects.filter(company=company).count() == n_items
    items_qs = ITEMS_EXPORT.prepare(Item.objects.filter(company=company).order_by("code"))
    timed("export items", lambda: write_list(ITEMS_EXPORT, items_qs.iterator(chunk_size=2000), user=admin), n_items)

    # setup: BALANCES balance rows = items x locations, by opening documents of 10,000 lines
    t0 = time.perf_counter()
    per_item = -(-n_bal // n_items)
    wh = stock.create_warehouse(by=admin, code="WH1", name="总仓")
    locations = [wh.locations.get().pk] + [
        stock.create_location(by=admin, warehouse=wh, code=f"WH1-B{n:02d}", name=f"货架 {n}").pk
        for n in range(1, per_item)
    ]
    ids = list(Item.objects.filter(company=company).order_by("code").values_list("id", flat=True))
    pairs = [(i, loc) for loc in locations for i in ids][:n_bal]
    for start in range(0, len(pairs), docs.MAX_LINES):
        docs.create_document(by=admin, kind="opening", warehouse=wh, advance_to="posted", lines=[
            LineInput(item=i, quantity=Decimal(10), unit_price=Decimal("5"), location=loc)
            for i, loc in pairs[start:start + docs.MAX_LINES]
        ])
    setup = time.perf_counter() - t0

    qs = BALANCES_EXPORT.prepare(selectors.balances(company.pk))
    job = jobs.start_export(by=admin, spec=BALANCES_EXPORT, queryset=qs, queue=False)
    timed("export bal.", lambda: jobs.run_export_job.call_local(job.pk), n_bal)
    job.refresh_from_db()
    assert job.status == "done" and job.total == n_bal, (job.status, job.message)
    return {
        "items": n_items, "balance_rows": job.total, "steps": steps, "cpu": cpu, "rows": rows,
        "setup_s": setup, "upload_mb": len(data) / 1e6, "export_mb": jobs.result_path(job).stat().st_size / 1e6,
"ledger_ok": not check_ledger(company.pk), "load1": os.getloadavg()[0],
    }


if __name__ == "__main__":
    main()
