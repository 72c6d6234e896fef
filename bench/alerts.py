"""Full alert scan over 100,000 item-warehouse pairs (target: under 5 seconds).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/jxc_bench_alerts python bench/alerts.py [PAIRS]
    python bench/alerts.py [PAIRS]          (default: a SQLite file in a temporary directory)

A fresh database; PAIRS/2 items in 2 warehouses, each pair with a safety stock, a maximum and a balance
(about 10 % below safety stock, 2 % above the maximum, 1 % negative), 20,000 lots of which a few expire
soon, and six weeks of sales moves for 5,000 items. The rows are written with bulk inserts straight into
the tables (the scan is what is measured, not how the stock got there). Then the company's default rules
(one per kind) are scanned three times: the first scan raises the alerts (and notifies, as one digest
per rule), the second finds the same state (nothing to write), the third after 1,000 balances changed.
Prints wall seconds per scan and per rule kind, and the CPU seconds of this process (on SQLite that is the
whole work; on a shared machine it is the stable figure).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database  # noqa: E402


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data_dir = fresh_database("openjxc-alerts-", os.environ.get("DATABASE_URL"), JXC_HUEY_IMMEDIATE="1")
    from django.db import connection, transaction

    from openjxc.alerts import engine, rules
    from openjxc.alerts.rule_models import Alert, AlertRule
    from openjxc.catalog.models import Item, ItemWarehouse, Unit
    from openjxc.core import clock
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.stock import services as stock
    from openjxc.stock.locations import default_location
    from openjxc.stock.models import Location, LocationKind, Lot, StockBalance, StockMove

    rng = random.Random(7)
    company = core.create_company(code="BENCH", name="Bench")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    core.create_user(by=admin, username="bench-mgr", password="pw-12345678", roles=[Role.MANAGER])
    unit = Unit.objects.create(company=company, code="PCS", name="pcs")
    whs = [stock.create_warehouse(by=admin, code=f"W{n}", name=f"Warehouse {n}") for n in (1, 2)]
    locs = [default_location(w) for w in whs]
    customer = Location.objects.filter(company=company, kind=LocationKind.CUSTOMER).first()
    n_items = pairs // 2
    t0 = time.perf_counter()
    with transaction.atomic():
        Item.objects.bulk_create([Item(company=company, code=f"I{i:06}", name=f"商品{i}", base_unit=unit)
                                  for i in range(n_items)], batch_size=5000)
        items = list(Item.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
        levels, balances = [], []
        for item in items:
            for wh, loc in zip(whs, locs, strict=True):
                levels.append(ItemWarehouse(company=company, item_id=item, warehouse=wh, safety_stock=Decimal(20),
                                            reorder_point=Decimal(30), max_stock=Decimal(200)))
                r = rng.random()
                q = (rng.randint(1, 19) if r < 0.10 else rng.randint(201, 300) if r < 0.12
                     else -rng.randint(1, 5) if r < 0.13 else rng.randint(21, 199))
                balances.append(StockBalance(company=company, item_id=item, location=loc, quantity=Decimal(q),
                                             value=Decimal(q) * 3))
        ItemWarehouse.objects.bulk_create(levels, batch_size=5000)
        StockBalance.objects.bulk_create(balances, batch_size=5000)
        today = clock.today()
        lots, lot_balances = [], []
        for n, item in enumerate(items[:10_000]):
            for k in range(2):
                lots.append(Lot(company=company, item_id=item, code=f"L{n}-{k}",
                                expires_on=today + dt.timedelta(days=rng.randint(-5, 400))))
        Lot.objects.bulk_create(lots, batch_size=5000)
        for lot in Lot.objects.filter(company=company).values_list("pk", "item_id"):
            lot_balances.append(StockBalance(company=company, item_id=lot[1], location=locs[0], lot_id=lot[0],
                                             lot_key=lot[0], quantity=Decimal(5), value=Decimal(15)))
        StockBalance.objects.bulk_create(lot_balances, batch_size=5000)
        moves = []
        supplier = Location.objects.filter(company=company, kind=LocationKind.SUPPLIER).first()
        for item in items:
            for loc in locs:
                days = rng.randint(100, 200) if rng.random() < 0.02 else rng.randint(1, 80)
                moves.append(StockMove(company=company, item_id=item, from_location=supplier, to_location=loc,
                                       quantity=Decimal(100), unit_cost=Decimal(3), value=Decimal(300),
                                       business_on=today - dt.timedelta(days=days), posted_at=clock.now()))
        for item in items[:5000]:
            for week in range(6):
                moves.append(StockMove(company=company, item_id=item, from_location=locs[0], to_location=customer,
                                       quantity=Decimal(rng.randint(5, 20)), unit_cost=Decimal(3), value=Decimal(30),
                                       business_on=today - dt.timedelta(days=7 * week + 3), posted_at=clock.now()))
        StockMove.objects.bulk_create(moves, batch_size=5000)
    print(f"world: {n_items} items x 2 warehouses = {pairs} pairs, {len(lots)} lots, {len(moves)} sales moves "
          f"in {time.perf_counter() - t0:.1f} s ({connection.vendor})")
    engine.install_default_rules(company)
    # an app server or worker has its URLconf loaded long before a scan; the first reverse() in a fresh
    # process imports every view (about 2 s), which is not the scan's cost
    from django.urls import reverse

    reverse("web:alerts")

    def timed_scan(label):
        per_kind = {}
        start, cpu = time.perf_counter(), time.process_time()
        for rule in AlertRule.objects.filter(company=company, is_active=True, kind__in=rules.EVALUATORS).order_by("pk"):
            t = time.perf_counter()
            engine.evaluate_rule(rule)
            per_kind[rule.kind] = time.perf_counter() - t
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        open_alerts = Alert.objects.filter(company=company, status__in=["open", "acknowledged"]).count()
        kinds = ", ".join(f"{k} {v:.2f}" for k, v in per_kind.items())
        print(f"{label}: {total:.2f} s wall, {cpu:.2f} s CPU of this process, {pairs} pairs, {open_alerts} open"
              f" alerts  [{kinds}]")
        return total, cpu

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        timed_scan("scan 1 (raise + notify)")
        cProfile.runctx("timed_scan('scan 2 (profiled)')", globals(), locals(), "/tmp/alerts.prof")
        pstats.Stats("/tmp/alerts.prof").sort_stats("cumulative").print_stats(30)
        return
    first = timed_scan("scan 1 (raise + notify)")
    steady = timed_scan("scan 2 (unchanged)")
    changed = list(StockBalance.objects.filter(company=company, lot__isnull=True).order_by("?")[:1000])
    for b in changed:
        b.quantity = Decimal(rng.randint(1, 300))
    StockBalance.objects.bulk_update(changed, ["quantity"], batch_size=500)
    third = timed_scan("scan 3 (1,000 balances changed)")
    print(f"RESULT alerts_full_scan engine={connection.vendor} pairs={pairs} wall/cpu: first={first[0]:.2f}/"
          f"{first[1]:.2f}s steady={steady[0]:.2f}/{steady[1]:.2f}s after_changes={third[0]:.2f}/{third[1]:.2f}s"
          f" target<5s")


if __name__ == "__main__":
    main()
