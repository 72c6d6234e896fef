"""Master-data list pages on 100,000 rows: wall ms per page request, first / middle / last page.

    DATABASE_URL=... python bench/list_pages.py [N]     (default: a SQLite file in a temporary directory)

A fresh database, one company with N units, N categories (a tree 100 wide) and N users, then GET of
the units, categories and users pages through Django's test client (the whole middleware stack, no
network): page 1, the middle page and the last page, each timed 5 times (median printed), with the
number of SQL statements per request. tests/web/test_screens_paging.py checks the statement count and
(on PostgreSQL) that the page query uses the unique index; this prints the time.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data_dir = tempfile.mkdtemp(prefix="openjxc-lists-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1", "JXC_DATA_DIR": data_dir, "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    })
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir}/lists.sqlite3")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):  # a fresh database: the ledger's triggers refuse flush
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from openjxc.catalog.models import Category, Unit
    from openjxc.core import services as core
    from openjxc.core.models import Role, User

    call_command("migrate", verbosity=0)
    company = core.create_company(code="BENCH", name="Bench")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="bench-pass-123",
                             roles=[Role.ADMIN])
    t0 = time.perf_counter()
    Unit.objects.bulk_create([Unit(company=company, code=f"U{i:06d}", name=f"单位{i}") for i in range(n)],
                             batch_size=5000)
    User.objects.bulk_create([User(username=f"u{i:06d}", company=company, password="!", roles=["keeper"])
                              for i in range(n)], batch_size=5000)
    roots = Category.objects.bulk_create([Category(company=company, code=f"R{i:03d}", name=f"大类{i}")
                                          for i in range(100)])
    for r in roots:
        r.path = f"/{r.pk}/"
    Category.objects.bulk_update(roots, ["path"])
    kids = Category.objects.bulk_create([Category(company=company, code=f"C{i:06d}", name=f"小类{i}",
                                                  parent=roots[i % 100]) for i in range(n - 100)], batch_size=5000)
    for c in kids:
        c.path = f"{c.parent.path}{c.pk}/"
    Category.objects.bulk_update(kids, ["path"], batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"{connection.vendor}: built {n} units, users and categories in {time.perf_counter() - t0:.1f} s")

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(admin)
    last = (n + 49) // 50
    for name in ("web:units", "web:categories", "web:users"):
        from django.urls import reverse

        for label, page in (("first", 1), ("middle", last // 2), ("last", last)):
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    response = client.get(reverse(name), {"page": page})
                    times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            print(f"  {name:16} {label:6} page {page:5}: {statistics.median(times):7.1f} ms median, "
                  f"{len(ctx.captured_queries)} statements")
        search = []
        for _ in range(5):
            t = time.perf_counter()
            client.get(reverse(name), {"q": "99"})
            search.append((time.perf_counter() - t) * 1000)
        print(f"  {name:16} search 'q=99'     : {statistics.median(search):7.1f} ms median")


if __name__ == "__main__":
    main()
