"""The BI file feeds: rows per second of fact_sales_line read and written as CSV, XLSX and Parquet.

    python bench/bi_feeds.py [ROWS]                                                  (a SQLite file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/openjxc_bench_bi python bench/bi_feeds.py [ROWS]

A fresh database with one company and ROWS (default 200,000) SalesDay fact rows over 400 days, 500 items,
50 customers, 3 warehouses. Each figure: the whole entity through bi/read.rows (the feed's reader) and the
feed's writer (bi/feeds.py), wall time, rows per second; the output size. The HTTP layer adds little (the
files are streamed from the writer's output).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database, machine_line  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    data_dir = fresh_database("jxc-bench-bi-", os.environ.get("DATABASE_URL"))
    try:
        run(n)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(n: int) -> None:
    from django.db import connection

    from openjxc.bi.entities import ENTITIES
    from openjxc.bi.feeds import csv_chunks, write_parquet, write_xlsx
    from openjxc.bi.read import Scope, rows
    from openjxc.core import services as core
    from openjxc.reports.models import SalesDay

    company = core.create_company(code="BENCH", name="BI bench")
    rnd = random.Random(7)
    start = dt.date(2025, 1, 1)
    seen = set()
    batch = []
    while len(seen) < n:
        key = (start + dt.timedelta(days=rnd.randrange(400)), rnd.randrange(1, 4), rnd.randrange(1, 501),
               rnd.randrange(1, 51), rnd.randrange(0, 6), rnd.randrange(1, 4))
        if key in seen:
            continue
        seen.add(key)
        qty = rnd.randrange(1, 50) * 10_000
        revenue = rnd.randrange(100, 100_000)
        batch.append(SalesDay(company=company, day=key[0], warehouse_id=key[1], item_id=key[2], customer_id=key[3],
                              salesperson_id=key[4], channel=key[5], qty=qty, revenue=revenue, tax=revenue * 13 // 100,
                              discount=rnd.randrange(0, 100), cogs=revenue * 7 // 10))
        if len(batch) >= 10_000:
            SalesDay.objects.bulk_create(batch)
            batch = []
    SalesDay.objects.bulk_create(batch)
    entity = ENTITIES["fact_sales_line"]
    scope = Scope(company.pk)
    print(machine_line())
    print(f"{connection.vendor}: fact_sales_line, {n:,} rows, {len(entity.columns)} columns")

    def timed(label, work):
        t = time.perf_counter()
        size = work()
        secs = time.perf_counter() - t
        print(f"  {label:<22} {secs:7.2f} s  {n / secs:>9,.0f} rows/s  {size / 1e6:7.1f} MB")

    def read_only():
        return sum(1 for _ in rows(entity, scope)) * 0

    def csv_out():
        return sum(len(c.encode()) for c in csv_chunks(entity, rows(entity, scope)))

    def file_out(writer):
        def work():
            with tempfile.TemporaryFile() as out:
                writer(entity, rows(entity, scope), out)
                return out.tell()
        return work

    timed("read (bi/read.rows)", read_only)
    timed("CSV", csv_out)
    timed("Parquet", file_out(write_parquet))
    timed("XLSX", file_out(write_xlsx))


if __name__ == "__main__":
    main()
