"""The slow-mover rule's weekly sales read from the sales facts (issue 15; decision 0025), registered with the alerts
app at start-up (alerts/rules/sales.py: register_source).

Net quantity sold per (item, warehouse) and 7-day window: SalesDay's qty − return_qty, which equal the moves to the
customers' location less the moves back on the same day and warehouse (deliveries and returns are the only kinds
that move stock to or from it; a void counts on its reversal moves' day, as those moves do). The rows of a range of
days are read from one index in day order (decision 0028), where the moves of the same days are spread over the heap.

The days the consumer has not reached — the business days of the moves that stock events after its cursor wrote
(movecounts.pending_days, as the home page's counts do, decision 0018) — are read from the moves instead, whole: a
day is never half facts, half moves. Without a cursor (facts never built) or with a lag too long to list, the rule
reads the moves as before (None here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, When

from openjxc.alerts.rules import Scope
from openjxc.catalog.models import Category, Item
from openjxc.core.quantities import ZERO
from openjxc.reports.facts.movecounts import pending_days
from openjxc.reports.models import QTY_SCALE, FactCursor, SalesDay

_PLACES = 1 - len(str(QTY_SCALE))  # the facts' integer quantities are units of 10^_PLACES
assert 10 ** -_PLACES == QTY_SCALE


def _items(scope: Scope) -> Q:
    """The rule's item filter on the facts' plain item_id column."""
    q = Q()
    if scope.item_id:
        q &= Q(item_id=scope.item_id)
    if scope.items is not None:
        q &= Q(item_id__in=scope.items)
    if scope.category_id:
        path = Category.objects.filter(pk=scope.category_id).values_list("path", flat=True).first() or ""
        cats = Q(category__path__startswith=path) if path else Q(category_id=scope.category_id)
        q &= Q(item_id__in=Item.objects.filter(cats, company_id=scope.company_id).values("pk"))
    return q


def weekly_sales(scope: Scope, start: dt.date, weeks: int,
                 from_moves: Callable[[set[dt.date]], dict]) -> dict[tuple[int, int], list[Decimal]] | None:
    """(item, warehouse) -> net quantity sold in each of the `weeks` 7-day windows from `start`: the facts, with the
    days the consumer has not reached from the moves (`from_moves(days)`); None when the facts cannot answer."""
    cursor = FactCursor.objects.filter(company_id=scope.company_id).values_list("cursor", flat=True).first()
    if cursor is None:
        return None
    end = start + dt.timedelta(days=7 * weeks)
    pending = pending_days(scope.company_id, cursor, start, end - dt.timedelta(days=1))
    if pending is None:
        return None
    net = F("qty") - F("return_qty")
    buckets = {f"w{k}": Sum(Case(When(day__gte=start + dt.timedelta(days=7 * k),
                                      day__lt=start + dt.timedelta(days=7 * (k + 1)), then=net),
                                 default=0, output_field=IntegerField())) for k in range(weeks)}
    rows = SalesDay.objects.filter(_items(scope), company_id=scope.company_id, day__gte=start, day__lt=end)
    if scope.warehouse_id:
        rows = rows.filter(warehouse_id=scope.warehouse_id)
    if pending:
        rows = rows.exclude(day__in=sorted(pending))
    out: dict[tuple[int, int], list[Decimal]] = {}
    # ~40,000 rows at 10 M moves (decision 0028): read as the database returns them (no per-value converters), each
    # integer sum shifted by the scale's exponent, which is exact and gives qty()'s four places
    sql, params = rows.order_by().values_list("item_id", "warehouse_id").annotate(**buckets).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # a rule evaluated every few minutes beside the requests: no parallel workers (on two busy cores they made
            # this grouping 1.5–2× slower at 10 M moves) and its hash aggregate in memory, for this transaction only
            # (the rule's evaluation; decision 0028)
            cur.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                        "set_config('work_mem', '32MB', true)")
        cur.execute(sql, params)
        for row in cur.fetchall():
            out[(row[0], row[1])] = [Decimal(v or 0).scaleb(_PLACES) for v in row[2:]]
    if pending:
        for key, series in from_moves(pending).items():
            mine = out.setdefault(key, [ZERO] * weeks)
            for k in range(weeks):
                mine[k] += series[k]
    return out
