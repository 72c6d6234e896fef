"""Run by test_sqlite_concurrency.py in its own process: concurrent writers on a SQLite *file*.

pytest-django's SQLite test database is in memory (one shared cache, table locks), which is not
how a shop runs; this script migrates a fresh file database configured exactly like production
(WAL, IMMEDIATE transactions, busy timeout) and lets threads post deliveries of the same items.
It prints one JSON object with what happened.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
from collections import Counter
from decimal import Decimal as D


def main(path: str, threads: int, per_thread: int) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openjxc.config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from openjxc.core.errors import DomainError
    from openjxc.core.models import User
    from openjxc.documents import services as docs
    from openjxc.documents.models import Document, DocumentLine, Status
    from openjxc.documents.services import LineInput
    from openjxc.stock.ledger import check_ledger
    from openjxc.stock.models import ItemValuation, StockBalance
    from tests.conftest import Shop

    shop = Shop()
    shop.receive(shop.flour, 30, "5.00")
    shop.receive(shop.water, 30, "1.00")
    items, admin_id, main_id, customer_id = [shop.flour.pk, shop.water.pk], shop.admin.pk, shop.main.pk, shop.customer.pk
    connection.close()

    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def work(i):
        rnd = random.Random(i)
        out = []
        try:
            by = User.objects.get(pk=admin_id)
            barrier.wait()
            for _ in range(per_thread):
                lines = [LineInput(item=pk, quantity=D(rnd.randint(1, 5))) for pk in rnd.sample(items, rnd.choice([1, 2]))]
                try:
                    doc = docs.create_document(by=by, kind="sales_delivery", warehouse=main_id, partner=customer_id,
                                               lines=lines)
                    docs.advance_document(doc, by=by, to="posted")
                    out.append("posted")
                except DomainError as exc:
                    out.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            out.append(f"unexpected: {exc!r}")
        finally:
            connection.close()
        with lock:
            results.extend(out)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

    delivered = Counter()
    for ln in DocumentLine.objects.filter(document__kind="sales_delivery", document__status=Status.POSTED):
        delivered[ln.item_id] += ln.quantity
    numbers = sorted(Document.objects.filter(kind="sales_delivery").values_list("number", flat=True))
    return {
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
        "results": dict(Counter(results)),
        "left": {str(pk): str(ItemValuation.objects.get(item_id=pk, warehouse_id=main_id).quantity) for pk in items},
        "expected_left": {str(pk): str(D(30) - delivered[pk]) for pk in items},
        "negative_balances": StockBalance.objects.filter(quantity__lt=0).count(),
        "numbers": [int(n.rsplit("-", 1)[1]) for n in numbers],
        "ledger_problems": [str(p) for p in check_ledger()],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
