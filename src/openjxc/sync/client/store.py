"""The terminal's local state in one SQLite file: settings, the outbox, acknowledged results, the catalogue.

Every write commits before the call returns (WAL, synchronous=FULL), so an operation handed to
`enqueue` survives a crash or power loss the instant the call has returned — the till may print
"submitted" then. An operation leaves the outbox only in `acknowledge`, which also records the
server's answer, in the same local transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS acked (
    op_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    acked_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    sale_price TEXT NOT NULL DEFAULT '0',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS items_code ON items (code);
CREATE TABLE IF NOT EXISTS barcodes (code TEXT PRIMARY KEY, item_id INTEGER NOT NULL, unit TEXT);
"""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LocalStore:
    """Thread-safe access to the terminal's SQLite file (one connection, one lock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ meta

    def get(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, **values) -> None:
        with self._lock, self._tx():
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, str(value)))

    def _tx(self):
        db = self._db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    # ------------------------------------------------------------ outbox

    def enqueue(self, op_type: str, data: dict, *, op_id: str | None = None) -> dict:
        """Store an operation durably; returns it as it will be sent ({id, seq, type, created_at, data})."""
        op_id = op_id or str(uuid.uuid4())
        created = utcnow().isoformat()
        body = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self._lock, self._tx():
            cur = self._db.execute("INSERT INTO outbox (op_id, type, data, created_at) VALUES (?, ?, ?, ?)",
                                   (op_id, op_type, body, created))
            seq = cur.lastrowid
        return {"id": op_id, "seq": seq, "type": op_type, "created_at": created, "data": data}

    def pending(self, limit: int = 500) -> list[dict]:
        """The oldest operations still waiting for an answer, in the order they were made."""
        with self._lock:
            rows = self._db.execute(
                "SELECT op_id, seq, type, created_at, data FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [{"id": r[0], "seq": r[1], "type": r[2], "created_at": r[3], "data": json.loads(r[4])} for r in rows]

    def backlog(self) -> dict:
        with self._lock:
            count, oldest = self._db.execute("SELECT COUNT(*), MIN(created_at) FROM outbox").fetchone()
        return {"count": count, "oldest_at": oldest}

    def acknowledge(self, answers: list[dict]) -> None:
        """Move answered operations (accepted, held, duplicate, refused) from the outbox to `acked`, atomically.
        A held one is kept by the server for a manager's review: its outcome comes in the pull's `reviews`."""
        now = utcnow().isoformat()
        with self._lock, self._tx():
            for a in answers:
                if a.get("status") not in ("accepted", "held", "duplicate", "refused"):
                    continue  # "retry" (or anything unknown): the operation stays in the outbox
                row = self._db.execute("SELECT seq, type FROM outbox WHERE op_id = ?", (a["id"],)).fetchone()
                if row is None:
                    continue
                final = a.get("first") if a["status"] == "duplicate" else a
                status = (final or {}).get("status", a["status"])
                self._db.execute(
                    "INSERT OR REPLACE INTO acked (op_id, seq, type, status, result, acked_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (a["id"], row[0], row[1], status, json.dumps(a, ensure_ascii=False), now),
                )
                self._db.execute("DELETE FROM outbox WHERE op_id = ?", (a["id"],))

    def note_failure(self, op_ids: list[str], error: str) -> None:
        with self._lock, self._tx():
            for op_id in op_ids:
                self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE op_id = ?",
                                 (error[:500], op_id))

    def result(self, op_id: str) -> dict | None:
        """The server's answer to an operation, once acknowledged (None while it waits in the outbox)."""
        with self._lock:
            row = self._db.execute("SELECT result FROM acked WHERE op_id = ?", (op_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def acked(self, status: str | None = None) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT op_id, type, status, result, acked_at FROM acked"
                + (" WHERE status = ?" if status else "") + " ORDER BY seq",
                (status,) if status else (),
            ).fetchall()
        return [{"id": r[0], "type": r[1], "status": r[2], "result": json.loads(r[3]), "acked_at": r[4]}
                for r in rows]

    # ------------------------------------------------------------ catalogue cache

    def upsert_items(self, items: list[dict]) -> None:
        with self._lock, self._tx():
            for it in items:
                self._db.execute(
                    "INSERT INTO items (id, code, name, unit, sale_price, data) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET code = excluded.code, name = excluded.name, "
                    "unit = CASE WHEN excluded.unit = '' THEN items.unit ELSE excluded.unit END, "
                    "sale_price = excluded.sale_price, data = excluded.data",
                    (it["id"], it["code"], it["name"], it.get("unit") or "", str(it.get("sale_price") or "0"),
                     json.dumps(it, ensure_ascii=False, default=str)),
                )
                if "barcodes" in it:
                    self._db.execute("DELETE FROM barcodes WHERE item_id = ?", (it["id"],))
                    for bc in it["barcodes"]:
                        self._db.execute("INSERT OR REPLACE INTO barcodes (code, item_id, unit) VALUES (?, ?, ?)",
                                         (bc["code"], it["id"], bc.get("unit")))

    def remove_item(self, item_id: int) -> None:
        with self._lock, self._tx():
            self._db.execute("DELETE FROM barcodes WHERE item_id = ?", (item_id,))
            self._db.execute("DELETE FROM items WHERE id = ?", (item_id,))

    def item(self, item_id: int) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def find_item(self, code_or_barcode: str) -> dict | None:
        """An item of the cache by code or by one of its barcodes (None when not cached)."""
        with self._lock:
            row = self._db.execute("SELECT data FROM items WHERE code = ?", (code_or_barcode,)).fetchone()
            if row is None:
                row = self._db.execute(
                    "SELECT items.data FROM barcodes JOIN items ON items.id = barcodes.item_id WHERE barcodes.code = ?",
                    (code_or_barcode,),
                ).fetchone()
        return json.loads(row[0]) if row else None

    def item_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
