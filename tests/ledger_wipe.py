"""For tests that commit for real (django_db(transaction=True)): the `wipeable_ledger` fixture and the hook
that protects the ledger again after each such test. Registered once, by the root tests/conftest.py, so it
covers every directory (a hook imported into a sub-directory's conftest covers only that directory).

Such tests end with pytest-django flushing every table: TRUNCATE on PostgreSQL, DELETE on SQLite.
The append-only triggers on stock_stockmove rightly refuse both, so around the flush (and only
then) the refusing trigger is switched off and switched back on right after.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

_append_only = importlib.import_module("openjxc.stock.migrations.0002_stockmove_append_only")
_partner_append_only = importlib.import_module("openjxc.finance.migrations.0002_partner_ledger_append_only")


def _allow_wipe() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE stock_stockmove DISABLE TRIGGER stockmove_no_truncate")
            for t in _partner_append_only.TABLES:  # the partner ledger (finance) is guarded the same way
                cur.execute(f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate")
        else:
            cur.execute("DROP TRIGGER IF EXISTS stockmove_no_delete")
            for t in _partner_append_only.TABLES:
                cur.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")


def _protect() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE stock_stockmove ENABLE TRIGGER stockmove_no_truncate")
            for t in _partner_append_only.TABLES:
                cur.execute(f"ALTER TABLE {t} ENABLE TRIGGER {t}_no_truncate")
        else:
            for sql in _append_only.SQLITE_UP + _partner_append_only.SQLITE_UP:
                cur.execute(sql)


@pytest.fixture
def wipeable_ledger(transactional_db):
    """Let the end-of-test flush empty the ledger; the triggers are back before the next test."""
    yield
    _allow_wipe()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # after every fixture's teardown, i.e. after pytest-django's flush; after the last test the
    # test database itself is gone, and with it any need to protect it
    yield
    if nextitem is not None and "wipeable_ledger" in getattr(item, "fixturenames", ()):
        with item.config.stash[blocking_manager_key].unblock():
            _protect()
