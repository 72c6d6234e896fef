"""The evaluator that watches sales: slow movers (an item that sold regularly and now sells much less)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db.models import Case, DecimalField, Q, Sum, When

from openjxc.core import clock
from openjxc.core.quantities import ZERO, qty
from openjxc.stock.models import Location, LocationKind, StockMove

from ..rule_models import AlertKind
from . import DEFAULT_PARAMS, Finding, Scope, quantity_text

# A faster reader of the same series registered by a higher layer (reports: its sales facts, read by day, with the
# days its consumer has not reached read from the moves); it answers None when it cannot (no facts yet, a long lag)
FasterSource = Callable[[Scope, dt.date, int, Callable[[set[dt.date]], dict]], dict | None]
FASTER: list[FasterSource] = []


def register_source(source: FasterSource) -> None:
    """Read the weekly sales through `source` (reports' facts, from ReportsConfig.ready) before the moves."""
    FASTER[:] = [source]


def weekly_sales(scope: Scope, weeks: int) -> dict[tuple[int, int], list[Decimal]]:
    """(item, warehouse) -> net quantity sold in each of the last `weeks` complete 7-day windows, oldest first.

    Sales are moves from a stocked location to the customers' location; returns (the other way) are
    subtracted. The windows end yesterday, so a half-finished day never looks like a slump. Read from the
    registered faster source when there is one and it can answer (decision 0025), else from the moves."""
    today = scope.today or clock.today()
    start = today - dt.timedelta(days=7 * weeks)
    for source in FASTER:
        found = source(scope, start, weeks, lambda days: weekly_sales_from_moves(scope, start, weeks, days))
        if found is not None:
            return found
    return weekly_sales_from_moves(scope, start, weeks)


def weekly_sales_from_moves(scope: Scope, start: dt.date, weeks: int,
                            days: set[dt.date] | None = None) -> dict[tuple[int, int], list[Decimal]]:
    """The same from the moves dated in the `weeks` windows from `start` (only on `days`, when given)."""
    end = start + dt.timedelta(days=7 * weeks)
    dec = DecimalField(max_digits=18, decimal_places=4)

    def buckets():
        return {f"w{k}": Sum(Case(When(business_on__gte=start + dt.timedelta(days=7 * k),
                                       business_on__lt=start + dt.timedelta(days=7 * (k + 1)), then="quantity"),
                                  default=0, output_field=dec)) for k in range(weeks)}

    # One pass over the (company, business_on) index: the moves to or from the customers' location grouped by
    # item and the two locations, the locations mapped to warehouses here (a few rows per company) instead of two
    # joined passes (issue 15: 12.6 s → see docs/benchmarks.md at 10 M moves)
    where = dict(Location.objects.filter(company_id=scope.company_id).values_list("id", "warehouse_id"))
    customers = set(Location.objects.filter(company_id=scope.company_id, kind=LocationKind.CUSTOMER)
                    .values_list("id", flat=True))
    out: dict[tuple[int, int], list[Decimal]] = {}
    if not customers or days == set():
        return out
    moves = StockMove.objects.filter(company_id=scope.company_id, business_on__gte=start, business_on__lt=end)
    if days is not None:
        moves = moves.filter(business_on__in=sorted(days))
    rows = (moves.filter(scope.item_filter())
            .filter(Q(to_location_id__in=customers) | Q(from_location_id__in=customers))
            .values_list("item_id", "from_location_id", "to_location_id").annotate(**buckets()))
    for row in rows:
        frm, to = row[1], row[2]
        if (frm in customers) == (to in customers):
            continue  # (a move between two customer locations sells nothing)
        sign, wh = (1, where.get(frm)) if to in customers else (-1, where.get(to))
        if scope.warehouse_id and wh != scope.warehouse_id:
            continue
        series = out.setdefault((row[0], wh), [ZERO] * weeks)
        for k in range(weeks):
            series[k] += sign * qty(row[3 + k] or 0)
    return out


def is_slow(series: list[Decimal], *, drop_pct, weeks_running: int, min_weekly,
            min_selling_weeks: int = 0) -> Decimal | None:
    """Pure: the drop (in %) of the latest week when each of the last `weeks_running` weeks sold more than
    `drop_pct` % less than the average week before them; None when the item is not slowing down — also when
    it sold in fewer than `min_selling_weeks` of the weeks before (irregular sales, not a trend)."""
    baseline_weeks = series[:-weeks_running]
    recent = series[-weeks_running:]
    if not baseline_weeks:
        return None
    if sum(1 for w in baseline_weeks if w > 0) < min(int(min_selling_weeks), len(baseline_weeks)):
        return None
    baseline = sum(baseline_weeks, ZERO) / len(baseline_weeks)
    if baseline < Decimal(str(min_weekly)) or baseline <= 0:
        return None
    limit = baseline * (1 - Decimal(str(drop_pct)) / 100)
    if all(w < limit for w in recent):
        return ((baseline - recent[-1]) / baseline * 100).quantize(Decimal("0.1"))
    return None


def slow_mover(scope: Scope, params: dict) -> dict[str, Finding]:
    """Sales down more than `drop_pct` % for `weeks_running` weeks running against the `baseline_weeks` before."""
    p = {**DEFAULT_PARAMS[AlertKind.SLOW_MOVER], **params}
    running, base = int(p["weeks_running"]), int(p["baseline_weeks"])
    out = {}
    for (item, wh), series in weekly_sales(scope, running + base).items():
        drop = is_slow(series, drop_pct=p["drop_pct"], weeks_running=running, min_weekly=p["min_weekly"],
                       min_selling_weeks=p["min_selling_weeks"])
        if drop is not None:
            subject = f"iw:{item}:{wh}"
            out[subject] = Finding(subject, drop, item_id=item, warehouse_id=wh,
                                   data={"weekly": [quantity_text(w) for w in series], "drop_pct": str(drop)})
    return out


EVALUATORS = {AlertKind.SLOW_MOVER: slow_mover}
