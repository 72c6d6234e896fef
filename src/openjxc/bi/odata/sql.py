"""One entity set read as SQL: the entity's SELECT wrapped with the reader's company, warehouses and cost masking,
the request's filter, order and page.

    SELECT e."a", NULL AS "cost" FROM (<entity.sql>) e
    WHERE e.company_id = %s AND e."warehouse_id" IN (%s, …) AND (<$filter>) AND (e."k1", e."k2") > (%s, %s)
    ORDER BY e."k1", e."k2" LIMIT %s

Without $orderby, pages follow the entity key (keyset: `$skiptoken` holds the last key read), so the thousandth
page costs what the first does; with $orderby, pages are offsets ($skip) over that order completed by the key, so
they are still disjoint and complete.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.utils.translation import gettext_lazy as _

from openjxc.bi.odata.query import Dialect, bad, parse_filter
from openjxc.bi.read import Scope

_NULL_OF = {"string": "text", "int": "bigint", "decimal": "numeric", "date": "date", "datetime": "timestamptz",
            "bool": "boolean"}


@dataclass
class Request:
    """The query options of one request, parsed."""

    select: list[str]
    filter: str = ""
    orderby: list[tuple[str, bool]] | None = None
    skip: int = 0
    top: int | None = None
    after: list | None = None  # the key of the last row of the previous page ($skiptoken)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


class EntityQuery:
    """The SQL of one entity set for one reader's Scope (bi/read.py: company, warehouses, costs, as the file feeds
    have it from bi.feeds.scope_of); `columns` maps each property to its SQL expression and type."""

    def __init__(self, entity, scope: Scope):
        self.entity = entity
        self.scope = scope
        self.vendor = connection.vendor
        self.types = {c.name: c.type for c in entity.columns}
        self.columns: dict[str, tuple[str, str]] = {}
        for c in entity.columns:
            if c.cost and not scope.show_cost:
                expr = "NULL" if self.vendor == "sqlite" else f"CAST(NULL AS {_NULL_OF.get(c.type, 'text')})"
            else:
                expr = f"e.{q(c.name)}"
            self.columns[c.name] = (expr, c.type)

    def _from_where(self, req: Request, *, keyset: bool) -> tuple[str, list]:
        # the entity's SQL has no parameters; any % in it must reach the database as it is
        inner = self.entity.sql(self.vendor).replace("%", "%%")
        where, params = [], []
        if self.entity.company_scoped:
            where.append("e.company_id = %s")
            params.append(self.scope.company_id)
        if self.scope.warehouse_ids is not None and self.entity.has_warehouse:
            ids = sorted(self.scope.warehouse_ids) or [0]
            where.append(f"e.warehouse_id IN ({', '.join(['%s'] * len(ids))})")
            params.extend(ids)
        if req.filter:
            sql, fparams = parse_filter(req.filter, self.columns, self.vendor)
            where.append(sql)
            params.extend(fparams)
        if keyset and req.after is not None:
            keys = [f"e.{q(k)}" for k in self.entity.key]
            marks = ", ".join(["%s"] * len(keys))
            if len(keys) == 1:
                where.append(f"{keys[0]} > %s")
                params.extend(req.after)
            else:
                # implied by the row comparison after it, but an index can seek on it even when the key's last
                # column is computed (a code shown as text): the page then starts where it should, not at row 1
                prefix = keys[:-1]
                where.append(f"({', '.join(prefix)}) >= ({', '.join(['%s'] * len(prefix))})"
                             if len(prefix) > 1 else f"{prefix[0]} >= %s")
                where.append(f"({', '.join(keys)}) > ({marks})")
                params.extend([*req.after[:-1], *req.after])
        sql = f" FROM ({inner}) e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, params

    def page(self, req: Request, limit: int, *, ieee754: bool = False) -> tuple[str, list, list[str], str]:
        """SELECT of one page of at most `limit` rows: its SQL and parameters, the columns it returns, and how rows
        come back:

        - "row_json" (PostgreSQL, the key among the selected columns): one column, each row's JSON text written by
          the database (row_to_json: numerics as numbers, dates ISO); the last row's key is read from its JSON;
        - "json" (PostgreSQL otherwise): the row's JSON (json_build_object, which can also cast numbers to text
          for IEEE754Compatible) followed by the key;
        - "values" (SQLite): the selected columns then the key, for payload.row_writer.
        Either JSON way, a page of thousands of rows is never turned into Decimals and formatted back in Python."""
        named = {n for n, _d in req.orderby or []}
        order = [(n, d) for n, d in req.orderby or [] if self.columns[n][0].startswith("e.")]  # masked: no order
        order += [(k, False) for k in self.entity.key if k not in named]
        order_sql = ", ".join(f"e.{q(n)} DESC" if desc else f"e.{q(n)}" for n, desc in order)
        body, params = self._from_where(req, keyset=not req.orderby)
        mode = "values"
        if self.vendor == "postgresql":
            mode = "row_json" if not ieee754 and set(self.entity.key) <= set(req.select) else "json"
            if mode == "json" and len(req.select) > 50:  # json_build_object takes at most 100 arguments
                mode = "values"
        if mode == "row_json":
            fetch = ["$json"]
            cols = ", ".join(f"{self.columns[n][0]} AS {q(n)}" for n in req.select)
        elif mode == "json":
            pairs = []
            for n in req.select:
                expr, type_ = self.columns[n]
                if ieee754 and type_ in ("int", "decimal"):  # Edm.Int64 and Edm.Decimal as strings when asked
                    expr = f"CAST({expr} AS text)"
                pairs.append(f"'{n}', {expr}")
            fetch = ["$json", *self.entity.key]
            cols = ", ".join([f"CAST(json_build_object({', '.join(pairs)}) AS text)",
                              *(f"e.{q(k)}" for k in self.entity.key)])
        else:
            fetch = list(req.select) + [k for k in self.entity.key if k not in req.select]
            cols = ", ".join(f"{self.columns[n][0]} AS {q(n)}" for n in fetch)
        sql = f"SELECT {cols}{body} ORDER BY {order_sql} LIMIT %s"
        params.append(limit)
        offset = req.skip if (req.orderby or req.after is None) else 0
        if offset:
            sql += " OFFSET %s"
            params.append(offset)
        if mode == "row_json":
            # the page's order again outside: a subquery's order is not promised to survive (a sort of one page)
            outer = ", ".join(f"t.{q(n)} DESC" if desc else f"t.{q(n)}" for n, desc in order)
            sql = f"SELECT CAST(row_to_json(t) AS text) FROM ({sql}) t ORDER BY {outer}"
        return sql, params, fetch, mode

    def count(self, req: Request) -> tuple[str, list]:
        body, params = self._from_where(req, keyset=False)
        return f"SELECT COUNT(*){body}", params

    # -- $skiptoken: the key of the last row read, as JSON in URL-safe base64

    def skiptoken(self, key_values: list) -> str:
        plain = [_jsonable(v) for v in key_values]
        return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")

    def read_skiptoken(self, token: str) -> list:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(raw, list) or len(raw) != len(self.entity.key):
                raise ValueError
            dialect = Dialect(self.vendor)
            return [dialect.param(_typed(v, self.types[k]), self.types[k]) for v, k in zip(raw, self.entity.key,
                                                                                          strict=True)]
        except (ValueError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError):
            raise bad("skiptoken", _("$skiptoken is not one this service gave out.")) from None


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(value, type_: str):
    """A key value read back from a skiptoken, as the type of its column (ValueError when it is not one)."""
    if value is None:
        raise ValueError
    if type_ == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
        return value
    if type_ == "decimal":
        return Decimal(str(value))
    if type_ == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if type_ == "datetime":
        moment = dt.datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if type_ == "bool":
        return bool(value)
    return str(value)
