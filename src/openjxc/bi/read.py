"""Reading an entity's rows for one reader: their company, their warehouses, costs only with stock.cost, an optional
date range; values as Python types (Decimal, date, bool) the same on both engines. The feeds read through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from openjxc.bi.entities import Entity

BATCH = 2000


@dataclass(frozen=True)
class Scope:
    """What a reader sees: one company (None: dim_date only), some warehouses (None: all), costs or not."""

    company_id: int | None
    warehouse_ids: frozenset[int] | None = None
    show_cost: bool = True


def select(entity: Entity, scope: Scope, *, start: dt.date | None = None, end: dt.date | None = None,
           order: bool = False) -> tuple[str, list]:
    """The SELECT of `entity`'s columns for `scope` (cost columns NULL without costs) and its parameters."""
    cols = ", ".join(f"NULL AS {c.name}" if c.cost and not scope.show_cost else f"e.{c.name}"
                     for c in entity.columns)
    conds: list[str] = []
    params: list = []
    if entity.company_scoped:
        conds.append("e.company_id = %s")
        params.append(scope.company_id)
    if scope.warehouse_ids is not None and entity.has_warehouse:
        ids = sorted(scope.warehouse_ids) or [0]
        conds.append(f"e.warehouse_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    date_col = entity.date_column
    if date_col and start is not None:
        conds.append(f"e.{date_col} >= %s")
        params.append(start.isoformat())
    if date_col and end is not None:
        conds.append(f"e.{date_col} <= %s")
        params.append(end.isoformat())
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    order_by = f" ORDER BY {', '.join('e.' + k for k in entity.key)}" if order else ""
    return f"SELECT {cols} FROM ({entity.sql(connection.vendor)}) e{where}{order_by}", params


def _converter(type_: str):
    if type_ == "decimal":
        return lambda v: v if isinstance(v, Decimal) else Decimal(str(v))
    if type_ == "date":
        return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    if type_ == "datetime":
        return lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
    if type_ == "bool":
        return bool
    if type_ == "int":
        return int
    return str


def rows(entity: Entity, scope: Scope, *, start: dt.date | None = None, end: dt.date | None = None,
         order: bool = False) -> Iterator[tuple]:
    """The rows, converted, fetched in batches (a server-side cursor on PostgreSQL: memory stays flat)."""
    sql, params = select(entity, scope, start=start, end=end, order=order)
    # PostgreSQL hands back Decimal, date and bool already; SQLite gives floats, text dates and 0/1
    convert = [] if connection.vendor == "postgresql" else [
        (i, _converter(c.type)) for i, c in enumerate(entity.columns) if c.type in ("decimal", "date", "datetime",
                                                                                  "bool")]
    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while batch := cur.fetchmany(BATCH):
            if not convert:
                yield from map(tuple, batch)
                continue
            for row in batch:
                out = list(row)
                for i, f in convert:
                    if out[i] is not None:
                        out[i] = f(out[i])
                yield tuple(out)
