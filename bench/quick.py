"""Quick posting figures for one engine: CPU ms and statements per document, in-process and through Django.

    DATABASE_URL=... python bench/quick.py [N]     (default: a SQLite file in a temporary directory)

A fresh database, a small company (bench/posting.py's world with 200 items), then N 3-line sales
deliveries with create_document(advance_to="posted"), and N POST /api/documents through Django's
test client (the whole middleware and ninja stack, no network). Prints CPU ms per document and the
statements one document takes. CPU time is the stable figure on a shared machine.
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
        if "--profile" in sys.argv:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for _ in range(n):
                posting.deliver(by, world, rng, one_tx=True, advance_to=True)
            prof.disable()
            pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(60)
        from openjxc.finance.ledger import check_partner_ledger
        from openjxc.stock.ledger import check_ledger

        problems = len(check_ledger(world["company_id"])) + len(check_partner_ledger(world["company_id"]))
        print(f"{connection.vendor}: advance_to {cpu / n * 1000:.2f} ms CPU/doc, {n / wall:.0f} docs/s, "
              f"{stmts} statements | API (test client) {acpu / n * 1000:.2f} ms CPU/doc, {n / awall:.0f} docs/s, "
              f"{api_stmts} statements | ledger problems {problems} | load {os.getloadavg()[0]:.1f}")
    finally:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
