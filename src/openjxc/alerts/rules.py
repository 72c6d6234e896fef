"""What each alert rule watches: one evaluator per kind, set-based, returning the subjects that are in alert now.

An evaluator reads (never writes) and answers {subject: Finding}. The engine (alerts/engine.py) compares
that with the open alerts of the rule: raises the new ones, re-notifies the worse or cooled-down ones and
closes the ones no longer found. `items` narrows an evaluation to the items an event touched; an evaluator
that can't narrow (time-based kinds) ignores it and the engine then reconciles the whole rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, DecimalField, Q, Sum, When

from openjxc.catalog.models import Category, Item, ItemWarehouse
from openjxc.core import clock
from openjxc.core.quantities import ZERO, qty
from openjxc.stock.models import STOCKED_KINDS, LocationKind, StockBalance, StockMove

from .rule_models import AlertKind

DEFAULT_PARAMS: dict[str, dict] = {
    AlertKind.LOW_STOCK: {},
    AlertKind.NEGATIVE_STOCK: {},
    AlertKind.OVER_MAX: {},
    AlertKind.EXPIRING: {"days": 30},
    AlertKind.EXPIRED: {},
    AlertKind.SLOW_MOVER: {"drop_pct": 30, "weeks_running": 2, "baseline_weeks": 4, "min_weekly": 1},
    AlertKind.DEAD_STOCK: {"days": 90},
    AlertKind.COUNT_VARIANCE: {"tolerance_pct": 2},
    AlertKind.APPROVAL_OVERDUE: {},
    AlertKind.TERMINAL: {},
    AlertKind.CHANNEL_FAILING: {},
}

# kinds whose condition changes when stock moves: re-evaluated for the touched items after each posting
STOCK_KINDS = {AlertKind.LOW_STOCK, AlertKind.NEGATIVE_STOCK, AlertKind.OVER_MAX, AlertKind.EXPIRED,
               AlertKind.EXPIRING, AlertKind.DEAD_STOCK}


@dataclass
class Finding:
    subject: str
    measure: Decimal  # how bad, larger is worse (shortfall, excess, quantity at risk …)
    data: dict = field(default_factory=dict)
    item_id: int | None = None
    warehouse_id: int | None = None
    lot_id: int | None = None


@dataclass
class Scope:
    """The part of the company a rule looks at, and (for event-driven runs) the items an event touched."""

    company_id: int
    warehouse_id: int | None = None
    category_id: int | None = None
    item_id: int | None = None
    items: set[int] | None = None  # narrowed evaluation; None = every item
    today: dt.date | None = None

    @property
    def narrowed(self) -> bool:
        return self.items is not None

    def item_filter(self, prefix: str = "item") -> Q:
        q = Q()
        if self.item_id:
            q &= Q(**{f"{prefix}_id": self.item_id})
        if self.items is not None:
            q &= Q(**{f"{prefix}_id__in": self.items})
        if self.category_id:
            cat = Category.objects.filter(pk=self.category_id).values_list("path", flat=True).first() or ""
            q &= Q(**{f"{prefix}__category__path__startswith": cat}) if cat else Q(**{f"{prefix}__category_id": self.category_id})
        return q

    def warehouse_filter(self, path: str) -> Q:
        return Q(**{path: self.warehouse_id}) if self.warehouse_id else Q()


def _num(value) -> str:
    """A quantity as a JSON-friendly string without trailing zeros."""
    v = qty(value)
    return format(v.normalize(), "f") if v == v.to_integral() else format(v, "f")


def _on_hand(scope: Scope, item_ids=None) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """(item, warehouse) -> (quantity, value) summed over the warehouse's stocked locations."""
    rows = StockBalance.objects.filter(company_id=scope.company_id, location__kind__in=STOCKED_KINDS)
    rows = rows.filter(scope.item_filter()).filter(scope.warehouse_filter("location__warehouse_id"))
    if item_ids is not None:
        rows = rows.filter(item_id__in=item_ids)
    out = {}
    for item, wh, q, v in rows.values_list("item_id", "location__warehouse_id").annotate(q=Sum("quantity"), v=Sum("value")):
        out[(item, wh)] = (qty(q or 0), Decimal(v or 0).quantize(Decimal("0.01")))
    return out


def _levels(scope: Scope, **extra):
    rows = ItemWarehouse.objects.filter(company_id=scope.company_id, item__is_active=True, **extra)
    return rows.filter(scope.item_filter()).filter(scope.warehouse_filter("warehouse_id"))


