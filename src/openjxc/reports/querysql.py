"""SQL pieces of the query layer: fact sources for a period or a date, date buckets, joins, category and region
trees. Engine-specific text lives here only (PostgreSQL and SQLite date arithmetic differ)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from openjxc.catalog.models import Category, CustomerGroup
from openjxc.partners.models import Region
from openjxc.reports.facts.months import first_of, last_of, next_month, previous_month
from openjxc.reports.rollups import Rollup
from openjxc.reports.semantic import FAMILIES, PARTNER_COLUMN, Dimension

# the columns of each family's rows, shared by its day table and its month roll-up
COLUMNS = {
    "sales": ("warehouse_id", "item_id", "customer_id", "salesperson_id", "channel", "qty", "revenue", "tax",
              "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost"),
    "tickets": ("warehouse_id", "customer_id", "salesperson_id", "channel", "tickets", "returns"),
    "purchases": ("warehouse_id", "item_id", "supplier_id", "qty", "amount", "tax", "return_qty", "return_amount"),
    "stock": ("warehouse_id", "item_id", "flow", "qty_in", "qty_out", "value_in", "value_out"),
    "partner": ("book", "partner_id", "due_on", "debit", "credit", "settled", "applied"),
}


def p(day: dt.date):
    """A date parameter as the engine takes it."""
    return day if connection.vendor == "postgresql" else day.isoformat()


def bucket(grain: str, column: str = "f.day") -> str:
    """SQL: the first day of `column`'s day / week (Monday) / month / quarter / year."""
    if grain == "day":
        return column
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('{grain}', {column}) AS date)"
    return {
        "week": f"date({column}, '-6 days', 'weekday 1')",
        "month": f"strftime('%%Y-%%m-01', {column})",
        "quarter": (f"printf('%%04d-%%02d-01', CAST(strftime('%%Y', {column}) AS INTEGER), "
                    f"((CAST(strftime('%%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)"),
        "year": f"strftime('%%Y-01-01', {column})",
    }[grain]


def bucket_of(grain: str, day: dt.date) -> dt.date:
    """The same bucket in Python."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _period_parts(family: str, company_id: int, start: dt.date, end: dt.date, fine: bool,
                  rollup: Rollup | None = None) -> tuple[list[str], list]:
    day_table, month_table = FAMILIES[family]
    cols = ", ".join(COLUMNS[family])
    day_rows = f"SELECT day, {cols} FROM {day_table} WHERE company_id = %s AND day >= %s AND day <= %s"
    if rollup is not None and not fine:  # the days projected onto the roll-up's columns
        month_table, cols, day_rows = rollup.table, ", ".join(rollup.columns), rollup.day_rows()
    parts: list[str] = []
    params: list = []

    def days(a: dt.date, b: dt.date):
        if a <= b:
            parts.append(day_rows)
            params.extend([company_id, p(a), p(b)])

    if month_table and not fine:
        m_first = first_of(start) if start.day == 1 else next_month(start)
        m_last = first_of(end) if end == last_of(end) else previous_month(first_of(end))
        if m_first <= m_last:
            days(start, m_first - dt.timedelta(days=1))
            parts.append(f"SELECT month AS day, {cols} FROM {month_table} WHERE company_id = %s AND month >= %s "
                         f"AND month <= %s")
            params.extend([company_id, p(m_first), p(m_last)])
            days(last_of(m_last) + dt.timedelta(days=1), end)
            return parts, params
    days(start, end)
    return parts, params


def period_source(family: str, company_id: int, start: dt.date, end: dt.date, fine: bool,
                  rollup: Rollup | None = None) -> tuple[str, list]:
    """The family's rows dated in [start, end]: whole months from the monthly roll-up (unless `fine`: day or week
    buckets), the rest from the day table. Columns: day and COLUMNS[family] — or, from a narrower `rollup`
    (reports/rollups.py, chosen by `navigate`), day and the roll-up's columns."""
    parts, params = _period_parts(family, company_id, start, end, fine, rollup)
    return "(" + " UNION ALL ".join(parts) + ") AS f", params


def segmented_source(family: str, company_id: int, start: dt.date, end: dt.date, cuts) -> tuple[str, list]:
    """As `period_source` (whole months from the roll-up), but no month row straddles a cut (a day that starts a
    new segment): a condition on `f.day` that is constant between cuts gives a month row what it gives its days."""
    bounds = sorted({c for c in cuts if start < c <= end})
    parts: list[str] = []
    params: list = []
    for a, b in zip([start, *bounds], [*(c - dt.timedelta(days=1) for c in bounds), end], strict=True):
        more, values = _period_parts(family, company_id, a, b, fine=False)
        parts += more
        params += values
    return "(" + " UNION ALL ".join(parts) + ") AS f", params


