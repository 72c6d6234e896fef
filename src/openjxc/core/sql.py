"""Multi-row INSERT (and UPSERT) for the hot path, without the ORM's per-call SQL compilation.

`bulk_create` compiles its statement from scratch on every call; for the few rows a posting
writes that costs more than running it. `insert_rows` builds `INSERT … VALUES (…), (…)` with an
optional `ON CONFLICT … DO UPDATE` and `RETURNING`, caches the statement text per shape, and
adapts every value with the field's own `get_db_prep_save` (Decimal, JSON, dates and times come
out exactly as the ORM would write them, on SQLite and PostgreSQL). Rows are chunked under the
engine's bound-parameter limit. Defaults and `pre_save` are the caller's business: pass values.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections

# Field types whose Python values the drivers take as they are (ints, strings, booleans, None).
_PLAIN = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "ForeignKey",
    "OneToOneField", "CharField", "TextField", "BooleanField", "SlugField",
}
_PG_MAX_PARAMS = 65535
_SQLITE_DEFAULT_MAX_PARAMS = 32766  # SQLite >= 3.32's SQLITE_MAX_VARIABLE_NUMBER

_sql_cache: dict[tuple, str] = {}
_shape_cache: dict[tuple, tuple] = {}


def _shape(model, fields: tuple[str, ...]) -> tuple:
    """(table, quoted column names, attnames, per column its adapter (None = pass through: `_adapter`), per column
    its PostgreSQL type for unnest)."""
    key = (model, fields)
    shape = _shape_cache.get(key)
    if shape is None:
        meta = model._meta
        objs = [meta.get_field(f) for f in fields]
        q = connection.ops.quote_name
        shape = (
            q(meta.db_table),
            tuple(q(f.column) for f in objs),
            tuple(f.attname for f in objs),
            tuple(_adapter(f) for f in objs),
            # PostgreSQL: each column's type without its modifier (numeric, not numeric(18,4)), for unnest
            tuple(f.db_type(connection).split("(")[0] for f in objs) if connection.vendor == "postgresql" else (),
        )
        _shape_cache[key] = shape
    return shape


def _same(field, base, *names: str) -> bool:
    """Whether `field`'s class prepares values with `base`'s own methods (a subclass may override them)."""
    cls = type(field)
    return isinstance(field, base) and all(getattr(cls, n) is getattr(base, n) for n in names)


def _adapter(field):
    """How one column's value is adapted: None = passed as it is, else a function (value, connection) -> what
    `field.get_db_prep_save(value, connection)` returns. Resolved once per (model, columns): for the common
    types the value is adapted by the backend directly when it is of the type the field's own preparation
    would leave unchanged (an aware datetime, a date, a dict or list for JSON, a finite Decimal), skipping
    the chain of checks; anything else goes through the field."""
    from datetime import date, datetime

    from django.db import models

    if field.get_internal_type() in _PLAIN:
        return None
    save = field.get_db_prep_save
    if _same(field, models.DecimalField, "get_db_prep_save", "get_db_prep_value"):
        def decimal(value, conn):
            # what DecimalField.get_db_prep_save returns for a finite Decimal on both engines: itself
            return value if type(value) is Decimal and value.is_finite() else save(value, conn)
        return decimal
    if type(field) is models.DateTimeField:
        def moment(value, conn):
            if type(value) is datetime and value.tzinfo is not None:  # get_prep_value leaves it as it is
                return conn.ops.adapt_datetimefield_value(value)
            return save(value, conn)
        return moment
    if type(field) is models.DateField:
        def day(value, conn):
            return conn.ops.adapt_datefield_value(value) if type(value) is date else save(value, conn)
        return day
    if type(field) is models.JSONField:
        encoder = field.encoder

        def json(value, conn):
            return conn.ops.adapt_json_value(value, encoder) if type(value) in (dict, list) else save(value, conn)
        return json
    return save


def _prepare(model, fields: tuple[str, ...], rows: Iterable[Sequence], conn=None) -> list:
    """The rows' values, flattened, adapted as the fields' get_db_prep_save would."""
    adapters = _shape(model, fields)[3]
    conn = conn or connections[DEFAULT_DB_ALIAS]  # the thread's own: each `connection.x` looks it up again
    prepared: list = []
    add = prepared.append
    for row in rows:
        for value, adapt in zip(row, adapters, strict=True):
            add(value if adapt is None or value is None else adapt(value, conn))
    return prepared


def prepare(model, fields: tuple[str, ...], values: Sequence) -> list:
    """One row's values for `fields` of `model`, adapted as the fields' get_db_prep_save would (the adapters
    resolved once per model and fields): for a statement of the caller's own."""
    return _prepare(model, fields, (values,))