def low_stock(scope: Scope, params: dict) -> dict[str, Finding]:
    """Available (on hand − reserved by confirmed sales orders) below the safety stock; suggests a purchase
    quantity that brings the position (available + on order) back up to the maximum or twice the reorder level."""
    from openjxc.documents.orders import open_quantities
    from openjxc.stock.reorder import suggested_quantity

    levels = list(_levels(scope, safety_stock__gt=0).values_list("item_id", "warehouse_id", "safety_stock",
                                                                  "reorder_point", "max_stock"))
    if not levels:
        return {}
    have = _on_hand(scope, {lv[0] for lv in levels})
    held, coming = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for _line, item, wh, left, _v in open_quantities(scope.company_id, "sales_order"):
        held[(item, wh)] += left
    for _line, item, wh, left, _v in open_quantities(scope.company_id, "purchase_order"):
        coming[(item, wh)] += left
    out = {}
    for item, wh, safety, point, top in levels:
        on_hand = have.get((item, wh), (ZERO, ZERO))[0]
        available = on_hand - held[(item, wh)]
        if available >= safety:
            continue
        position = available + coming[(item, wh)]
        suggest = suggested_quantity(position, max(qty(point), qty(safety)), top)
        out[f"iw:{item}:{wh}"] = Finding(
            f"iw:{item}:{wh}", qty(safety) - available, item_id=item, warehouse_id=wh,
            data={"on_hand": _num(on_hand), "reserved": _num(held[(item, wh)]), "available": _num(available),
                  "safety_stock": _num(safety), "on_order": _num(coming[(item, wh)]), "suggested": _num(suggest)},
        )
    return out


def negative_stock(scope: Scope, params: dict) -> dict[str, Finding]:
    """A stocked location holding less than nothing (allowed for stores whose offline sales already happened)."""
    rows = StockBalance.objects.filter(company_id=scope.company_id, location__kind__in=STOCKED_KINDS, quantity__lt=0)
    rows = rows.filter(scope.item_filter()).filter(scope.warehouse_filter("location__warehouse_id"))
    out = {}
    for item, loc, wh, lot, q in rows.values_list("item_id", "location_id", "location__warehouse_id", "lot_id",
                                                  "quantity"):
        subject = f"il:{item}:{loc}:{lot or 0}"
        out[subject] = Finding(subject, -qty(q), item_id=item, warehouse_id=wh, lot_id=lot,
                               data={"quantity": _num(q), "location_id": loc})
    return out


def over_max(scope: Scope, params: dict) -> dict[str, Finding]:
    """On hand above the warehouse's maximum stock for the item."""
    levels = list(_levels(scope, max_stock__gt=0).values_list("item_id", "warehouse_id", "max_stock"))
    if not levels:
        return {}
    have = _on_hand(scope, {lv[0] for lv in levels})
    out = {}
    for item, wh, top in levels:
        on_hand = have.get((item, wh), (ZERO, ZERO))[0]
        if on_hand > top:
            out[f"iw:{item}:{wh}"] = Finding(f"iw:{item}:{wh}", on_hand - qty(top), item_id=item, warehouse_id=wh,
                                             data={"on_hand": _num(on_hand), "max_stock": _num(top)})
    return out


def _lots_on_hand(scope: Scope, q: Q):
    rows = StockBalance.objects.filter(company_id=scope.company_id, location__kind__in=STOCKED_KINDS,
                                       quantity__gt=0, lot__isnull=False).filter(q)
    rows = rows.filter(scope.item_filter()).filter(scope.warehouse_filter("location__warehouse_id"))
    return rows.values_list("item_id", "location__warehouse_id", "lot_id", "lot__code", "lot__expires_on").annotate(
        q=Sum("quantity"), v=Sum("value"))


def expiring(scope: Scope, params: dict) -> dict[str, Finding]:
    """Lots on hand that expire within `days` (not yet expired)."""
    today = scope.today or clock.today()
    days = int(params.get("days", 30))
    out = {}
    for item, wh, lot, code, expires, q, v in _lots_on_hand(
            scope, Q(lot__expires_on__gte=today, lot__expires_on__lte=today + dt.timedelta(days=days))):
        subject = f"lw:{lot}:{wh}"
        out[subject] = Finding(subject, qty(q), item_id=item, warehouse_id=wh, lot_id=lot,
                               data={"lot": code, "expires_on": expires.isoformat(), "days_left": (expires - today).days,
                                     "quantity": _num(q), "value": str(Decimal(v or 0).quantize(Decimal("0.01")))})
    return out


def expired(scope: Scope, params: dict) -> dict[str, Finding]:
    """Expired lots still on hand (they can't be sold: write them off or return them)."""
    today = scope.today or clock.today()
    out = {}
    for item, wh, lot, code, expires, q, v in _lots_on_hand(scope, Q(lot__expires_on__lt=today)):
        subject = f"lw:{lot}:{wh}"
        out[subject] = Finding(subject, qty(q), item_id=item, warehouse_id=wh, lot_id=lot,
                               data={"lot": code, "expires_on": expires.isoformat(), "days_ago": (today - expires).days,
                                     "quantity": _num(q), "value": str(Decimal(v or 0).quantize(Decimal("0.01")))})
    return out


