import os
from pathlib import Path

os.environ.setdefault("JXC_TESTING", "1")

# pytest-xdist runs the suite in several worker processes (gw0, gw1, ...): each gets its own data directory
# (job files, backups, static root), as pytest-django gives each its own test database (name suffixed _gw0 ...)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _base = Path(os.environ.get("JXC_DATA_DIR") or Path(__file__).resolve().parents[4] / "var")
    if _base.name != f"test-{_WORKER}":  # a child process of the worker inherits the worker's directory
        os.environ["JXC_DATA_DIR"] = str(_base / f"test-{_WORKER}")

from .base import *  # noqa: E402,F401,F403
from .base import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Tests only: a commit returns before its WAL reaches the disk. Crash safety of a throwaway test database
    # is worth nothing, and every test commits (flushes, transactional tests, savepoints): this saves the fsync
    # wait on each. Never in base/prod settings.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = "-c synchronous_commit=off"
    # The suite's own connections stay Django's plain per-thread ones (pytest-django creates, flushes and drops
    # the test databases through them); servers a test starts as subprocesses run the pool of production.
    if DATABASES["default"]["OPTIONS"].pop("pool", None) is not None:
        DATABASES["default"].update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Tests only: the SQLite test database lives in memory with a shared cache (one database for the live
    # server's threads), where a reader meets a writer's *table* lock as an immediate "database table is
    # locked" error instead of waiting: a page fetched while another request writes the users table (a browser
    # terminal registering) failed with a 500. read_uncommitted lifts readers' table locks in shared-cache mode,
    # which is what WAL gives readers of the file database a real install uses (there this pragma does nothing).
    DATABASES["default"]["OPTIONS"]["init_command"] += "PRAGMA read_uncommitted=1;"
    # as on PostgreSQL, the suite's own connections are not pooled (an in-memory database never is anyway);
    # servers a test starts as subprocesses run the pool of production (decision 0026)
    DATABASES["default"]["OPTIONS"].pop("pool", None)
    # the suite's database is in memory (Django's default for SQLite tests), said explicitly: pytest-django
    # recognises SQLite by Django's engine name only, and for our backend (a subclass) made each xdist worker's
    # database name from the production file's path ("unable to open database file")
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"