def _max_params(conn=None) -> int:
    conn = conn or connections[DEFAULT_DB_ALIAS]
    if conn.vendor == "sqlite":
        import sqlite3

        raw = conn.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return _SQLITE_DEFAULT_MAX_PARAMS
    return _PG_MAX_PARAMS


def insert_rows(
    model,
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT `rows` (one value per name in `fields`, in that order) into `model`'s table.

    `conflict` + `update`: `ON CONFLICT (conflict) DO UPDATE SET f = EXCLUDED.f` for each f in
    `update`. `returning`: the columns to hand back, one tuple per row in the order given.
    """
    fields = tuple(fields)
    table, columns, _attnames, _preps, _types = _shape(model, fields)
    conn = connections[DEFAULT_DB_ALIAS]
    prepared = _prepare(model, fields, rows, conn)
    if not prepared:
        return []
    width = len(fields)
    if conn.vendor == "postgresql" and len(prepared) > width:
        # one array parameter per column (unnest): a statement of 20,000 rows has `width` placeholders,
        # not 20,000 x width for the driver to find and the server to parse
        key: tuple = (conn.vendor, model, fields, tuple(conflict), tuple(update), tuple(returning), "unnest")
        sql = _sql_cache.get(key)
        if sql is None:
            sql = _sql_cache[key] = _build(model, table, columns, width, 0, conflict, update, returning, _types)
        with conn.cursor() as cur:
            cur.execute(sql, _columns_of(prepared, width))
            return [tuple(r) for r in cur.fetchall()] if returning else []
    per_chunk = max(1, _max_params(conn) // width)
    out: list[tuple] = []
    total = len(prepared) // width
    with conn.cursor() as cur:
        for start in range(0, total, per_chunk):
            n = min(per_chunk, total - start)
            key = (conn.vendor, model, fields, tuple(conflict), tuple(update), tuple(returning), n)
            sql = _sql_cache.get(key)
            if sql is None:
                sql = _build(model, table, columns, width, n, conflict, update, returning)
                _sql_cache[key] = sql
            cur.execute(sql, prepared[start * width:(start + n) * width])
            if returning:
                out.extend(tuple(r) for r in cur.fetchall())
    return out


def insert_together(*inserts: tuple) -> None:
    """Several `insert_rows(model, fields, rows, conflict=…, update=…)` without RETURNING, given as
    (model, fields, rows, conflict, update) tuples, to different tables. On PostgreSQL one statement
    (all but the last as data-modifying CTEs: one round trip); elsewhere one statement each."""
    write_together(*[("insert", *ins) for ins in inserts])


def write_together(*writes: tuple) -> None:
    """Writes without results, in this order, to rows no two of them touch: on PostgreSQL one statement (all
    but the last as data-modifying CTEs: one round trip), elsewhere one statement each. A write is
    ("insert", model, fields, rows, conflict, update) as `insert_rows`, ("update_rows", model, fields, rows)
    as `update_rows`, or ("update", obj, fields) as `update_fields`."""
    # a write's rows are read more than once (prepared, paired with their keys, or run one by one after all):
    # rows given as an iterator would be left out silently
    writes = tuple(w if w[0] == "update" or isinstance(w[3], list | tuple) else (*w[:3], list(w[3]), *w[4:])
                   for w in writes)
    todo = [w for w in writes if w[-1 if w[0] == "update" else 3]]
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor == "sqlite" and len(todo) > 1:
        todo = _sqlite_together(todo)
    if vendor != "postgresql" or len(todo) < 2:
        for w in todo:
            if w[0] == "insert":
                insert_rows(w[1], w[2], w[3], conflict=w[4], update=w[5])
            elif w[0] == "update_rows":
                update_rows(w[1], w[2], w[3])
            else:
                update_fields(w[1], w[2])
        return
    params: list = []
    parts: list[str] = []
    for w in todo:
        if w[0] == "insert":
            sql, more = _pg_insert(w[1], tuple(w[2]), list(w[3]), tuple(w[4]), tuple(w[5]))
        elif w[0] == "update_rows":
            sql, more = _pg_update_rows(w[1], tuple(w[2]), w[3])
        else:
            sql, more = _update_fields_statement(w[1], tuple(w[2]))
        parts.append(sql)
        params += more
    head = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts[:-1]))
    with connection.cursor() as cur:
        cur.execute(f"WITH {head} {parts[-1]}", params)


def _pg_insert(model, fields: tuple, rows: list, conflict: tuple, update: tuple) -> tuple[str, list]:
    table, columns, _a, _p, types = _shape(model, fields)
    key = (connection.vendor, model, fields, conflict, update, (), "unnest")
    sql = _sql_cache.get(key)
    if sql is None:
        sql = _sql_cache[key] = _build(model, table, columns, len(fields), 0, conflict, update, (), types)
    return sql, _columns_of(_prepare(model, fields, rows), len(fields))


def _columns_of(prepared: list, width: int) -> list[list]:
    """Flattened row values → one list per column (the unnest form's parameters)."""
    return [prepared[i::width] for i in range(width)]


def _build(model, table, columns, width, n, conflict, update, returning, types=()) -> str:
    """The INSERT: `n` rows of placeholders, or with n = 0 (PostgreSQL) one array per column (of
    `types`), unnested."""
    q = connection.ops.quote_name
    meta = model._meta
    if n == 0:
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    else:
        one = "(" + ", ".join(["%s"] * width) + ")"
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * n)}"
    if conflict:
        target = ", ".join(q(meta.get_field(f).column) for f in conflict)
        if update:
            sets = ", ".join(f"{q(meta.get_field(f).column)} = EXCLUDED.{q(meta.get_field(f).column)}" for f in update)
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(q(meta.get_field(f).column) for f in returning)
    return sql


