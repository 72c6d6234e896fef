"""Facts consumer throughput beside the posting rate, for one engine.

    DATABASE_URL=... python bench/facts.py [N]     (default: a SQLite file in a temporary directory, N = 2000)

A fresh database, bench/posting.py's world with 200 items, then N 3-line sales deliveries posted through
create_document(advance_to="posted") (bench/quick.py's documents), timed; then the facts consumer (reports/facts/
consumer.py, batches of 1,000 events, one transaction each, as the worker runs it) reads everything those postings
wrote to the change feed, timed; then `check_facts` proves the facts equal the ledgers. Prints documents per
second both ways and their ratio: the consumer must keep up with at least 5× the posting rate.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posting  # noqa: E402  (bench/posting.py: the same world and delivery)
from _fresh import fresh_database  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    posting.ITEMS = 200
    # no worker here: the consumer is run below, and timed
    data_dir = fresh_database("openjxc-facts-", os.environ.get("DATABASE_URL"), JXC_HUEY_IMMEDIATE="1")
    from django.db import connection

    from openjxc.core.models import Event, User
    from openjxc.reports.facts.check import check_facts
    from openjxc.reports.facts.consumer import consume

    try:
        world = posting.build_world()
        by = User.objects.select_related("company").get(pk=world["admin_id"])
        company = by.company
        consume(company)  # the facts of the world (a rebuild), so what follows is the feed only
        rng = random.Random(1)
        for _ in range(20):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        consume(company)
        first_event = Event.objects.order_by("-id").values_list("id", flat=True).first()
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        post_wall, post_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        events = Event.objects.filter(id__gt=first_event).count()
        cpu0, t0 = time.process_time(), time.perf_counter()
        progress = consume(company)
        cons_wall, cons_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        report = check_facts(company)
        assert report.ok, report.problems
        post_rate, cons_rate = n / post_wall, n / cons_wall
        print(f"{connection.vendor}: posting {post_rate:.0f} docs/s ({post_cpu / n * 1000:.2f} ms CPU/doc) | "
              f"consumer {cons_rate:.0f} docs/s = {events / cons_wall:.0f} events/s "
              f"({cons_cpu / n * 1000:.2f} ms CPU/doc, {progress.batches} batches, {progress.rows} rows) | "
              f"consumer / posting = {cons_rate / post_rate:.1f}x | check-facts OK | load {os.getloadavg()[0]:.1f}")
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
