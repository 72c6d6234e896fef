"""Additive UPSERT of fact rows: `INSERT … ON CONFLICT (key) DO UPDATE SET s = s + EXCLUDED.s`.

Fact columns are integers (reports/models.py), so rows need no per-field adaptation: PostgreSQL gets one array
per column (unnest: one statement whatever the row count), SQLite multi-row VALUES under its parameter limit.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

_SQLITE_MAX_PARAMS = 32766
_cache: dict[tuple, tuple] = {}


def _shape(model, keys: tuple[str, ...], sums: tuple[str, ...]) -> tuple:
    k = (connection.vendor, model, keys, sums)
    shape = _cache.get(k)
    if shape is None:
        meta = model._meta
        q = connection.ops.quote_name
        fields = [meta.get_field(f) for f in (*keys, *sums)]
        cols = [q(f.column) for f in fields]
        types = [f.db_type(connection).split("(")[0] for f in fields]
        key_cols = cols[:len(keys)]
        sets = ", ".join(f"{c} = {q(meta.db_table)}.{c} + EXCLUDED.{c}" for c in cols[len(keys):])
        tail = f" ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {sets}"
        shape = _cache[k] = (q(meta.db_table), cols, types, tail)
    return shape


def add_rows(model, keys: tuple[str, ...], sums: tuple[str, ...], rows: dict[tuple, list[int]]) -> int:
    """Add `rows` ({key values: [sum values]}) to `model`'s table; rows whose sums are all 0 are left out."""
    todo = [(*k, *v) for k, v in rows.items() if any(v)]
    if not todo:
        return 0
    table, cols, types, tail = _shape(model, keys, sums)
    width = len(cols)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays}){tail}"
            cur.execute(sql, [list(col) for col in zip(*todo, strict=True)])
        else:
            per = max(1, _SQLITE_MAX_PARAMS // width)
            one = "(" + ", ".join(["%s"] * width) + ")"
            for start in range(0, len(todo), per):
                chunk = todo[start:start + per]
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([one] * len(chunk))}{tail}"
                cur.execute(sql, [_sqlite(v) for row in chunk for v in row])
    return len(todo)


def _sqlite(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def insert_new(model, fields: tuple[str, ...], conflict: tuple[str, ...], rows: list[tuple]) -> int:
    """INSERT `rows` (values in `fields` order), leaving out any whose `conflict` key is already there."""
    if not rows:
        return 0
    meta = model._meta
    q = connection.ops.quote_name
    objs = [meta.get_field(f) for f in fields]
    cols = [q(f.column) for f in objs]
    target = ", ".join(q(meta.get_field(f).column) for f in conflict)
    table = q(meta.db_table)
    width = len(cols)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            types = [f.db_type(connection).split("(")[0] for f in objs]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays}) "
                        f"ON CONFLICT ({target}) DO NOTHING", [list(col) for col in zip(*rows, strict=True)])
        else:
            per = max(1, _SQLITE_MAX_PARAMS // width)
            one = "(" + ", ".join(["%s"] * width) + ")"
            for start in range(0, len(rows), per):
                chunk = rows[start:start + per]
                cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([one] * len(chunk))} "
                            f"ON CONFLICT ({target}) DO NOTHING", [_sqlite(v) for row in chunk for v in row])
    return len(rows)
