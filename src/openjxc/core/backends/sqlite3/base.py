"""Django's SQLite backend, with the connections of a server process reused across requests.

Under ASGI every request has a DatabaseWrapper of its own (Django's connections are per thread, and each request's
synchronous code runs in a thread of its own: asgiref's per-request ThreadSensitiveContext), so Django's
CONN_MAX_AGE keeps nothing between requests: each one opened a new SQLite connection, ran the PRAGMAs and made
the together view and its triggers again (decision 0022). Here a wrapper that connects borrows an idle
connection of the process and gives it back when Django closes it (at the end of the request, CONN_MAX_AGE = 0),
as Django's PostgreSQL pool does (decision 0014).
A connection is held by one wrapper or lies idle in the pool, never both: no two threads use it at once.
It goes back only when it is clean (no transaction open, autocommit restored, not closed inside an atomic
block); it is handed out again only after it answered a statement (which also restores foreign-key checks,
which migrations and fixtures switch off per connection). Everything else a connection carries (its
PRAGMAs, its TEMP objects) is made once and kept: that is the point. Decision 0026.

OPTIONS["pool"] = {"max_idle": n}: at most n idle connections kept per process (0 or absent: no pool).
An in-memory database (the test suite's) is never pooled: Django never closes it.

Its cursors also remember the queries they turned from Django's "format" style (%s) into SQLite's "qmark"
style (?): Django runs a regular expression over every query's text on every execute, and the same texts
come back statement after statement (the ORM's, and `core.sql`'s cached ones).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque

from django.db.backends.sqlite3 import base


class Connection(sqlite3.Connection):
    """A raw connection that can carry state of its own (`core.sql` keeps its together view's shapes here, so
    they follow the connection from request to request)."""


_QMARK_MAX_LENGTH = 16_384  # a longer text (a bulk INSERT of many rows) is converted every time, not kept
_QMARK_MAX_KEPT = 512
_qmark: dict[str, str] = {}  # query text -> the same in "qmark" style


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, converting each query text once (the conversion depends on the text alone)."""

    def convert_query(self, query, *, param_names=None):
        if param_names is not None:  # "pyformat" style: the names come from the parameters
            return super().convert_query(query, param_names=param_names)
        done = _qmark.get(query)
        if done is None:
            done = super().convert_query(query)
            if len(query) <= _QMARK_MAX_LENGTH:
                if len(_qmark) >= _QMARK_MAX_KEPT:
                    _qmark.clear()  # bounded; whatever runs often is converted again at once
                _qmark[query] = done
        return done


class _Pool:
    """The idle connections of one database in this process, the most recently used first."""

    def __init__(self, max_idle: int):
        self.max_idle = max_idle
        self.pid = os.getpid()  # a connection never crosses a fork
        self.idle: deque[Connection] = deque()
        self.lock = threading.Lock()
        self.opened = 0  # connections this process opened for the pool's database (its whole life)
        self.discarded = 0  # connections closed instead of reused (unclean, broken, or the pool was full)

    def take(self) -> Connection | None:
        while True:
            with self.lock:
                if not self.idle:
                    return None
                raw = self.idle.pop()
            try:
                # answers, and undoes a PRAGMA foreign_keys = OFF left by a migration or a fixture load
                raw.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error:  # closed underneath, or the file is gone: never hand it out
                self.discard(raw)
                continue
            return raw

    def count_opened(self) -> None:
        with self.lock:
            self.opened += 1

    def give(self, raw: Connection) -> bool:
        with self.lock:
            if len(self.idle) < self.max_idle:
                self.idle.append(raw)
                return True
        return False

    def discard(self, raw: Connection) -> None:
        with self.lock:
            self.discarded += 1
        try:
            raw.close()
        except sqlite3.Error:
            pass


_pools: dict[tuple, _Pool] = {}
_pools_lock = threading.Lock()


def _clean(wrapper: DatabaseWrapper, raw: Connection) -> bool:
    """Whether the raw connection may serve another request: Django's close_if_unusable_or_obsolete's rules."""
    if wrapper.in_atomic_block or wrapper.needs_rollback or wrapper.autocommit != wrapper.settings_dict["AUTOCOMMIT"]:
        return False
    try:
        return not raw.in_transaction
    except sqlite3.Error:  # closed underneath
        return False


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)

    def get_connection_params(self):
        params = super().get_connection_params()
        self.pool_max_idle = int((params.pop("pool", None) or {}).get("max_idle", 0))
        params["factory"] = Connection
        return params

    def _pool(self) -> _Pool | None:
        if not getattr(self, "pool_max_idle", 0) or self.is_in_memory_db():
            return None
        key = (self.alias, str(self.settings_dict["NAME"]))
        pool = _pools.get(key)
        if pool is None or pool.pid != os.getpid():
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None or pool.pid != os.getpid():
                    pool = _pools[key] = _Pool(self.pool_max_idle)
        return pool

    def get_new_connection(self, conn_params):
        pool = self._pool()
        raw = pool.take() if pool is not None else None
        if raw is None:
            raw = super().get_new_connection(conn_params)
            if pool is not None:
                pool.count_opened()
        return raw

    def _close(self):
        raw = self.connection
        pool = self._pool()
        if raw is None or pool is None:
            return super()._close()
        if _clean(self, raw) and pool.give(raw):
            self.connection = None  # BaseDatabaseWrapper.close forgets it as well; no later use reaches the pool's
            return None
        pool.discard(raw)
        return None


def pool_stats(alias: str, name: str) -> dict:
    """How many connections this process opened and discarded for a database, and how many lie idle."""
    pool = _pools.get((alias, str(name)))
    if pool is None:
        return {"opened": 0, "discarded": 0, "idle": 0}
    return {"opened": pool.opened, "discarded": pool.discarded, "idle": len(pool.idle)}
