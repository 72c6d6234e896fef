"""Archive search over 1,000,000 documents: keyword (Chinese substring, partner, number prefix) with filters.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/jxc_bench_search python bench/search.py [DOCS]
    python bench/search.py [DOCS]           (default: a SQLite file in a temporary directory)

A fresh database with DOCS documents (default 1,000,000) spread over two years, 2,000 partners and 5,000
items with Chinese names, each document with its search row (written with bulk inserts; the per-document
cost of indexing is part of bench/quick.py's posting figures). Then the documents page's queries — the
first page (50 rows, newest first) and the total count — for typical searches, each run five times;
prints the median milliseconds.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database  # noqa: E402

FAMILY = "张王李赵刘陈杨黄周吴"
GOODS = ["面粉", "大米", "食用油", "矿泉水", "鲜牛奶", "酱油", "白糖", "挂面", "饼干", "茶叶", "啤酒", "方便面",
         "洗衣粉", "纸巾", "牙膏", "香皂", "鸡蛋", "火腿肠", "咖啡", "果汁"]
PLACES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆"]


def main() -> None:
    n_docs = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    fresh_database("openjxc-search-", os.environ.get("DATABASE_URL"))
    from django.db import connection, transaction

    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.documents import search
    from openjxc.documents.models import Document, DocumentSearch
    from openjxc.partners.models import Partner
    from openjxc.stock import services as stock

    rng = random.Random(11)
    company = core.create_company(code="BENCH", name="Bench")
    admin = core.create_user(by=None, company=company, username="bench-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    wh = stock.create_warehouse(by=admin, code="W1", name="总仓")
    partners = Partner.objects.bulk_create([
        Partner(company=company, code=f"P{i:05}", name=f"{rng.choice(PLACES)}{rng.choice(FAMILY)}记{rng.choice(GOODS)}"
                f"{'批发部' if i % 2 else '超市'}{i}", kind="both") for i in range(2000)])
    items = [(f"I{i:05}", f"{rng.choice(PLACES)}{rng.choice(GOODS)}{i % 50}号") for i in range(5000)]
    kinds = [("purchase_receipt", "CGRK"), ("sales_delivery", "XSCK"), ("purchase_order", "CGDD"),
             ("sales_order", "XSDD")]
    start_day = dt.date(2025, 1, 1)
    t0 = time.perf_counter()
    per_day: dict[tuple[str, dt.date], int] = {}
    batch_docs, batch_terms = [], []
    made = 0
    while made < n_docs:
        with transaction.atomic():
            batch_docs = []
            texts = []
            for _ in range(min(20_000, n_docs - made)):
                kind, prefix = rng.choice(kinds)
                day = start_day + dt.timedelta(days=rng.randint(0, 729))
                seq = per_day[(prefix, day)] = per_day.get((prefix, day), 0) + 1
                partner = rng.choice(partners)
                lines = rng.sample(items, rng.randint(1, 4))
                total = rng.randint(10, 50_000)
                number = f"{prefix}-{day:%Y%m%d}-{seq:04}"
                batch_docs.append(Document(company=company, kind=kind, status="posted", number=number,
                                           partner=partner, warehouse=wh, business_on=day, created_by=admin,
                                           created_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
                                           updated_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
                                           total_amount=total, total_with_tax=total))
                texts.append([number, partner.code, partner.name, wh.code, wh.name]
                             + [x for code, name in lines for x in (code, name)])
            Document.objects.bulk_create(batch_docs, batch_size=5000)
            batch_terms = [DocumentSearch(document_id=d.pk, company=company, tokens=search.tokens_of(*t))
                           for d, t in zip(batch_docs, texts, strict=True)]
            DocumentSearch.objects.bulk_create(batch_terms, batch_size=5000)
            made += len(batch_docs)
        print(f"  {made} documents ({time.perf_counter() - t0:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"world: {made} documents in {time.perf_counter() - t0:.0f} s ({connection.vendor})")

    base = Document.objects.filter(company=company)
    some_partner = partners[7].name
    cases = [
        ("Chinese item word 面粉", lambda: search.filter_documents(base, company.pk, "面粉")),
        ("two Chinese words 上海 酱油", lambda: search.filter_documents(base, company.pk, "上海 酱油")),
        ("rare item 杭州挂面17号", lambda: search.filter_documents(base, company.pk, "杭州挂面17号")),
        (f"partner name {some_partner}", lambda: search.filter_documents(base, company.pk, some_partner)),
        ("number prefix XSCK-20260315", lambda: search.filter_documents(base, company.pk, "XSCK-20260315")),
        ("keyword + date range + amount", lambda: search.filter_documents(
            base.filter(business_on__range=(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), total_with_tax__gte=20_000),
            company.pk, "面粉")),
        ("number substring (icontains) 0315-00", lambda: base.filter(number__icontains="0315-00")),
    ]
    results = []
    for label, make in cases:
        page_ms, count_ms = [], []
        rows = total = 0
        for _ in range(5):
            t = time.perf_counter()
            rows = len(list(make().order_by("-business_on", "-id")[:50]))
            page_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            total = make().count()
            count_ms.append((time.perf_counter() - t) * 1000)
        results.append((label, statistics.median(page_ms), statistics.median(count_ms), rows, total))
        print(f"{label}: first page {statistics.median(page_ms):.0f} ms, count {statistics.median(count_ms):.0f} ms"
              f" ({rows} rows shown of {total})", flush=True)
    worst = max(r[1] + r[2] for r in results)
    print(f"RESULT search engine={connection.vendor} docs={made} worst_page_plus_count={worst:.0f}ms")


if __name__ == "__main__":
    main()