def weekly_sales(scope: Scope, weeks: int) -> dict[tuple[int, int], list[Decimal]]:
    """(item, warehouse) -> net quantity sold in each of the last `weeks` complete 7-day windows, oldest first.

    Sales are moves from a stocked location to the customers' location; returns (the other way) are
    subtracted. The windows end yesterday, so a half-finished day never looks like a slump.
    """
    today = scope.today or clock.today()
    start = today - dt.timedelta(days=7 * weeks)
    dec = DecimalField(max_digits=18, decimal_places=4)

    def buckets():
        return {f"w{k}": Sum(Case(When(business_on__gte=start + dt.timedelta(days=7 * k),
                                       business_on__lt=start + dt.timedelta(days=7 * (k + 1)), then="quantity"),
                                  default=0, output_field=dec)) for k in range(weeks)}

    out: dict[tuple[int, int], list[Decimal]] = {}
    base = StockMove.objects.filter(company_id=scope.company_id, business_on__gte=start, business_on__lt=today)
    base = base.filter(scope.item_filter())
    for sign, to_customer, wh_path in ((1, True, "from_location__warehouse_id"), (-1, False, "to_location__warehouse_id")):
        rows = base.filter(**({"to_location__kind": LocationKind.CUSTOMER} if to_customer
                              else {"from_location__kind": LocationKind.CUSTOMER}))
        rows = rows.filter(scope.warehouse_filter(wh_path)).values_list("item_id", wh_path).annotate(**buckets())
        for row in rows:
            key = (row[0], row[1])
            series = out.setdefault(key, [ZERO] * weeks)
            for k in range(weeks):
                series[k] += sign * qty(row[2 + k] or 0)
    return out


def is_slow(series: list[Decimal], *, drop_pct, weeks_running: int, min_weekly) -> Decimal | None:
    """Pure: the drop (in %) of the latest week when each of the last `weeks_running` weeks sold more than
    `drop_pct` % less than the average week before them; None when the item is not slowing down."""
    baseline_weeks = series[:-weeks_running]
    recent = series[-weeks_running:]
    if not baseline_weeks:
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
        drop = is_slow(series, drop_pct=p["drop_pct"], weeks_running=running, min_weekly=p["min_weekly"])
        if drop is not None:
            subject = f"iw:{item}:{wh}"
            out[subject] = Finding(subject, drop, item_id=item, warehouse_id=wh,
                                   data={"weekly": [_num(w) for w in series], "drop_pct": str(drop)})
    return out


def dead_stock(scope: Scope, params: dict) -> dict[str, Finding]:
    """Stock on hand that hasn't moved (in or out of the warehouse) for `days` days."""
    today = scope.today or clock.today()
    days = int(params.get("days", 90))
    cutoff = today - dt.timedelta(days=days)
    have = {k: v for k, v in _on_hand(scope).items() if v[0] > 0}
    if not have:
        return {}
    recent = StockMove.objects.filter(company_id=scope.company_id, business_on__gt=cutoff).filter(scope.item_filter())
    moved = set()
    for path in ("from_location__warehouse_id", "to_location__warehouse_id"):
        moved.update(recent.filter(**{f"{path}__isnull": False}).values_list("item_id", path).distinct())
    out = {}
    for (item, wh), (q, v) in have.items():
        if (item, wh) not in moved:
            subject = f"iw:{item}:{wh}"
            out[subject] = Finding(subject, v, item_id=item, warehouse_id=wh,
                                   data={"on_hand": _num(q), "value": str(v), "days": days})
    return out


EVALUATORS: dict[str, Callable[[Scope, dict], dict[str, Finding]]] = {
    AlertKind.LOW_STOCK: low_stock,
    AlertKind.NEGATIVE_STOCK: negative_stock,
    AlertKind.OVER_MAX: over_max,
    AlertKind.EXPIRING: expiring,
    AlertKind.EXPIRED: expired,
    AlertKind.SLOW_MOVER: slow_mover,
    AlertKind.DEAD_STOCK: dead_stock,
}


def register(kind: str, evaluator: Callable[[Scope, dict], dict[str, Finding]]) -> None:
    """Let another app (workflow, counts, sync) supply the evaluator of a kind it knows about."""
    EVALUATORS[kind] = evaluator


def item_names(ids) -> dict[int, tuple[str, str]]:
    return {pk: (code, name) for pk, code, name in Item.objects.filter(pk__in=ids).values_list("pk", "code", "name")}
