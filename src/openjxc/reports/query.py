"""The query API over the semantic layer: measures × dimensions × period × filters → rows, with subtotals,
"Top N + 其他", scoping to the user's warehouses and cost masking.

    run(company, Query(measures=["revenue", "margin"], dimensions=["region", "category_1", "month"],
                       start=…, end=…, subtotals="rollup", top=10))

One SQL statement per fact family the measures read (additive parts summed with GROUP BY; on PostgreSQL the
subtotals in the same statement with GROUPING SETS, on SQLite the finest level in one statement and the subtotals
summed from its rows); ratios are computed from the summed parts afterwards; distinct counts with a statement per
level; "last value" measures from the month-end checkpoints plus the days after them, carried through the period's
buckets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from django.db import connection
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import ValidationFailed
from openjxc.reports.facts.months import as_date
from openjxc.reports.labels import OTHER, labels_for
from openjxc.reports.models import FactCursor
from openjxc.reports.querysql import (
    ancestors,
    bucket_of,
    column_of,
    joins_of,
    p,
    partner_as_of,
    period_source,
    stock_as_of,
    subtree,
)
from openjxc.reports.rollups import Rollup, navigate
from openjxc.reports.semantic import ADDITIVE, DIMENSIONS, DISTINCT, LAST, MEASURES, RATIO, parts_of

MAX_ROWS = 5000
MAX_DAYS = 366 * 5 + 2


@dataclass
class Query:
    measures: list[str]
    dimensions: list[str] = field(default_factory=list)
    start: dt.date | None = None
    end: dt.date | None = None
    filters: dict[str, list] = field(default_factory=dict)
    subtotals: str = "none"  # none | rollup | cube
    top: int | None = None  # keep the first dimension's top N values, the rest as one "其他"
    top_by: str | None = None  # the measure ranking them (default: the first)
    warehouse_ids: frozenset[int] | None = None  # the user's scope (None: every warehouse)
    show_cost: bool = True


@dataclass
class Row:
    keys: tuple  # one value per dimension; None where this row is a subtotal over that dimension
    values: dict[str, Decimal | None]
    subtotal: bool = False
    labels: tuple = ()


@dataclass
class Result:
    dimensions: list[str]
    measures: list[str]
    rows: list[Row]
    masked: list[str]
    truncated: bool = False


def _check(q: Query) -> None:
    for name in q.measures:
        if name not in MEASURES:
            raise ValidationFailed(field="measures", reason=_("has an unknown measure %(name)s") % {"name": name})
    for name in q.dimensions:
        if name not in DIMENSIONS:
            raise ValidationFailed(field="dimensions", reason=_("has an unknown dimension %(name)s") % {"name": name})
    if len(set(q.dimensions)) != len(q.dimensions) or len(q.dimensions) > 4:
        raise ValidationFailed(field="dimensions", reason=_("must be at most four different dimensions"))
    if sum(1 for d in q.dimensions if DIMENSIONS[d].grain) > 1:
        raise ValidationFailed(field="dimensions", reason=_("may hold one date dimension"))
    for name in q.filters:
        if name not in DIMENSIONS or DIMENSIONS[name].grain:
            raise ValidationFailed(field="filters", reason=_("has an unknown dimension %(name)s") % {"name": name})
    if not q.measures:
        raise ValidationFailed(field="measures", reason=_("must name at least one measure"))
    if q.start is None or q.end is None or q.end < q.start or (q.end - q.start).days > MAX_DAYS:
        raise ValidationFailed(field="end", reason=_("must be a period of at most five years"))
    if q.subtotals not in ("none", "rollup", "cube"):
        raise ValidationFailed(field="subtotals", reason=_("must be none, rollup or cube"))
    for name in q.measures:
        families = {MEASURES[x].family for x in parts_of(name)}
        for d in [*q.dimensions, *q.filters]:
            if not all(f in DIMENSIONS[d].families for f in families):
                raise ValidationFailed(field="dimensions", reason=_("%(dim)s does not apply to %(measure)s")
                                       % {"dim": d, "measure": name})
        if MEASURES[name].kind == LAST and "flow" in q.dimensions:
            raise ValidationFailed(field="dimensions", reason=_("a balance has no movement type"))


def grouping_sets(n: int, subtotals: str) -> list[tuple[int, ...]]:
    """The dimension positions kept by each level: all of them first, then the subtotals."""
    full = tuple(range(n))
    if subtotals == "rollup":
        return [full[:k] for k in range(n, -1, -1)]
    if subtotals == "cube":
        return [c for k in range(n, -1, -1) for c in combinations(full, k)]
    return [full]


def _where(company_id: int, family: str, q: Query, rollup: Rollup | None = None) -> tuple[list[str], list]:
    conds, params = [], []
    for name, values in q.filters.items():
        d = DIMENSIONS[name]
        values = [v for v in values if v is not None]
        if d.tree:
            values = subtree(company_id, d.tree, [int(v) for v in values])
            col = column_of(DIMENSIONS[d.tree], family, rollup)  # the leaf: i.category_id, p.region_id
        elif d.joins and d.name == "store":
            col = "f.warehouse_id"
        else:
            col = column_of(d, family)
        if not values:
            conds.append("1 = 0")
            continue
        conds.append(f"{col} IN ({', '.join(['%s'] * len(values))})")
        params += values
    if q.warehouse_ids is not None and family != "partner":
        ids = sorted(q.warehouse_ids) or [0]
        conds.append(f"f.warehouse_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    return conds, params


def aggregate(company_id: int, family: str, source: tuple[str, list], dims: list, exprs: list[str],
              q: Query, sets: list[tuple[int, ...]], head_params: list | None = None,
              rollup: Rollup | None = None) -> dict[tuple, list[int]]:
    """{(set index, key values…): [sum per expr]} over `source`, grouped by each set of dimension positions.
    `head_params`: the parameters of placeholders in `exprs` (they come before the source's). `rollup`: the
    narrower roll-up `source` reads (its own columns replace joins)."""
    dobjs = [DIMENSIONS[d] for d in dims]
    filter_dims = [DIMENSIONS[d] for d in q.filters]
    join_sql, join_params, _ctes = joins_of(dobjs + filter_dims, family, rollup)
    cols = [column_of(d, family, rollup) for d in dobjs]
    conds, where_params = _where(company_id, family, q, rollup)
    src_sql, src_params = source
    # PostgreSQL sums bigints as numeric, which the driver hands back as Decimal objects (nine per row of an
    # ageing statement: half its time); every figure is an integer in a fixed scale, so ask for bigints
    total = "CAST(SUM({}) AS BIGINT)" if connection.vendor == "postgresql" else "SUM({})"
    sums = ", ".join(total.format(e) for e in exprs)
    base = f"FROM {src_sql} {join_sql}" + (f" WHERE {' AND '.join(conds)}" if conds else "")
    params = [*(head_params or []), *src_params, *join_params, *where_params]
    # tree levels: grouped by the leaf in SQL (a join to a mapping made SQLite scan it per row), then each leaf
    # is replaced by its ancestor at the level and the sums of leaves with one ancestor are added up
    levels = {i: ancestors(company_id, d.tree, d.level) for i, d in enumerate(dobjs) if d.tree and d.level}
    out: dict[tuple, list[int]] = {}

    dates = [i for i, d in enumerate(dobjs) if d.grain]

    def put(n: int, key: tuple, values) -> None:
        values = [int(v) if v else 0 for v in values]
        if dates:  # SQLite hands dates back as text
            key = tuple(as_date(k) if i in dates else k for i, k in enumerate(key))
        if not levels:  # GROUP BY made the keys unique already
            out[(n, *key)] = values
            return
        key = tuple(levels[i].get(k, k) if i in levels and k is not None else k for i, k in enumerate(key))
        acc = out.get((n, *key))
        out[(n, *key)] = values if acc is None else [a + b for a, b in zip(acc, values, strict=True)]

    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and len(sets) > 1:
            select = ", ".join(cols + [f"GROUPING({', '.join(cols)})" if cols else "0"])
            gs = ", ".join("(" + ", ".join(cols[i] for i in s) + ")" for s in sets)
            cur.execute(f"SELECT {select}, {sums} {base} GROUP BY GROUPING SETS ({gs})", params)
            bits = {sum(1 << (len(cols) - 1 - i) for i in range(len(cols)) if i not in s): n
                    for n, s in enumerate(sets)}
            for row in cur.fetchall():
                n = bits[row[len(cols)]]
                put(n, tuple(row[i] if i in sets[n] else None for i in range(len(cols))), row[len(cols) + 1:])
            return out
        if len(sets) == 1:
            kept = [cols[i] for i in sets[0]]
            select = ", ".join(kept + [sums])
            group = f" GROUP BY {', '.join(kept)}" if kept else ""
            cur.execute(f"SELECT {select} {base}{group}", params)
            for row in cur.fetchall():
                it = iter(row[:len(kept)])
                put(0, tuple(next(it) if i in sets[0] else None for i in range(len(cols))), row[len(kept):])
            return out
        # SQLite has no GROUPING SETS: the finest grouping once, every set summed from it here (the expressions
        # are sums, so a subtotal is the sum of its rows) instead of one pass over the facts per set
        select = ", ".join(cols + [sums]) if cols else sums
        group = f" GROUP BY {', '.join(cols)}" if cols else ""
        cur.execute(f"SELECT {select} {base}{group}", params)
        finest = cur.fetchall()
    for n, s in enumerate(sets):
        acc: dict[tuple, list[int]] = {}
        for row in finest:
            key = tuple(row[i] if i in s else None for i in range(len(cols)))
            values = [int(v) if v else 0 for v in row[len(cols):]]
            prior = acc.get(key)
            acc[key] = values if prior is None else [a + b for a, b in zip(prior, values, strict=True)]
        if not s and not acc:  # as SQL's SUM without GROUP BY: one total row, also over no rows
            acc[(None,) * len(cols)] = [0] * len(exprs)
        for key, values in acc.items():
            put(n, key, values)
    return out


def norm(value):
    """Keys as Python values: dates from SQLite text, ids as ints."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return as_date(value)
    return value


def navigated(company_id: int, family: str, q: Query, dims: list[str], exprs: list[str], start: dt.date,
              end: dt.date) -> tuple[tuple[str, list], Rollup | None]:
    """(period source, the roll-up it reads or None) for these dimensions and expressions: whole months from the
    narrowest roll-up that has what they, the filters and the warehouse scope read (reports/rollups.py)."""
    fine = any(DIMENSIONS[d].grain in ("day", "week") for d in dims)
    rollup = navigate(company_id, family, dims, list(q.filters), q.warehouse_ids is not None, exprs, fine)
    return period_source(family, company_id, start, end, fine, rollup), rollup


def _additive(company, q: Query, family: str, parts: list[str], sets) -> dict[tuple, dict[str, int]]:
    exprs = [MEASURES[m].sql for m in parts]
    source, rollup = navigated(company.pk, family, q, q.dimensions, exprs, q.start, q.end)
    sums = aggregate(company.pk, family, source, q.dimensions, exprs, q, sets, rollup=rollup)
    return {key: dict(zip(parts, v, strict=True)) for key, v in sums.items()}


def _distinct(company, q: Query, name: str, sets) -> dict[tuple, dict[str, int]]:
    """Per level: how many items have `name`'s expression summed over the period above zero."""
    m = MEASURES[name]
    source, rollup = navigated(company.pk, m.family, q, [*q.dimensions, "item"], [m.sql], q.start, q.end)
    out: dict[tuple, dict[str, int]] = {}
    for n, s in enumerate(sets):
        dims = [q.dimensions[i] for i in s]
        inner = aggregate(company.pk, m.family, source, [*dims, "item"], [m.sql], q,
                           [tuple(range(len(dims) + 1))], rollup=rollup)
        counts: dict[tuple, int] = defaultdict(int)
        for key, (total,) in inner.items():
            if total > 0:
                counts[tuple(norm(k) for k in key[1:-1])] += 1
        for key, c in counts.items():
            full = iter(key)
            out[(n, *(next(full) if i in s else None for i in range(len(q.dimensions))))] = {name: c}
    return out


def _last(company, q: Query, parts: list[str], sets) -> dict[tuple, dict[str, int]]:
    """Balances at the end of each date bucket (or of the period): the opening balance carried through the
    period's changes bucket by bucket."""
    family = MEASURES[parts[0]].family
    exprs = [MEASURES[m].sql for m in parts]
    date_pos = next((i for i, d in enumerate(q.dimensions) if DIMENSIONS[d].grain), None)
    state = FactCursor.objects.filter(company=company).values_list("closed_through", flat=True).first()

    def as_of(day: dt.date, dims: list[str], level_sets) -> dict[tuple, list[int]]:
        src = stock_as_of(company.pk, day, state) if family == "stock" else partner_as_of(company.pk, day)
        return aggregate(company.pk, family, src, dims, exprs, q, level_sets)

    out: dict[tuple, dict[str, int]] = {}
    if date_pos is None:
        for key, v in as_of(q.end, q.dimensions, sets).items():
            out[tuple(norm(k) for k in key)] = dict(zip(parts, v, strict=True))
        return out
    grain = DIMENSIONS[q.dimensions[date_pos]].grain
    buckets = sorted({bucket_of(grain, q.start + dt.timedelta(days=n)) for n in range((q.end - q.start).days + 1)})
    for n, s in enumerate(sets):
        kept = [i for i in s if i != date_pos]
        kept_dims = [q.dimensions[i] for i in kept]
        opening = as_of(q.start - dt.timedelta(days=1), kept_dims, [tuple(range(len(kept)))])
        running: dict[tuple, list[int]] = {tuple(norm(k) for k in key[1:]): list(v) for key, v in opening.items()}
        if date_pos in s:
            fine = grain in ("day", "week")
            src = period_source(family, company.pk, q.start, q.end, fine)
            changes = aggregate(company.pk, family, src, [*kept_dims, q.dimensions[date_pos]], exprs, q,
                                 [tuple(range(len(kept) + 1))])
            by_bucket: dict = defaultdict(dict)
            for key, v in changes.items():
                by_bucket[norm(key[-1])][tuple(norm(k) for k in key[1:-1])] = v
            for b in buckets:
                for k, v in by_bucket.get(b, {}).items():
                    acc = running.setdefault(k, [0] * len(exprs))
                    for i, x in enumerate(v):
                        acc[i] += x
                for k, v in running.items():
                    if any(v):
                        full = list(k)
                        key = [None] * len(q.dimensions)
                        for pos, val in zip(kept, full, strict=True):
                            key[pos] = val
                        key[date_pos] = b
                        out[(n, *key)] = dict(zip(parts, v, strict=True))
        else:
            closing = as_of(q.end, kept_dims, [tuple(range(len(kept)))])
            for key, v in closing.items():
                vals = [norm(k) for k in key[1:]]
                full = [None] * len(q.dimensions)
                for pos, val in zip(kept, vals, strict=True):
                    full[pos] = val
                out[(n, *full)] = dict(zip(parts, v, strict=True))
    return out


def _value(name: str, parts: dict[str, int]) -> Decimal | None:
    m = MEASURES[name]
    if m.kind == RATIO:
        num, den = _value(m.numerator, parts), _value(m.denominator, parts)
        if num is None or den is None or den == 0:
            return None
        return (num / den * m.factor).quantize(Decimal("0.0001"))
    raw = parts.get(name)
    if raw is None:
        return None if m.kind == DISTINCT else Decimal(0)
    if m.scale == 1:
        return Decimal(raw)
    return (Decimal(raw) / m.scale).quantize(Decimal(1) / m.scale)


def _rank(name: str, parts: dict[str, int]) -> float:
    """A measure's value as a float, for ordering only (no Decimal arithmetic per candidate)."""
    m = MEASURES[name]
    if m.kind == RATIO:
        num, den = _rank(m.numerator, parts), _rank(m.denominator, parts)
        return num / den if den else float("-inf")
    raw = parts.get(name)
    return float("-inf") if raw is None else raw / m.scale


def _fold_top(q: Query, cells: dict[tuple, dict[str, int]], n_sets: int) -> dict[tuple, dict[str, int]]:
    """Keep the first dimension's `q.top` values by `q.top_by` (over the detail rows); fold the rest into OTHER."""
    by = q.top_by or q.measures[0]
    totals: dict = defaultdict(lambda: defaultdict(int))
    for key, parts in cells.items():
        if key[0] == 0:
            for k, v in parts.items():
                totals[key[1]][k] += v
    ranked = sorted(totals, key=lambda v: _rank(by, totals[v]), reverse=True)
    keep = set(ranked[:q.top])
    if len(ranked) <= q.top:
        return cells
    out: dict[tuple, dict[str, int]] = {}
    for key, parts in cells.items():
        value = key[1]
        if value is not None and value not in keep:
            key = (key[0], OTHER, *key[2:])
            acc = out.setdefault(key, {})
            for k, v in parts.items():
                if MEASURES[k].kind == DISTINCT:
                    acc[k] = None
                elif acc.get(k, 0) is not None:
                    acc[k] = acc.get(k, 0) + v
        else:
            out[key] = dict(parts)
    return out


def run(company, q: Query) -> Result:
    """The rows of `q` for `company`: detail rows first, then subtotals (keys None where rolled up)."""
    _check(q)
    sets = grouping_sets(len(q.dimensions), q.subtotals)
    masked = [m for m in q.measures if MEASURES[m].cost and not q.show_cost]
    wanted = [m for m in q.measures if m not in masked]
    cells: dict[tuple, dict[str, int]] = defaultdict(dict)
    additive: dict[str, list[str]] = defaultdict(list)
    for name in wanted:
        m = MEASURES[name]
        if m.kind == DISTINCT:
            for key, v in _distinct(company, q, name, sets).items():
                cells[key].update(v)
            continue
        if m.kind == LAST:
            for key, v in _last(company, q, [name], sets).items():
                cells[key].update(v)
            continue
        for part in parts_of(name):
            fam = MEASURES[part].family
            if MEASURES[part].kind == ADDITIVE and part not in additive[fam]:
                additive[fam].append(part)
    for family, parts in additive.items():
        for key, v in _additive(company, q, family, parts, sets).items():
            cells[key].update(v)
    if q.top and q.dimensions and not DIMENSIONS[q.dimensions[0]].grain:
        cells = _fold_top(q, cells, len(sets))
    # a cell whose figures all came to nothing (a sale and its void) is left out; the grand total always stays
    cells = {k: v for k, v in cells.items() if any(v.values()) or all(x is None for x in k[1:])}
    ordered = sorted(cells.items(), key=lambda kv: (kv[0][0], [_sort(v) for v in kv[0][1:]]))
    truncated = len(ordered) > MAX_ROWS
    rows = [Row(keys=key[1:], values={m: (None if m in masked else _value(m, parts)) for m in q.measures},
                subtotal=key[0] > 0) for key, parts in ordered[:MAX_ROWS]]
    labels = labels_for(company, q.dimensions, rows)
    for row in rows:
        row.labels = tuple(labels[i].get(k, "" if k is None else str(k)) for i, k in enumerate(row.keys))
    return Result(dimensions=list(q.dimensions), measures=list(q.measures), rows=rows, masked=masked,
                  truncated=truncated)


def _sort(value):
    if value is None:
        return (2, "")
    if value == OTHER:
        return (1, "")
    return (0, value.isoformat() if isinstance(value, dt.date) else value)


__all__ = ["OTHER", "Query", "Result", "Row", "grouping_sets", "p", "run"]
