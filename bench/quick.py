"""Quick posting figures for one engine: CPU ms and statements per document, in-process and through Django.

    DATABASE_URL=... python bench/quick.py [N]     (default: a SQLite file in a temporary directory)

A fresh database, a small company (bench/posting.py's world with 200 items), then N 3-line sales
deliveries with create_document(advance_to="posted"), N POST /api/documents through Django's
test client (the whole middleware and ninja stack, no network), and N one-line cash sales of a till
pushed in batches of 10 through POST /api/sync/push (the same client). Prints CPU ms per document
(per pushed op) and the statements one document (the first op of a push, each further op) takes.
CPU time is the stable figure on a shared machine. `--profile` adds a CPU-time profile of N more
in-process postings and of N more pushed ops (top entries by own time and by cumulative time).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posting  # noqa: E402  (bench/posting.py: the same world and delivery)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    data_dir = tempfile.mkdtemp(prefix="openjxc-quick-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1", "JXC_DATA_DIR": data_dir, "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost",
    })
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir}/quick.sqlite3")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):  # a fresh database: the ledger's triggers refuse flush
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    posting.ITEMS = 200
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from openjxc.core.models import User

    try:
        call_command("migrate", verbosity=0)
        world = posting.build_world()
        by = User.objects.select_related("company").get(pk=world["admin_id"])
        rng = random.Random(1)
        for _ in range(20):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        with CaptureQueriesContext(connection) as ctx:
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        stmts = len(ctx.captured_queries)
        if "-v" in sys.argv:
            for q in ctx.captured_queries:
                print("  ", q["sql"][:160])
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0

        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {posting.api_token(world)}")

        def post():
            r = client.post("/api/documents", data=json.dumps(posting.delivery_body(world, rng)),
                            content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
            assert r.status_code == 201, r.content[:300]

        for _ in range(20):
            post()
        with CaptureQueriesContext(connection) as ctx:
            post()
        api_stmts = len(ctx.captured_queries)
        if "-v" in sys.argv:
            for q in ctx.captured_queries:
                print("  ", q["sql"][:160])
        acpu0, at0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            post()
        acpu, awall = time.process_time() - acpu0, time.perf_counter() - at0
        push = till(world, by, client)
        for _ in range(2):
            push(10)
        with CaptureQueriesContext(connection) as ctx:
            push(1)
        push_one = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as ctx:
            push(3)
        push_more = (len(ctx.captured_queries) - push_one) / 2
        pcpu0, pt0 = time.process_time(), time.perf_counter()
        for _ in range(n // 10):
            push(10)
        pcpu, pwall = time.process_time() - pcpu0, time.perf_counter() - pt0
        if "--profile" in sys.argv:
            import cProfile
            import pstats

            for name, run in (("in-process posting", lambda: posting.deliver(by, world, rng, one_tx=True,
                                                                              advance_to=True)),
                              ("till push, 10 ops per push", lambda: push(10))):
                prof = cProfile.Profile(time.process_time)
                prof.enable()
                for _ in range(n if name.startswith("in") else n // 10):
                    run()
                prof.disable()
                print(f"--- {name}: CPU-time profile")
                stats = pstats.Stats(prof).strip_dirs()
                stats.sort_stats("tottime").print_stats(40)
                stats.sort_stats("cumulative").print_stats(70)
        from openjxc.finance.ledger import check_partner_ledger
        from openjxc.stock.ledger import check_ledger

        problems = len(check_ledger(world["company_id"])) + len(check_partner_ledger(world["company_id"]))
        print(f"{connection.vendor}: advance_to {cpu / n * 1000:.2f} ms CPU/doc, {n / wall:.0f} docs/s, "
              f"{stmts} statements | API (test client) {acpu / n * 1000:.2f} ms CPU/doc, {n / awall:.0f} docs/s, "
              f"{api_stmts} statements | till push {pcpu / (n // 10 * 10) * 1000:.2f} ms CPU/op, "
              f"{n // 10 * 10 / pwall:.0f} ops/s, {push_one} + {push_more:g} statements | "
              f"ledger problems {problems} | load {os.getloadavg()[0]:.1f}")
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def till(world: dict, by, client):
    """A POS terminal at a stocked store selling to a walk-in customer; returns push(k): k one-line cash sales in
    one POST /api/sync/push, each accepted."""
    from decimal import Decimal

    from openjxc.core import clock
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.partners import services as partners
    from openjxc.stock import services as stock
    from openjxc.sync import terminals

    store = stock.create_warehouse(by=by, code="ST1", name="门店", kind="store")
    docs.create_document(by=by, kind="purchase_receipt", warehouse=store, partner=world["supplier_id"],
                         lines=[LineInput(item=i, quantity=Decimal(posting.STOCK_PER_ITEM), unit_price=Decimal("5"))
                                for i in world["items"]], advance_to="posted")
    walk_in = partners.create_partner(by=by, code="C000", name="门店散客", kind="customer")
    _terminal, raw = terminals.register_terminal(by=by, code="POS1", name="一号收银台", kind="pos",
                                                 warehouse=store, customer=walk_in)
    codes = [f"I{k:05d}" for k in range(posting.ITEMS)]
    rng = random.Random(2)

    def push(k: int) -> None:
        ops = [{"id": str(uuid.uuid4()), "seq": 1, "type": "sale", "created_at": clock.now().isoformat(),
                "data": {"lines": [{"item": rng.choice(codes), "qty": "1"}], "payment": {"method": "cash"}}}
               for _ in range(k)]
        r = client.post("/api/sync/push", data=json.dumps({"client_time": clock.now().isoformat(), "ops": ops}),
                        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert r.status_code == 200, r.content[:300]
        assert [a["status"] for a in r.json()["results"]] == ["accepted"] * k, r.content[:300]

    return push


if __name__ == "__main__":
    main()
