"""List pages on 100,000 rows: wall ms per page request, first / deep / last page.

    DATABASE_URL=... python bench/list_pages.py [N] [DOCS]  (default: a SQLite file in a temporary directory;
                                                              N = 100,000 master rows, DOCS = N documents)

A fresh database, one company with N units, N items, N partners, N categories (a tree 100 wide), N users
and DOCS documents (300 a business day), then GET of the list pages through Django's test client (the whole middleware stack,
no network), each timed 5 times (median printed), with the number of SQL statements per request:
- items (by code, by name, filtered), partners (all, customers), units, categories, users, documents:
  keyset paging (web/paging.py): the first page, a page in the middle and one
  near the end (reached with the cursor the pager's links carry, as after following "next" that far), and
  the last page (`last=1`); documents also filtered (one kind, a month) and sorted by number;
- and, for comparison, the two queries the documents and items pagers used before (a full COUNT, an OFFSET
  read at the same depths) next to the ones they use now (a COUNT capped at 10,001, the keyset read).
tests/web/test_screens_paging.py and tests/documents/test_list_paging.py check the statement counts and (on PostgreSQL)
the plans; this prints the time. Items, partners and units are timed before the categories are built (the
items filter's category drop-down lists them all; one line times the items page with them).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    n_docs = int(sys.argv[2]) if len(sys.argv) > 2 else n
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
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.web.paging_data builds the rows
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from openjxc.catalog.models import Category, Item, Unit
    from openjxc.core import services as core
    from openjxc.core.models import Role, User
    from openjxc.documents.models import Document
    from openjxc.partners.models import Partner
    from openjxc.web.paging import _encode, _seek
    from tests.web.paging_data import bulk_categories, bulk_documents

    call_command("migrate", verbosity=0)
    company = core.create_company(code="BENCH", name="Bench")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="bench-pass-123",
                             roles=[Role.ADMIN])
    t0 = time.perf_counter()
    Unit.objects.bulk_create([Unit(company=company, code=f"U{i:06d}", name=f"单位{i}") for i in range(n)],
                             batch_size=5000)
    User.objects.bulk_create([User(username=f"u{i:06d}", company=company, password="!", roles=["keeper"])
                              for i in range(n)], batch_size=5000)
    pcs = Unit.objects.get(company=company, code="U000000")
    Item.objects.bulk_create([Item(company=company, code=f"I{i:06d}", name=f"商品{i % 997}", base_unit=pcs,
                                   is_active=i % 10 != 0) for i in range(n)], batch_size=5000)
    Partner.objects.bulk_create([Partner(company=company, code=f"P{i:06d}", name=f"客户{i}",
                                         kind=("customer", "supplier", "both")[i % 3]) for i in range(n)],
                                batch_size=5000)
    from openjxc.partners import services as partners
    from openjxc.stock import services as stock

    warehouse = stock.create_warehouse(by=admin, code="WH1", name="总仓")
    supplier = partners.create_partner(by=admin, code="S001", name="面粉厂", kind="supplier")
    t_docs = time.perf_counter()
    bulk_documents(company, warehouse, supplier, admin, n_docs, start=dt.date(2020, 1, 1))
    print(f"  {n_docs} documents in {time.perf_counter() - t_docs:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"{connection.vendor}: built {n} units, items, partners and users and {n_docs} documents in "
          f"{time.perf_counter() - t0:.1f} s")

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(admin)

    def timed(label, url, params):
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, params)
        print(f"  {label:44}: {statistics.median(times):7.1f} ms median, {len(ctx.captured_queries)} statements")
        return response

    timed("units search 'q=99'", reverse("web:units"), {"q": "99"})
    timed("items search 'q=99'", reverse("web:items"), {"q": "99"})
    timed("partners search 'q=99'", reverse("web:partners"), {"q": "99"})

    docs = Document.objects.filter(company=company)
    items = Item.objects.filter(company=company)
    masters = [
        ("items", "web:items", {}, items, ["code"]),
        ("items by name", "web:items", {"sort": "name"}, items, ["name", "id"]),
        ("items, active, search 'I0'", "web:items", {"active": "1", "q": "I0"},
         items.filter(is_active=True, code__icontains="I0"), ["code"]),
        ("partners", "web:partners", {}, Partner.objects.filter(company=company), ["code"]),
        ("partners, customers", "web:partners", {"kind": "customer"},
         Partner.objects.filter(company=company, kind__in=["customer", "both"]), ["code"]),
        ("units", "web:units", {}, Unit.objects.filter(company=company), ["code"]),
    ]
    rest = [
        ("categories", "web:categories", {}, Category.objects.filter(company=company), ["path"]),
        ("users", "web:users", {}, User.objects.filter(company=company), ["username"]),
        ("documents", "web:documents", {}, docs, ["-business_on", "-id"]),
        ("documents by number", "web:documents", {"sort": "number"}, docs, ["number"]),
        ("documents, one kind, a month", "web:documents",
         {"kind": "purchase_order", "date_from": "2020-03-01", "date_to": "2020-03-31"},
         docs.filter(kind="purchase_order", business_on__gte=dt.date(2020, 3, 1),
                     business_on__lte=dt.date(2020, 3, 31)), ["-business_on", "-id"]),
    ]
    def walk(lists):
        for name, url_name, params, qs, keys in lists:
            url = reverse(url_name)
            total = qs.count()
            if not total:
                continue
            timed(f"{name} first page", url, params)
            for where, at in (("middle", total // 2), ("near the end", max(0, total - 100))):
                row = qs.order_by(*keys)[at]
                cursor = _encode([getattr(row, k.lstrip("-")) for k in keys])
                timed(f"{name} {where} (row {at})", url, {**params, "after": cursor})
            timed(f"{name} last page", url, {**params, "last": "1"})

    # items and partners first, before the N categories exist: the items filter lists every category in a
    # drop-down, which at N categories costs more than the page itself (timed once below)
    walk(masters)
    t_cats = time.perf_counter()
    bulk_categories(company, n)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"  {n} categories in {time.perf_counter() - t_cats:.1f} s")
    timed(f"items first page, {n} categories in the filter", reverse("web:items"), {})
    walk(rest)
    # what the documents pager did before keyset paging, at the same depths: a full COUNT and an OFFSET read
    def query_ms(label, fn):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        print(f"  {label:44}: {statistics.median(times):7.1f} ms median (one query)")

    ordered = docs.select_related("warehouse", "partner", "to_warehouse").order_by("-business_on", "-id")
    query_ms("documents COUNT(*) (the old pager's)", lambda: docs.count())
    query_ms("documents COUNT capped at 10,001 (now)", lambda: docs.order_by()[:10_001].count())
    for where, at in (("middle", n_docs // 2 // 50 * 50), ("near the end", max(0, n_docs - 100) // 50 * 50)):
        query_ms(f"documents OFFSET {at} (the old pager, {where})", lambda at=at: list(ordered[at:at + 50]))
        row = ordered[at]
        seek = _seek(["-business_on", "-id"], [row.business_on, row.pk], forward=True)
        query_ms(f"documents keyset after row {at} (now)", lambda seek=seek: list(ordered.filter(seek)[:51]))

    by_code = items.select_related("category", "base_unit").order_by("code")
    query_ms("items COUNT(*) (the old pager's)", lambda: items.count())
    for where, at in (("middle", n // 2 // 50 * 50), ("near the end", max(0, n - 100) // 50 * 50)):
        query_ms(f"items OFFSET {at} (the old pager, {where})", lambda at=at: list(by_code[at:at + 50]))
        seek = _seek(["code"], [by_code[at].code], forward=True)
        query_ms(f"items keyset after row {at} (now)", lambda seek=seek: list(by_code.filter(seek)[:51]))

    timed("categories search 'q=99'", reverse("web:categories"), {"q": "99"})
    timed("users search 'q=99'", reverse("web:users"), {"q": "99"})


if __name__ == "__main__":
    main()