_fields_cache: dict = {}


def _object_fields(model) -> tuple[str, ...]:
    fields = _fields_cache.get(model)
    if fields is None:
        meta = model._meta
        # an auto pk and columns the database fills (db_default, e.g. Event.txid) are left to the database
        fields = tuple(f.name for f in meta.concrete_fields
                       if not (f.primary_key and f.get_internal_type().endswith("AutoField")) and not f.has_db_default())
        assert not any(getattr(meta.get_field(f), "auto_now", False) or getattr(meta.get_field(f), "auto_now_add", False)
                       for f in fields), f"{model.__name__} has auto_now fields: use bulk_create"
        _fields_cache[model] = fields
    return fields


def object_rows(objs: Sequence) -> tuple:
    """(model, fields, rows) of unsaved instances of one model, for `insert_together`."""
    model = type(objs[0])
    fields = _object_fields(model)
    attnames = _shape(model, fields)[2]
    return model, fields, [tuple(getattr(o, a) for a in attnames) for o in objs]


def insert_objects(objs: Sequence, *, returning_pk: bool = False) -> None:
    """INSERT unsaved model instances (every concrete field but an auto pk; no `pre_save`, so no
    auto_now fields); with `returning_pk`, set each one's pk as `bulk_create` does."""
    if not objs:
        return
    model = type(objs[0])
    fields = _object_fields(model)
    _table, _columns, attnames, _preps, _types = _shape(model, fields)
    rows = [tuple(getattr(o, a) for a in attnames) for o in objs]
    pk = model._meta.pk.name
    back = insert_rows(model, fields, rows, returning=(pk,) if returning_pk else ())
    for o, r in zip(objs, back, strict=False):
        o.pk = r[0]
    for o in objs:
        o._state.adding = False
        o._state.db = DEFAULT_DB_ALIAS


