"""The feed under concurrent writers whose transactions commit out of id order (PostgreSQL).

On PostgreSQL an id is taken at INSERT, the row becomes visible at COMMIT; a writer that sleeps in
between lets later ids commit first. A reader paging by "id > last id" then passes over the late
one for good. These tests run that load for real, with reader threads paging the feed while the
writers work, and show both: the naive reader loses events, the feed loses none and repeats none.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from django.db import connection, connections, transaction

from openjxc.core.events import record_event
from openjxc.core.models import Event
from openjxc.sync.feed import feed_head, read_feed
from tests.conftest import Shop

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 8
TRANSACTIONS = 25
READERS = 3
DRAIN_TIMEOUT = 60  # transactions of other sessions on the same server may hold the feed back a while


@pytest.fixture
def company(wipeable_ledger):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail("JXC_REQUIRE_POSTGRES=1 but the test database is not PostgreSQL")
        pytest.skip("SQLite runs one writer at a time: ids cannot commit out of order there")
    return Shop().company


def _naive_page(company_id, last_id, limit):
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM core_event WHERE company_id = %s AND id > %s ORDER BY id LIMIT %s",
                    [company_id, last_id, limit])
        return [r[0] for r in cur.fetchall()]


class Load:
    """Writer threads: each transaction inserts 1–3 events, sleeps, then commits (or, sometimes, rolls back)."""

    def __init__(self, company_id):
        self.company_id = company_id
        self.committed: set[int] = set()
        self.rolled_back: set[int] = set()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.errors: list[BaseException] = []

    def writer(self, w):
        rnd = random.Random(w)
        try:
            for t in range(TRANSACTIONS):
                ids = []
                rollback = rnd.random() < 0.1
                try:
                    with transaction.atomic():
                        for k in range(rnd.randint(1, 3)):
                            ids.append(record_event(company=self.company_id, topic="test.load",
                                                    payload={"writer": w, "tx": t, "k": k}).pk)
                        time.sleep(rnd.random() * 0.03)  # after the insert, before the commit
                        if rollback:
                            raise _RollBack
                except _RollBack:
                    with self.lock:
                        self.rolled_back.update(ids)
                    continue
                with self.lock:
                    self.committed.update(ids)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            connections.close_all()

    def run(self, readers):
        threads = [threading.Thread(target=self.writer, args=(w,)) for w in range(WRITERS)]
        threads += [threading.Thread(target=r) for r in readers]
        for th in threads:
            th.start()
        for th in threads[:WRITERS]:
            th.join()
        self.done.set()
        for th in threads[WRITERS:]:
            th.join(DRAIN_TIMEOUT + 30)
        assert not self.errors, self.errors


class _RollBack(Exception):
    pass


def test_concurrent_writers_committing_out_of_order_every_event_once_in_one_order(company):
    start = feed_head(company.pk)
    start_id = Event.objects.filter(company=company).order_by("-id").values_list("id", flat=True).first() or 0
    load = Load(company.pk)
    seen: list[list[int]] = [[] for _ in range(READERS)]
    naive: list[int] = []

    def feed_reader(i):
        def run():
            cursor, rnd = start, random.Random(100 + i)
            try:
                drain_until = None
                while True:
                    page = read_feed(company_id=company.pk, cursor=cursor, limit=rnd.randint(1, 7))
                    seen[i].extend(e.id for e in page.events)
                    cursor = page.next_cursor
                    if page.has_more:
                        continue
                    if load.done.is_set():
                        # everything committed is in the feed once no older transaction is in flight
                        drain_until = drain_until or time.monotonic() + DRAIN_TIMEOUT
                        with load.lock:
                            if set(seen[i]) >= load.committed or time.monotonic() > drain_until:
                                return
                    time.sleep(0.002)
            except BaseException as exc:  # noqa: BLE001
                load.errors.append(exc)
            finally:
                connections.close_all()
        return run

    def naive_reader():
        last = start_id
        try:
            while not load.done.is_set():
                ids = _naive_page(company.pk, last, 5)
                if ids:
                    naive.extend(ids)
                    last = ids[-1]
                else:
                    time.sleep(0.002)
            while ids := _naive_page(company.pk, last, 100):  # and what is left once all have committed
                naive.extend(ids)
                last = ids[-1]
        finally:
            connections.close_all()

    load.run([feed_reader(i) for i in range(READERS)] + [naive_reader])

    assert len(load.committed) > WRITERS * TRANSACTIONS * 0.8
    assert load.rolled_back  # some transactions did roll back: their ids were taken and never committed
    for ids in seen:
        assert len(ids) == len(set(ids)), "an event was delivered twice"
        assert set(ids) == load.committed, (
            f"missing {sorted(load.committed - set(ids))[:10]}, extra {sorted(set(ids) - load.committed)[:10]}")
    assert seen[0] == seen[1] == seen[2], "readers saw different orders"
    order = list(Event.objects.filter(pk__in=load.committed).order_by("txid", "id").values_list("id", flat=True))
    assert seen[0] == order

    # the naive reader, under the same load, passed over events that committed after a higher id
    skipped = load.committed - set(naive)
    assert skipped, "the naive id > cursor reader skipped nothing: the load does not reproduce the bug"
    print(f"\nnaive reader skipped {len(skipped)} of {len(load.committed)} events; the feed none")


def test_a_long_transaction_delays_the_feed_but_is_never_passed_over(company):
    """Deterministic version: T1 takes a lower id and stays open while T2 commits a higher one."""
    cursor = feed_head(company.pk)
    naive_last = Event.objects.filter(company=company).order_by("-id").values_list("id", flat=True).first() or 0
    inserted, release, finished = threading.Event(), threading.Event(), threading.Event()
    holder: dict = {}

    def slow():
        try:
            with transaction.atomic():
                holder["slow"] = record_event(company=company.pk, topic="test.slow").pk
                inserted.set()
                release.wait(30)
        finally:
            finished.set()
            connections.close_all()

    th = threading.Thread(target=slow)
    th.start()
    assert inserted.wait(30)
    with transaction.atomic():
        fast = record_event(company=company.pk, topic="test.fast").pk
    assert fast > holder["slow"]

    # the naive reader sees the fast event now and moves its cursor past the slow one's id
    naive = _naive_page(company.pk, naive_last, 100)
    assert naive == [fast]
    # the feed holds back: an older transaction is still open
    page = read_feed(company_id=company.pk, cursor=cursor)
    assert page.events == [] and page.has_more is False and page.next_cursor == cursor

    release.set()
    assert finished.wait(30)
    th.join()
    got, deadline = [], time.monotonic() + DRAIN_TIMEOUT
    while len(got) < 2 and time.monotonic() < deadline:
        page = read_feed(company_id=company.pk, cursor=cursor)
        got += [e.id for e in page.events]
        cursor = page.next_cursor
        time.sleep(0.01)
    assert got == [holder["slow"], fast]  # in transaction order: the slow one started (wrote) first
    assert _naive_page(company.pk, fast, 100) == []  # the naive reader never gets the slow event
    assert read_feed(company_id=company.pk, cursor=cursor).events == []


def test_a_transaction_in_another_database_of_the_server_does_not_hold_the_feed_back(company):
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    cursor = feed_head(company.pk)
    with psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                         user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None,
                         dbname="postgres") as other:
        other.execute("SELECT pg_current_xact_id()")  # an open transaction with an id, in another database
        with transaction.atomic():
            mine = record_event(company=company.pk, topic="test.after_other").pk
        page = read_feed(company_id=company.pk, cursor=cursor)
        assert [e.id for e in page.events] == [mine]
        other.rollback()
