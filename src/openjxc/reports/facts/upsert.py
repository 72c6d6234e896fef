"""Additive UPSERT of fact rows: `INSERT … ON CONFLICT (key) DO UPDATE SET s = s + EXCLUDED.s`.

Fact columns are integers and dates (reports/models.py), so rows need no per-field adaptation: PostgreSQL gets one
array per column (unnest: one statement whatever the row count); SQLite runs one prepared single-row statement for
every row through the driver's executemany (no statement text to build or scan per row).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from django.db import connection

_cache: dict[tuple, tuple] = {}
# dates go to SQLite as ISO text, as Django writes them (Python's own default adapter, made explicit)
sqlite3.register_adapter(dt.date, dt.date.isoformat)


def _shape(model, fields: tuple[str, ...], conflict: tuple[str, ...], sums: tuple[str, ...],
           assign: tuple[str, ...] = ()) -> tuple:
    """(table, columns, PostgreSQL types, date positions, ON CONFLICT clause) for these fields: `sums` are added
    to, `assign` replaced."""
    k = (connection.vendor, model, fields, conflict, sums, assign)
    shape = _cache.get(k)
    if shape is None:
        meta = model._meta
        q = connection.ops.quote_name
        objs = [meta.get_field(f) for f in fields]
        cols = [q(f.column) for f in objs]
        types = [f.db_type(connection).split("(")[0] for f in objs]
        dates = tuple(i for i, f in enumerate(objs) if f.get_internal_type() == "DateField")
        target = ", ".join(q(meta.get_field(f).column) for f in conflict)
        if sums or assign:
            sets = [f"{q(meta.get_field(f).column)} = {q(meta.db_table)}.{q(meta.get_field(f).column)} "
                    f"+ EXCLUDED.{q(meta.get_field(f).column)}" for f in sums]
            sets += [f"{q(meta.get_field(f).column)} = EXCLUDED.{q(meta.get_field(f).column)}" for f in assign]
            tail = f" ON CONFLICT ({target}) DO UPDATE SET {', '.join(sets)}"
        else:
            tail = f" ON CONFLICT ({target}) DO NOTHING"
        shape = _cache[k] = (q(meta.db_table), cols, types, dates, tail)
    return shape


def _write(model, fields: tuple[str, ...], conflict: tuple[str, ...], sums: tuple[str, ...], rows: list,
           assign: tuple[str, ...] = ()) -> int:
    if not rows:
        return 0
    table, cols, types, dates, tail = _shape(model, fields, conflict, sums, assign)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays}){tail}",
                        [list(col) for col in zip(*rows, strict=True)])
        return len(rows)
    connection.ensure_connection()
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['?'] * len(cols))}){tail}"
    connection.connection.executemany(sql, rows)  # inside the caller's transaction (same connection)
    return len(rows)


def add_rows(model, keys: tuple[str, ...], sums: tuple[str, ...], rows: dict[tuple, list[int]]) -> int:
    """Add `rows` ({key values: [sum values]}) to `model`'s table; rows whose sums are all 0 are left out."""
    todo = [(*k, *v) for k, v in rows.items() if any(v)]
    return _write(model, (*keys, *sums), keys, sums, todo)


def insert_new(model, fields: tuple[str, ...], conflict: tuple[str, ...], rows: list[tuple]) -> int:
    """INSERT `rows` (values in `fields` order), leaving out any whose `conflict` key is already there."""
    return _write(model, tuple(fields), tuple(conflict), (), rows)


def set_rows(model, keys: tuple[str, ...], fields: tuple[str, ...], assign: tuple[str, ...], rows: list[tuple]) -> int:
    """INSERT `rows` (key values, then `fields` values); where the key is there already, replace `assign` (some of
    `fields`) and keep the rest."""
    return _write(model, (*keys, *fields), keys, (), rows, assign=assign)
