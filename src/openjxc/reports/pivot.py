"""The pivot (多维交叉分析) laid out: row dimensions down the left, an optional column dimension across (each of its
values a group of the measures, then a total group), subtotal rows after each first-level value and a grand total.

Pure over a `query.Result`: `pivot_query` asks the query layer for every level the layout needs in one run (with
a column dimension, the cube of the dimensions: the cells, the row totals across the columns, the subtotals per
column; without, the roll-up), `layout` places the figures. The page, the Excel file and the background job use
the same `Pivot`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from openjxc.reports.labels import OTHER
from openjxc.reports.query import Query, Result
from openjxc.reports.semantic import MEASURES, formula, label_of, parts_of


@dataclass
class PivotMeasure:
    key: str
    label: str
    unit: str
    formula: str
    masked: bool
    family: str


@dataclass
class Group:
    key: object  # a value of the column dimension; None: the total over the columns
    label: str


@dataclass
class Cell:
    value: object
    href: str = ""
    unit: str = "money"
    masked: bool = False


@dataclass
class PivotLine:
    heads: list[str]
    kind: str  # detail | subtotal | total
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Pivot:
    row_heads: list[str]
    col_head: str
    measures: list[PivotMeasure]
    groups: list[Group]
    lines: list[PivotLine]
    truncated: bool = False


def pivot_query(q: Query, rows: list[str], col: str | None, measures: list[str], subtotals: bool) -> Query:
    dims = [*rows, *([col] if col else [])]
    mode = ("cube" if col else "rollup") if subtotals else "none"
    return replace(q, measures=list(measures), dimensions=dims, subtotals=mode)


def _param(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def layout(result: Result, q: Query, rows: list[str], col: str | None, subtotals: bool, drill_base: str) -> Pivot:
    """Place `result` (from `pivot_query`) as rows × column groups × measures, with drill links per cell."""
    n = len(rows)
    index = {r.keys: r.values for r in result.rows}
    labels: list[dict] = [{} for _d in result.dimensions]
    for r in result.rows:
        for i, (k, lbl) in enumerate(zip(r.keys, r.labels, strict=True)):
            if k is not None:
                labels[i].setdefault(k, lbl)
    detail = [r.keys for r in result.rows if not r.subtotal]
    row_keys = list(dict.fromkeys(k[:n] for k in detail))
    lang = get_language()
    measures = [PivotMeasure(m, str(MEASURES[m].label), MEASURES[m].unit, formula(MEASURES[m], lang),
                             m in result.masked, MEASURES[parts_of(m)[0]].family) for m in result.measures]
    groups: list[Group] = []
    if col:
        values = sorted({k[n] for k in detail}, key=lambda v: (v == OTHER, _param(v)))
        groups = [Group(v, labels[n].get(v, _param(v))) for v in values]
        if subtotals:
            groups.append(Group(None, _("Total")))
    else:
        groups = [Group(None, "")]
    filters = "".join(f"&f_{name}={quote(_param(v))}" for name, vs in q.filters.items() for v in vs)
    base = f"{drill_base}?start={q.start.isoformat()}&end={q.end.isoformat()}{filters}"

    def cells(key: tuple) -> list[Cell]:
        out = []
        for g in groups:
            full = (*key, g.key) if col else key
            values = index.get(full, {})
            dims = [*rows, *([col] if col else [])]
            drillable = OTHER not in full
            cell_qs = "".join(f"&c_{d}={quote(_param(v))}" for d, v in zip(dims, full, strict=True) if v is not None)
            for m in measures:
                href = f"{base}&family={m.family}{cell_qs}" if drillable and values else ""
                out.append(Cell(None if m.masked else values.get(m.key), href, m.unit, m.masked))
        return out

    lines: list[PivotLine] = []
    previous = None
    for key in row_keys:
        if subtotals and n > 1 and previous is not None and key[0] != previous:
            lines.append(_subtotal(previous, n, labels, cells))
        lines.append(PivotLine([labels[i].get(k, _param(k)) for i, k in enumerate(key)], "detail", cells(key)))
        previous = key[0]
    if subtotals:
        if n > 1 and previous is not None:
            lines.append(_subtotal(previous, n, labels, cells))
        lines.append(PivotLine([_("Total")] + [""] * (n - 1), "total", cells((None,) * n)))
    return Pivot([label_of(d) for d in rows], label_of(col) if col else "", measures, groups, lines,
                 result.truncated)


def _subtotal(first, n: int, labels, cells) -> PivotLine:
    key = (first,) + (None,) * (n - 1)
    return PivotLine([labels[0].get(first, _param(first)), _("Subtotal")] + [""] * (n - 2), "subtotal", cells(key))