def update_fields(obj, fields: Sequence[str]) -> None:
    """`UPDATE table SET f = %s, … WHERE pk = %s` for one saved instance: what `save(update_fields=…)`
    writes (no signals are connected to the models that use it), without compiling an UPDATE."""
    sql, params = _update_fields_statement(obj, tuple(fields))
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _update_fields_statement(obj, fields: tuple) -> tuple[str, list]:
    model = type(obj)
    table, columns, attnames, _preps, _types = _shape(model, fields)
    key = ("update", connection.vendor, model, fields)
    sql = _sql_cache.get(key)
    if sql is None:
        pk = model._meta.pk
        sets = ", ".join(f"{c} = %s" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {connection.ops.quote_name(pk.column)} = %s"
        _sql_cache[key] = sql
    params = _prepare(model, fields, [tuple(getattr(obj, a) for a in attnames)])
    return sql, [*params, obj.pk]


def update_rows(model, fields: Sequence[str], rows: Sequence[Sequence]) -> None:
    """`UPDATE table SET f = … WHERE pk = …` for many rows, each given as (value per field…, pk).

    PostgreSQL: one statement joining the table to the unnested column arrays; elsewhere one
    prepared statement run for every row (executemany)."""
    if not rows:
        return
    fields = tuple(fields)
    if connection.vendor == "postgresql":
        sql, params = _pg_update_rows(model, fields, rows)
        with connection.cursor() as cur:
            cur.execute(sql, params)
        return
    pk = model._meta.pk
    table, columns, _attnames, _preps, _types = _shape(model, fields)
    prepared = _prepare(model, fields, [r[:-1] for r in rows])
    ids = [r[-1] for r in rows]
    key = ("update_rows", connection.vendor, model, fields)
    one = _sql_cache.get(key)
    if one is None:
        sets = ", ".join(f"{c} = %s" for c in columns)
        one = _sql_cache[key] = f"UPDATE {table} SET {sets} WHERE {connection.ops.quote_name(pk.column)} = %s"
    width = len(fields)
    with connection.cursor() as cur:
        cur.executemany(one, [[*prepared[i * width:(i + 1) * width], ids[i]] for i in range(len(ids))])


def add_to_rows(model, field: str, rows: Sequence[Sequence]) -> None:
    """`UPDATE table SET f = COALESCE(f, 0) + … WHERE pk = …` for many rows, each given as (amount, pk): an
    increment in the statement, so nothing is read first (PostgreSQL: one statement over unnested arrays)."""
    if not rows:
        return
    pk = model._meta.pk
    table, columns, _attnames, _preps, types = _shape(model, (field,))
    prepared = _prepare(model, (field,), [r[:-1] for r in rows])
    ids = [r[-1] for r in rows]
    q = connection.ops.quote_name
    col = columns[0]
    key = ("add_to_rows", connection.vendor, model, field)
    sql = _sql_cache.get(key)
    if connection.vendor == "postgresql":
        if sql is None:
            sql = _sql_cache[key] = (
                f"UPDATE {table} AS t SET {col} = COALESCE(t.{col}, 0) + v.c0 FROM unnest(%s::{types[0]}[], "
                f"%s::{pk.db_type(connection).split('(')[0]}[]) AS v(c0, pk) WHERE t.{q(pk.column)} = v.pk")
        with connection.cursor() as cur:
            cur.execute(sql, [prepared, ids])
        return
    if sql is None:
        sql = _sql_cache[key] = f"UPDATE {table} SET {col} = COALESCE({col}, 0) + %s WHERE {q(pk.column)} = %s"
    with connection.cursor() as cur:
        cur.executemany(sql, [[prepared[i], ids[i]] for i in range(len(ids))])


def _pg_update_rows(model, fields: tuple, rows: Sequence[Sequence]) -> tuple[str, list]:
    """update_rows' PostgreSQL statement: the table joined to the unnested column arrays."""
    pk = model._meta.pk
    table, columns, _attnames, _preps, types = _shape(model, fields)
    key = ("update_rows", connection.vendor, model, fields)
    sql = _sql_cache.get(key)
    if sql is None:
        q = connection.ops.quote_name
        names = [f"c{i}" for i in range(len(fields))]
        arrays = ", ".join(f"%s::{t}[]" for t in (*types, pk.db_type(connection).split("(")[0]))
        sets = ", ".join(f"{c} = v.{n}" for c, n in zip(columns, names, strict=True))
        sql = _sql_cache[key] = (f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}, "
                                 f"pk) WHERE t.{q(pk.column)} = v.pk")
    prepared = _prepare(model, fields, [r[:-1] for r in rows])
    return sql, [*_columns_of(prepared, len(fields)), [r[-1] for r in rows]]