def stock_as_of(company_id: int, day: dt.date, closed_through: dt.date | None) -> tuple[str, list]:
    """Stock rows whose sum is the balance at the end of `day`: the last checkpoint before `day`'s month (if
    written) and the days after it — or, when `day`'s own month has its checkpoint and fewer days follow `day` in
    it than precede it, that checkpoint less the days after `day` (rows negated, dated `day`): at most half a
    month of day rows either way. Columns as the stock family's (flow 0 for the checkpoint); only sums of
    qty_in - qty_out and value_in - value_out are balances."""
    own = first_of(day)
    if closed_through is not None and own <= closed_through and (last_of(own) - day).days < day.day:
        return ("(SELECT %s AS day, warehouse_id, item_id, 0 AS flow, qty AS qty_in, 0 AS qty_out, value AS value_in, "
                "0 AS value_out FROM reports_stockclose WHERE company_id = %s AND month = %s UNION ALL "
                "SELECT %s AS day, warehouse_id, item_id, flow, -qty_in, -qty_out, -value_in, -value_out "
                "FROM reports_stockday WHERE company_id = %s AND day > %s AND day <= %s) AS f",
                [p(day), company_id, p(own), p(day), company_id, p(day), p(last_of(own))])
    month = previous_month(first_of(day))
    if closed_through is not None and month > closed_through:
        month = closed_through
    parts, params = [], []
    since = dt.date.min
    if closed_through is not None:
        parts.append("SELECT %s AS day, warehouse_id, item_id, 0 AS flow, qty AS qty_in, 0 AS qty_out, "
                     "value AS value_in, 0 AS value_out FROM reports_stockclose WHERE company_id = %s AND month = %s")
        params += [p(day), company_id, p(month)]
        since = last_of(month)
    parts.append("SELECT day, warehouse_id, item_id, flow, qty_in, qty_out, value_in, value_out FROM reports_stockday "
                 "WHERE company_id = %s AND day > %s AND day <= %s")
    params += [company_id, p(max(since, dt.date(1, 1, 1))), p(day)]
    return "(" + " UNION ALL ".join(parts) + ") AS f", params


def partner_as_of(company_id: int, day: dt.date) -> tuple[str, list]:
    cols = ", ".join(COLUMNS["partner"])
    return (f"(SELECT %s AS day, {cols} FROM reports_partnerday WHERE company_id = %s AND day <= %s) AS f",
            [p(day), company_id, p(day)])


# ---------------------------------------------------------------- dimensions: columns, joins, trees


def column_of(dim: Dimension, family: str, rollup: Rollup | None = None) -> str:
    if rollup is not None and dim.column in rollup.own:
        return rollup.own[dim.column][0]
    if dim.grain:
        return bucket(dim.grain)
    if dim.of_partner:
        return PARTNER_COLUMN[family]
    return dim.column  # a tree level groups by the leaf here; query.aggregate maps leaves to the level after


def joins_of(dims: list[Dimension], family: str, rollup: Rollup | None = None) -> tuple[str, list, list]:
    """(JOIN clauses, their parameters, CTEs) the dimensions need over the fact rows `f` (none for a column the
    `rollup` keeps itself)."""
    needed: list[str] = []
    for d in dims:
        if rollup is not None and d.column in rollup.own:
            continue
        for j in d.joins:
            if j not in needed:
                needed.append(j)
    sql, params, ctes = [], [], []
    partner = PARTNER_COLUMN.get(family, "0")
    for j in needed:
        if j == "item":
            sql.append("JOIN catalog_item i ON i.id = f.item_id")
        elif j == "partner":
            sql.append(f"LEFT JOIN partners_partner p ON p.id = {partner}")
        elif j == "store":
            sql.append("JOIN stock_warehouse sw ON sw.id = f.warehouse_id AND sw.kind = 'store'")
        elif j == "customer_group":
            members = CustomerGroup.members.through._meta.db_table
            sql.append(f"LEFT JOIN (SELECT partner_id, MIN(customergroup_id) AS grp FROM {members} "
                       f"GROUP BY partner_id) cg ON cg.partner_id = {partner}")
    return " ".join(sql), params, ctes


def tree_parents(company_id: int, tree: str) -> dict[int, int | None]:
    model = Category if tree == "category" else Region
    return dict(model.objects.filter(company_id=company_id).values_list("id", "parent_id"))


def chain(parents: dict[int, int | None], node: int) -> list[int]:
    """The path from the root down to `node`."""
    out, seen = [], set()
    while node is not None and node not in seen:
        seen.add(node)
        out.append(node)
        node = parents.get(node)
    return out[::-1]


def ancestors(company_id: int, tree: str, level: int) -> dict[int, int]:
    """Each node of the tree -> its ancestor at `level` (1 = the root; itself when it is not that deep)."""
    parents = tree_parents(company_id, tree)
    out = {}
    for node in parents:
        path = chain(parents, node)
        out[node] = path[min(level, len(path)) - 1]
    return out


def subtree(company_id: int, tree: str, roots) -> list[int]:
    """The nodes of the tree at or below any of `roots`."""
    parents = tree_parents(company_id, tree)
    wanted = set(roots)
    return sorted(n for n in parents if wanted.intersection(chain(parents, n)))
