"""The narrow monthly sales roll-ups (decision 0024): SalesItemMonth (month, warehouse, item) and
SalesCategoryMonth (month, warehouse, customer, category), kept by the consumer from a batch's sales deltas in the
batch's transaction and rebuilt set-based from SalesMonth (itself SalesDay by month, checked).

A category row holds an item's sales under the category SalesCategoryItem records for it, never a category looked
up later. A re-categorised item (catalog `update_item` writes an `item.updated` event, but any change of
`catalog_item.category_id` counts, event or not) is found by every batch — also a batch with no events, which the
worker's minute task runs for every company — and its sums are moved from the recorded category to the current
one, set-based from SalesMonth (which keeps the item), before the batch's own deltas are added under it. Until
then readers see the difference and read the other roll-ups (reports/rollups.py).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from openjxc.reports.facts.months import first_of
from openjxc.reports.facts.rebuild_sql import run, summed
from openjxc.reports.facts.upsert import add_rows
from openjxc.reports.models import SalesCategoryMonth, SalesItemMonth

CHUNK = 200  # re-categorised items moved per statement (SQLite: at most 500 terms in a compound SELECT)
SUMS = ("qty", "revenue", "tax", "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost")
MOVED = ("SELECT r.item_id, r.category_id AS old, COALESCE(i.category_id, 0) AS new "
         "FROM reports_salescategoryitem r JOIN catalog_item i ON i.id = r.item_id "
         "WHERE r.company_id = %s AND r.category_id <> COALESCE(i.category_id, 0)")


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def recategorised(company_id: int, *, limit: int | None = None) -> list[tuple[int, int, int]]:
    """(item, recorded category, current category) of the items whose SalesCategoryMonth rows are under another
    category than the item's current one."""
    return [tuple(r) for r in _rows(MOVED + (f" LIMIT {int(limit)}" if limit else ""), [company_id])]


def move_recategorised(company_id: int) -> int:
    """Move the sums of every re-categorised item from its recorded category to its current one (from its
    SalesMonth rows, one grouped statement per CHUNK items) and record the new category; rows written."""
    moved = recategorised(company_id)
    n = 0
    for at in range(0, len(moved), CHUNK):
        n += _move(company_id, moved[at:at + CHUNK])
    return n


def _move(company_id: int, moved: list[tuple[int, int, int]]) -> int:
    items = [m[0] for m in moved]
    marks = ", ".join(["%s"] * len(items))
    # per item: its recorded category with sign -1, its current one with +1
    signs = " UNION ALL ".join(["SELECT %s AS item_id, %s AS category_id, %s AS sign"] * (2 * len(moved)))
    sign_params = [v for item, old, new in moved for v in (item, old, -1, item, new, 1)]
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(s)} = reports_salescategorymonth.{q(s)} + EXCLUDED.{q(s)}" for s in SUMS)
    n = run_params(
        f"INSERT INTO reports_salescategorymonth (company_id, month, warehouse_id, customer_id, category_id, "
        f"{', '.join(SUMS)}) SELECT %s, m.month, m.warehouse_id, m.customer_id, x.category_id, "
        f"{', '.join(f'SUM(x.sign * m.{s})' for s in SUMS)} FROM reports_salesmonth m "
        f"JOIN ({signs}) AS x ON x.item_id = m.item_id WHERE m.company_id = %s AND m.item_id IN ({marks}) "
        f"GROUP BY m.month, m.warehouse_id, m.customer_id, x.category_id "
        f"ON CONFLICT (company_id, month, warehouse_id, customer_id, category_id) DO UPDATE SET {sets}",
        [company_id, *sign_params, company_id, *items])
    olds = sorted({m[1] for m in moved})
    zero = " AND ".join(f"{s} = 0" for s in SUMS)
    run_params(f"DELETE FROM reports_salescategorymonth WHERE company_id = %s AND category_id IN "
               f"({', '.join(['%s'] * len(olds))}) AND {zero}", [company_id, *olds])
    cases = " ".join(["WHEN %s THEN %s"] * len(moved))
    run_params(f"UPDATE reports_salescategoryitem SET category_id = CASE item_id {cases} END "
               f"WHERE company_id = %s AND item_id IN ({marks})",
               [*(v for item, _old, new in moved for v in (item, new)), company_id, *items])
    return n + len(moved)


def run_params(sql: str, params: list) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


def categories_of(company_id: int, items: set[int]) -> dict[int, int]:
    """The recorded category of each of `items`; an item not recorded yet is recorded under its current one."""
    if not items:
        return {}
    ids = sorted(items)
    marks = ", ".join(["%s"] * len(ids))
    run_params(f"INSERT INTO reports_salescategoryitem (company_id, item_id, category_id) "
               f"SELECT %s, i.id, COALESCE(i.category_id, 0) FROM catalog_item i WHERE i.id IN ({marks}) "
               f"ON CONFLICT (company_id, item_id) DO NOTHING", [company_id, *ids])
    return dict(_rows(f"SELECT item_id, category_id FROM reports_salescategoryitem WHERE company_id = %s "
                      f"AND item_id IN ({marks})", [company_id, *ids]))


def add_sales_rollups(company_id: int, sales: dict[tuple, list[int]]) -> int:
    """Add a batch's SalesDay deltas ((day, wh, item, customer, salesperson, channel) -> sums) to both roll-ups,
    re-categorised items moved first; rows written."""
    c = company_id
    n = move_recategorised(c)
    if not sales:
        return n
    cats = categories_of(c, {k[2] for k in sales})
    width = len(SUMS)
    by_item: dict[tuple, list[int]] = defaultdict(lambda: [0] * width)
    by_category: dict[tuple, list[int]] = defaultdict(lambda: [0] * width)
    for (day, wh, item, customer, _sp, _ch), v in sales.items():
        month = first_of(day)
        for acc in (by_item[(c, month, wh, item)], by_category[(c, month, wh, customer, cats.get(item, 0))]):
            for i in range(width):
                acc[i] += v[i]
    n += add_rows(SalesItemMonth, ("company", "month", "warehouse_id", "item_id"), SUMS, by_item)
    n += add_rows(SalesCategoryMonth, ("company", "month", "warehouse_id", "customer_id", "category_id"), SUMS,
                  by_category)
    return n


# ---------------------------------------------------------------- the rebuild (after SalesMonth)


def item_months(values: dict) -> int:
    return summed("reports_salesitemmonth", "month, warehouse_id, item_id", SUMS,
                  "reports_salesmonth WHERE company_id = %(c)s", values)


def category_items(values: dict) -> int:
    """Every item with sales, under its current category."""
    return run("INSERT INTO reports_salescategoryitem (company_id, item_id, category_id) "
               "SELECT %(c)s, i.id, COALESCE(i.category_id, 0) FROM catalog_item i WHERE i.id IN "
               "(SELECT DISTINCT item_id FROM reports_salesmonth WHERE company_id = %(c)s) ORDER BY i.id", values)


def category_months(values: dict) -> int:
    return summed("reports_salescategorymonth", "month, warehouse_id, customer_id, category_id", SUMS,
                  "(SELECT m.*, r.category_id FROM reports_salesmonth m JOIN reports_salescategoryitem r "
                  "ON r.company_id = m.company_id AND r.item_id = m.item_id WHERE m.company_id = %(c)s) AS x",
                  values)