def _reader(model) -> tuple:
    """(fields, per field the converters the ORM applies to its column, attnames) of every concrete column."""
    meta = model._meta
    key = ("select", connection.vendor, model)
    cached = _fields_cache.get(key)
    if cached is None:
        fields = list(meta.concrete_fields)
        # the converters the ORM applies to each column (backend's first, then the field's own)
        converters = []
        for f in fields:
            col = f.get_col(meta.db_table)
            converters.append(connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        cached = _fields_cache[key] = (fields, converters, [f.attname for f in fields])
    return cached


def columns_of(model, alias: str = "") -> tuple[str, int]:
    """The SELECT list of every concrete column of `model` (qualified by `alias` when given) and how many
    there are: `object_from(model, row[i:i + n])` turns them back into an instance."""
    q = connection.ops.quote_name
    fields = _reader(model)[0]
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{q(f.column)}" for f in fields), len(fields)


def object_from(model, row: Sequence):
    """The instance of `model` from its columns as `columns_of` lists them (the ORM's converters applied);
    None when the primary key is NULL (an outer join found nothing)."""
    fields, converters, names = _reader(model)
    values = list(row)
    if values[names.index(model._meta.pk.attname)] is None:
        return None
    conn = connections[DEFAULT_DB_ALIAS]
    table = model._meta.db_table
    for i, convs in enumerate(converters):
        if convs:
            col = fields[i].get_col(table)
            for conv in convs:
                values[i] = conv(values[i], col, conn)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def select_rows(sql: str, params: Sequence = ()) -> list[tuple]:
    """The rows of one statement on the default connection, as the driver returns them."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return cur.fetchall()


def literals(values: Iterable) -> str:
    """`'a', 'b'` for an IN list of the project's own constants (kinds, statuses) written into a statement;
    never for input, which goes as parameters."""
    return ", ".join(f"'{v}'" for v in values)


def fetch_objects(model, where: str, params: Sequence, *, order_by: str = "", limit: int | None = None) -> list:
    """Model instances from `SELECT <every concrete column> FROM table WHERE <where>`, each value passed through
    the converters the ORM would apply; no query compiler."""
    meta = model._meta
    columns, _n = columns_of(model)
    sql = f"SELECT {columns} FROM {connection.ops.quote_name(meta.db_table)} WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        rows = cur.fetchall()
    return [object_from(model, r) for r in rows]


# ---------------------------------------------------------------- SQLite: several tables in one statement
#
# SQLite has no data-modifying CTEs. It has INSTEAD OF triggers on views: one multi-row INSERT into a view
# `jxc_together` (a tag and up to _TOGETHER_WIDTH values per row) fires, per row, the trigger of the row's
# shape, which writes that row where it belongs (decision 0022). The view and triggers are TEMP objects of the
# connection, created when a shape is first used. A rollback takes away objects created in its transaction,
# so a guard trigger refuses a row whose trigger is gone (the whole statement is undone) and the objects are
# made again; without the view the INSERT fails as well. Shapes too wide, or statements with more values
# than SQLite binds, go one statement per write as before.

_TOGETHER_WIDTH = 48
_TOGETHER_VIEW = "jxc_together"
_together_tags: dict[tuple, tuple[str, str]] = {}  # shape -> (tag, the trigger's body)
_together_lock = threading.Lock()


class _TriggerGone(Exception):
    pass


def _together_shape(w: tuple) -> tuple | None:
    """(shape key, value width) of a write, or None when it cannot go through the view."""
    key: tuple
    if w[0] == "insert":
        key = ("insert", w[1], tuple(w[2]), tuple(w[4]), tuple(w[5]))
        width = len(w[2])
    elif w[0] == "update_rows":
        key = ("update", w[1], tuple(w[2]))
        width = len(w[2]) + 1
    else:
        key = ("update", type(w[1]), tuple(w[2]))
        width = len(w[2]) + 1
    return (key, width) if width <= _TOGETHER_WIDTH else None


def _together_tag(key: tuple) -> tuple[str, str]:
    found = _together_tags.get(key)
    if found is not None:
        return found
    with _together_lock:  # a tag names one shape in every thread's connection
        return _together_tags.get(key) or _new_together_tag(key)


def _new_together_tag(key: tuple) -> tuple[str, str]:
    q = connection.ops.quote_name
    model = key[1]
    meta = model._meta
    table, columns, _a, _p, _t = _shape(model, key[2])
    new = [f"NEW.c{i}" for i in range(len(columns))]
    if key[0] == "insert":
        body = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(new)})"
        conflict, update = key[3], key[4]
        if conflict:
            target = ", ".join(q(meta.get_field(f).column) for f in conflict)
            if update:
                sets = ", ".join(f"{q(meta.get_field(f).column)} = excluded.{q(meta.get_field(f).column)}"
                                 for f in update)
                body += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
            else:
                body += f" ON CONFLICT ({target}) DO NOTHING"
    else:
        sets = ", ".join(f"{c} = {n}" for c, n in zip(columns, new, strict=True))
        body = f"UPDATE {table} SET {sets} WHERE {q(meta.pk.column)} = NEW.c{len(columns)}"
    found = _together_tags[key] = (f"t{len(_together_tags)}", body)
    return found


def _together_state() -> set[str]:
    """The tags whose triggers this connection is believed to have (reset with a new raw connection). Kept on
    the raw connection when it can carry it (our backend's: a pooled connection keeps its TEMP objects from
    request to request, decision 0026), else on the thread's own wrapper: `connection` is a proxy every
    thread shares."""
    own = connections[DEFAULT_DB_ALIAS]
    raw = own.connection
    holder = getattr(raw, "__dict__", None)
    if holder is not None:
        return holder.setdefault("_jxc_together", set())
    state = own.__dict__.get("_jxc_together")
    if state is None or state[0] is not raw:
        state = own.__dict__["_jxc_together"] = (raw, set())
    return state[1]


def _create_together(cur, tags: list[tuple[str, str]], state: set[str]) -> None:
    view = _TOGETHER_VIEW
    if not state:
        cols = ", ".join(f"NULL AS c{i}" for i in range(_TOGETHER_WIDTH))
        cur.execute(f"CREATE TEMP VIEW IF NOT EXISTS {view} AS SELECT NULL AS t, {cols} WHERE 0")
        cur.execute(
            f"CREATE TEMP TRIGGER IF NOT EXISTS {view}_guard INSTEAD OF INSERT ON {view} WHEN NOT EXISTS "
            f"(SELECT 1 FROM sqlite_temp_master WHERE type = 'trigger' AND name = '{view}_' || NEW.t) "
            f"BEGIN SELECT RAISE(ABORT, '{view}: no trigger'); END")
        state.add("")
    for tag, body in tags:
        if tag not in state:
            cur.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {view}_{tag} INSTEAD OF INSERT ON {view} "
                        f"WHEN NEW.t = '{tag}' BEGIN {body}; END")
            state.add(tag)


def _sqlite_together(todo: list[tuple]) -> list[tuple]:
    """Write what fits through the view in one statement; return the writes left to run one by one."""
    conn = connections[DEFAULT_DB_ALIAS]
    rows: list[tuple[str, list]] = []  # (tag, prepared values)
    left: list[tuple] = []
    tags: list[tuple[str, str]] = []
    for w in todo:
        shape = _together_shape(w)
        if shape is None:
            left.append(w)
            continue
        key, width = shape
        tag = _together_tag(key)
        tags.append(tag)
        if w[0] == "insert":
            values = _prepare(w[1], tuple(w[2]), w[3], conn)
            n = len(w[2])
            rows += [(tag[0], values[i:i + n]) for i in range(0, len(values), n)]
        elif w[0] == "update_rows":
            n = len(w[2])
            values = _prepare(w[1], tuple(w[2]), [r[:-1] for r in w[3]], conn)
            rows += [(tag[0], [*values[j * n:(j + 1) * n], r[-1]]) for j, r in enumerate(w[3])]
        else:
            sql_params = _update_fields_statement(w[1], tuple(w[2]))[1]
            rows.append((tag[0], sql_params))
    if len(rows) < 2 or sum(len(v) for _t, v in rows) > _max_params(conn) // 2:
        return todo
    width = max(len(v) for _t, v in rows)
    # the statement is joined from cached pieces (one per row shape and width): documents differ in their rows
    head = _sql_cache.get(("together", width))
    if head is None:
        head = _sql_cache[("together", width)] = (
            f"INSERT INTO {_TOGETHER_VIEW} (t, {', '.join(f'c{i}' for i in range(width))}) VALUES ")
    pieces = []
    for t, v in rows:
        piece = _sql_cache.get(("together", width, t, len(v)))
        if piece is None:
            piece = _sql_cache[("together", width, t, len(v))] = (
                f"('{t}', " + ", ".join(["%s"] * len(v) + ["NULL"] * (width - len(v))) + ")")
        pieces.append(piece)
    sql = head + ", ".join(pieces)
    params = [v for _t, values in rows for v in values]
    state = _together_state()
    from django.db import Error

    with conn.cursor() as cur:
        for attempt in (1, 2):
            try:
                _create_together(cur, tags, state)
                cur.execute(sql, params)
                break
            except Error as exc:
                # the objects went with a rolled-back transaction: the statement was undone whole; make them again
                if attempt == 2 or _TOGETHER_VIEW not in str(exc):
                    raise
                state.clear()
    return left


def drop_together(**_kw) -> None:
    """Drop this connection's together view and its triggers (before migrations: SQLite's table rebuilds
    refuse a trigger naming a table that is rebuilt)."""
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    with connection.cursor() as cur:
        cur.execute(f"DROP VIEW IF EXISTS temp.{_TOGETHER_VIEW}")
    own = connections[DEFAULT_DB_ALIAS]
    own.__dict__.pop("_jxc_together", None)
    getattr(own.connection, "__dict__", {}).pop("_jxc_together", None)
