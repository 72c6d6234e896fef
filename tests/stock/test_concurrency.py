"""Concurrent postings on PostgreSQL: many connections selling the same hot items at once.

Each thread has its own database connection (Django gives one per thread) and closes it at the
end. The tests commit for real (django_db(transaction=True)), so the ledger's flush guard is used.
SQLite's concurrent writers are proved separately (test_sqlite_concurrency.py): pytest-django's
SQLite test database lives in memory, where threads share one cache and table locks, which is not
how a shop's file database behaves.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from decimal import Decimal as D

import pytest
from django.db import connection

from openjxc.core.errors import DomainError
from openjxc.core.models import User
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.services import LineInput
from openjxc.stock.models import ItemValuation, StockBalance
from tests.conftest import assert_ledger_consistent

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 10
PER_THREAD = 4


@pytest.fixture(autouse=True)
def _postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: row locks between concurrent connections (set DATABASE_URL)")


def run_threads(work, n=THREADS):
    """Run work(i) in n threads started together; return (results, unexpected exceptions)."""
    barrier = threading.Barrier(n)
    results, unexpected = [], []
    lock = threading.Lock()

    def runner(i):
        try:
            barrier.wait()
            out = work(i)
            with lock:
                results.extend(out)
        except BaseException as exc:  # noqa: BLE001 - every unexpected error must fail the test
            with lock:
                unexpected.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a posting thread hung"
    return results, unexpected


def test_concurrent_deliveries_of_hot_items_lose_no_update_and_never_go_negative(wipeable_ledger, shop):
    # given 40 of flour and 40 of water in the main warehouse
    received = {shop.flour.pk: D("40"), shop.water.pk: D("40")}
    shop.receive(shop.flour, 40, "5.00")
    shop.receive(shop.water, 40, "1.30")
    admin_id, main_id, customer_id = shop.admin.pk, shop.main.pk, shop.customer.pk
    items = [shop.flour.pk, shop.water.pk]

    # when 10 connections each post 4 deliveries of 1-6 of one or both items (160+ asked of 80)
    def work(i):
        rnd = random.Random(i)
        by = User.objects.get(pk=admin_id)
        out = []
        for _ in range(PER_THREAD):
            picked = rnd.sample(items, rnd.choice([1, 2]))  # both orders of the two items happen
            lines = [LineInput(item=pk, quantity=D(rnd.randint(1, 6))) for pk in picked]
            try:
                doc = docs.create_document(by=by, kind="sales_delivery", warehouse=main_id,
                                           partner=customer_id, lines=lines)
                docs.advance_document(doc, by=by, to="posted")
                out.append(("posted", doc.pk))
            except DomainError as exc:
                out.append((exc.code, exc.data))
        return out

    results, unexpected = run_threads(work)

    # then nothing but "not enough stock" was refused: no deadlock, no serialization failure
    assert unexpected == []
    codes = Counter(r[0] for r in results)
    assert set(codes) <= {"posted", "stock.insufficient"}, codes
    assert codes["posted"] > 0 and codes["stock.insufficient"] > 0, codes
    for code, data in results:
        if code == "stock.insufficient":
            assert data["requested"] > data["available"] >= 0
    # no lost update: what is left is what came in minus what the posted deliveries took
    delivered = Counter()
    for ln in DocumentLine.objects.filter(document__kind="sales_delivery", document__status=Status.POSTED):
        delivered[ln.item_id] += ln.quantity
    for item_id, qty_in in received.items():
        v = ItemValuation.objects.get(item_id=item_id, warehouse_id=main_id)
        assert v.quantity == qty_in - delivered[item_id]
        assert v.quantity >= 0
    assert not StockBalance.objects.filter(quantity__lt=0).exists()
    # numbers: unique and gap-free per day (refused posts keep their draft and its number)
    numbers = sorted(Document.objects.filter(kind="sales_delivery").values_list("number", flat=True))
    assert len(numbers) == THREADS * PER_THREAD == len(set(numbers))
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, len(numbers) + 1))
    assert_ledger_consistent()


def test_concurrent_returns_of_one_delivery_never_return_more_than_it_delivered(wipeable_ledger, shop):
    # given a delivery of 10
    shop.receive(shop.flour, 10, "5.00")
    delivery = shop.sell(shop.flour, 10)
    src_line = delivery.lines.get().pk
    admin_id, main_id, customer_id = shop.admin.pk, shop.main.pk, shop.customer.pk

    # when 8 connections each try to return 3 of it at once
    def work(i):
        by = User.objects.get(pk=admin_id)
        try:
            ret = docs.create_document(by=by, kind="sales_return", warehouse=main_id, partner=customer_id,
                                       source=delivery.pk,
                                       lines=[LineInput(item=shop.flour.pk, quantity=D(3), source_line=src_line)])
            docs.advance_document(ret, by=by, to="posted")
            return ["posted"]
        except DomainError as exc:
            return [exc.code]

    results, unexpected = run_threads(work, n=8)

    # then exactly three fit, the rest are refused as exceeding the delivery
    assert unexpected == []
    assert Counter(results) == {"posted": 3, "document.exceeds_source": 5}
    assert ItemValuation.objects.get(item=shop.flour, warehouse_id=main_id).quantity == D("9")
    assert_ledger_consistent()


def test_concurrent_transfers_between_two_warehouses_in_both_directions_do_not_deadlock(wipeable_ledger, shop):
    # given stock of two items in both warehouses
    for wh in (shop.main, shop.second):
        shop.receive(shop.flour, 30, "5.00", warehouse=wh)
        shop.receive(shop.water, 30, "1.00", warehouse=wh)
    admin_id = shop.admin.pk
    whs = [shop.main.pk, shop.second.pk]
    items = [shop.flour.pk, shop.water.pk]

    # when 8 connections move goods main -> second and second -> main at the same time
    def work(i):
        by = User.objects.get(pk=admin_id)
        src, dst = whs if i % 2 else whs[::-1]
        out = []
        for k in range(3):
            order = items if (i + k) % 2 else items[::-1]
            doc = docs.create_document(by=by, kind="transfer_out", warehouse=src, to_warehouse=dst,
                                       lines=[LineInput(item=pk, quantity=D(2)) for pk in order])
            doc = docs.advance_document(doc, by=by, to="posted")
            arrival = docs.create_from(doc, by=by, kind="transfer_in")
            docs.advance_document(arrival, by=by, to="posted")
            out.append("posted")
        return out

    results, unexpected = run_threads(work, n=8)

    # then every transfer went through and both warehouses hold what they held
    assert unexpected == []
    assert results == ["posted"] * 24
    for wh in whs:
        for item in items:
            assert ItemValuation.objects.get(item_id=item, warehouse_id=wh).quantity == D("30")
    assert_ledger_consistent()
