"""Expensive committed fixtures built once per test run and put back for every test that asks for them.

A transactional test (`django_db(transaction=True)`) starts on an emptied database and ends with pytest-django
emptying it again. A fixture such as the March story (tests/reports/story.py: twenty postings through the services
and the facts consumer) used to be built again for each of its ~50 tests on each engine. `built_once(name, build)`
builds it the first time and keeps the rows it committed; the next time it puts those rows back into the emptied
database instead: the same rows, ids and timestamps, so the Python objects the fixture returns (kept as a deep copy
and copied again for each test) name rows that exist.

- SQLite (the suite's in-memory database): the whole database is copied with SQLite's backup API, and copied back.
- PostgreSQL: the rows of every table of our apps are kept with `COPY … TO STDOUT` and written back with `COPY …
  FROM STDIN`, with `session_replication_role = replica` for that transaction (foreign keys and triggers are
  checked when the rows are first written, not again). Sequences are not touched: the emptying leaves them where
  they were, past every kept id.

What lives outside the database is reset with it: Django's cache (the cockpit keeps its slow figures there) and the
frozen clock (the story ends at 2026-04-02 10:00 Shanghai).
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction

from openjxc.core import clock

OUR_APPS = "openjxc."  # the app names of ours (not Django's, huey's or axes')


class _Snapshot:
    def __init__(self, value: Any):
        self.value = copy.deepcopy(value)
        self.frozen = clock.frozen_at()
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            self.db = sqlite3.connect(":memory:")
            connection.connection.backup(self.db)
        else:
            self.tables = {}
            with connection.cursor() as cur:
                for table in _our_tables():
                    with cur.cursor.copy(f'COPY "{table}" TO STDOUT') as out:
                        data = b"".join(bytes(chunk) for chunk in out)
                    if data:
                        self.tables[table] = data

    def restore(self) -> Any:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            self.db.backup(connection.connection)
        else:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL session_replication_role = replica")
                for table, data in self.tables.items():
                    cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
                    assert not cur.fetchone()[0], f"{table} is not empty: the snapshot is put back into an emptied database"
                    with cur.cursor.copy(f'COPY "{table}" FROM STDIN') as into:
                        into.write(data)
        cache.clear()
        clock.freeze(self.frozen)
        return copy.deepcopy(self.value)


def _our_tables() -> list[str]:
    """The tables of our apps' models (with their many-to-many tables)."""
    return [model._meta.db_table for app in apps.get_app_configs() if app.name.startswith(OUR_APPS)
            for model in app.get_models(include_auto_created=True) if model._meta.managed and not model._meta.proxy]


_built: dict[str, _Snapshot] = {}


def built_once(name: str, build: Callable[[], Any]) -> Any:
    """`build()` the first time in this run (in a transactional test, committed), its rows put back after."""
    snapshot = _built.get(name)
    if snapshot is None:
        value = build()
        _built[name] = _Snapshot(value)
        return value
    return snapshot.restore()
