"""Backup and restore of the whole database.

SQLite: sqlite3's online backup API, page by page, consistent while the app keeps writing.
PostgreSQL: pg_dump in its custom format, and pg_restore --clean, with the DATABASE_URL's parts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections

# Rows that make a database "in use": restoring over them needs --yes.
DATA_TABLES = ("core_company", "core_user", "documents_document", "stock_stockmove")


def database() -> dict:
    return connections["default"].settings_dict


def is_sqlite() -> bool:
    return connections["default"].vendor == "sqlite"


def default_name() -> str:
    from openjxc.core import clock

    return f"openjxc-{clock.now():%Y%m%d-%H%M%S}.{'sqlite3' if is_sqlite() else 'dump'}"


def is_empty() -> bool:
    """True when the target database holds no company, user, document or move."""
    conn = connections["default"]
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        for table in DATA_TABLES:
            if table in existing:
                cur.execute(f"SELECT 1 FROM {conn.ops.quote_name(table)} LIMIT 1")
                if cur.fetchone():
                    return False
    return True


# ---------------------------------------------------------------- SQLite


def backup_sqlite(output: Path) -> None:
    """Copy the live database to `output` through the online backup API (one consistent snapshot)."""
    conn = connections["default"]
    conn.ensure_connection()
    tmp = output.with_name(output.name + ".part")
    tmp.unlink(missing_ok=True)
    dst = sqlite3.connect(tmp)
    try:
        conn.connection.backup(dst)  # all pages in one step: a single read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
    os.replace(tmp, output)


def check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            has_django = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} is not an SQLite backup of OpenJXC: {exc}") from None
    if ok != "ok" or not has_django:
        raise CommandError(f"{path} is not a usable OpenJXC backup (integrity: {ok}).")


def restore_sqlite(path: Path) -> None:
    """Replace the live database's content with the backup's, through the backup API (all or nothing)."""
    check_sqlite_backup(path)
    conn = connections["default"]
    conn.ensure_connection()
    if conn.in_atomic_block:
        raise CommandError("Cannot restore inside a transaction.")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        src.backup(conn.connection)
    finally:
        src.close()


# ---------------------------------------------------------------- PostgreSQL


def _pg_env_and_args() -> tuple[dict, list[str]]:
    db = database()
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return env, args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(e.g. `apt install postgresql-client`) to back up or restore a PostgreSQL database."
        )
    return path


def _run(cmd: list[str], env: dict) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{Path(cmd[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def backup_postgres(output: Path) -> None:
    env, args = _pg_env_and_args()
    tmp = output.with_name(output.name + ".part")
    _run([_tool("pg_dump"), "-Fc", "-f", str(tmp), *args, database()["NAME"]], env)
    os.replace(tmp, output)


def restore_postgres(path: Path) -> None:
    tool = _tool("pg_restore")
    env, args = _pg_env_and_args()
    connections.close_all()
    _run([tool, "--list", str(path)], env)  # refuses a file that is not a pg_dump archive, before touching data
    _run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          *args, "-d", database()["NAME"], str(path)], env)
