"""The SQLite backend's pool of connections (docs/decisions/0026-sqlite-connections-reused.md), on real files.

Each test uses database wrappers of its own (as two requests have under ASGI) on a SQLite file of its own:
the suite's in-memory test database is never pooled.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from django.db.utils import ConnectionHandler

from openjxc.core.backends.sqlite3.base import pool_stats


@pytest.fixture
def wrappers(tmp_path, django_db_blocker):
    """A function giving a new wrapper (a request's) on one pooled SQLite file; all closed at the end. (The
    blocker guards the suite's test database; these wrappers use a file of their own.)"""
    path = tmp_path / "pool.sqlite3"
    handler = ConnectionHandler({"default": {
        "ENGINE": "openjxc.core.backends.sqlite3", "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;",
                    "pool": {"max_idle": 2}},
    }})
    made = []

    def new():
        made.append(handler.create_connection("default"))
        return made[-1]

    with django_db_blocker.unblock():
        yield new
    for w in made:
        if w.connection is not None:
            w.connection.close()
            w.connection = None


def _raw(w):
    w.ensure_connection()
    return w.connection


def test_a_closed_connection_is_handed_to_the_next_request(wrappers):
    first = wrappers()
    raw = _raw(first)
    with first.cursor() as cur:
        cur.execute("CREATE TEMP TABLE kept (x)")  # per-connection state: it must survive the reuse
    first.close()
    assert first.connection is None

    second = wrappers()
    assert _raw(second) is raw
    with second.cursor() as cur:
        cur.execute("SELECT count(*) FROM temp.kept")
        assert cur.fetchone() == (0,)


def test_a_connection_closed_underneath_is_replaced_not_reused(wrappers):
    first = wrappers()
    raw = _raw(first)
    first.close()  # into the pool
    raw.close()  # and broken there, behind the pool's back
    discarded = pool_stats("default", first.settings_dict["NAME"])["discarded"]

    second = wrappers()
    fresh = _raw(second)
    assert fresh is not raw
    with second.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    assert pool_stats("default", first.settings_dict["NAME"])["discarded"] == discarded + 1


@pytest.mark.parametrize("how", ["BEGIN by hand", "autocommit off"])
def test_a_connection_left_in_a_transaction_is_not_reused(wrappers, how):
    first = wrappers()
    raw = _raw(first)
    with first.cursor() as cur:
        cur.execute("CREATE TABLE t (x)")
    if how == "autocommit off":
        first.set_autocommit(False)
    with first.cursor() as cur:
        if how == "BEGIN by hand":
            cur.execute("BEGIN")  # Django believes it is in autocommit
        cur.execute("INSERT INTO t VALUES (1)")
    assert raw.in_transaction
    first.close()  # a request that ends with its transaction open

    second = wrappers()
    assert _raw(second) is not raw
    with second.cursor() as cur:
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (0,)  # the uncommitted row went with the discarded connection
    with pytest.raises(sqlite3.ProgrammingError):
        raw.execute("SELECT 1")  # closed, not pooled


def test_foreign_key_checks_switched_off_are_back_on_after_reuse(wrappers):
    first = wrappers()
    raw = _raw(first)
    with first.cursor() as cur:
        cur.execute("PRAGMA foreign_keys = OFF")  # as a migration's table rebuild or a fixture load does
    first.close()

    second = wrappers()
    assert _raw(second) is raw
    with second.cursor() as cur:
        cur.execute("PRAGMA foreign_keys")
        assert cur.fetchone() == (1,)


def test_no_two_requests_at_once_share_a_connection(wrappers):
    # when eight requests in threads each take a connection, hold it a moment and give it back, 25 times
    held: dict[int, int] = {}
    lock = threading.Lock()
    clashes, errors = [], []
    first = wrappers()  # the file made and switched to WAL first, as `jxc init` leaves it: eight threads switching
    _raw(first)         # a new file's journal mode at once meet "database is locked", which is not what this tests
    first.close()

    def request():
        try:
            for _ in range(25):
                w = wrappers()
                raw = _raw(w)
                with lock:
                    if held.get(id(raw)):
                        clashes.append(id(raw))
                    held[id(raw)] = held.get(id(raw), 0) + 1
                with w.cursor() as cur:
                    cur.execute("SELECT 1")
                with lock:
                    held[id(raw)] -= 1
                w.close()
        except Exception as exc:  # noqa: BLE001 - a thread's failure fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # then every request ran, no connection was ever held by two at once, and at most max_idle (2) lie idle after
    assert errors == []
    assert not clashes
    assert pool_stats("default", wrappers().settings_dict["NAME"])["idle"] <= 2
