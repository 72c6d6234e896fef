"""Rows as OData JSON text, written by hand: a page holds thousands of rows and the JSON encoder cannot write a
Decimal as a number. Values arrive as each engine returns them (PostgreSQL: Decimal, date, aware datetime, bool;
SQLite: float or int, ISO text, 0/1) and leave as OData wants them: numbers (or strings under IEEE754Compatible),
dates `2024-01-31`, times `2024-01-31T08:00:00Z`, true / false, null."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from decimal import Decimal

_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _string(v) -> str:
    return _dumps(v if isinstance(v, str) else str(v))


def _int(v) -> str:
    return str(int(v))


def _decimal(v) -> str:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, float):
        # SQLite computes decimals in floating point: 12 significant digits hide its noise (0.30000000000000004)
        return format(Decimal(repr(round(v, 10))).normalize(), "f") if v == v and abs(v) != float("inf") else "null"
    return str(v)


def _date(v) -> str:
    if isinstance(v, dt.datetime):
        v = v.date()
    return f'"{v.isoformat()}"' if isinstance(v, dt.date) else f'"{str(v)[:10]}"'


def _datetime(v) -> str:
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        return f'"{v.isoformat()}Z"'
    text = str(v).replace(" ", "T")  # SQLite: UTC as 'yyyy-mm-dd hh:mm:ss[.ffffff]'
    return f'"{text}"' if text.endswith("Z") or "+" in text[10:] else f'"{text}Z"'


def _bool(v) -> str:
    return "true" if v else "false"


def _quoted(fn: Callable) -> Callable:
    return lambda v: f'"{fn(v)}"'


WRITERS: dict[str, Callable] = {"string": _string, "int": _int, "decimal": _decimal, "date": _date,
                                "datetime": _datetime, "bool": _bool}


def row_writer(names: list[str], types: list[str], *, ieee754: bool) -> Callable[[Iterable], str]:
    """A function writing one row (a sequence of values in `names` order) as a JSON object."""
    parts = []
    for name, type_ in zip(names, types, strict=True):
        fn = WRITERS.get(type_, _string)
        if ieee754 and type_ in ("int", "decimal"):  # Edm.Int64 and Edm.Decimal as strings when asked
            fn = _quoted(fn)
        parts.append((_dumps(name) + ":", fn))

    def write(row) -> str:
        return "{" + ",".join(key + ("null" if v is None else fn(v))
                              for (key, fn), v in zip(parts, row, strict=True)) + "}"

    return write
