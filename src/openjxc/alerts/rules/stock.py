"""Evaluators that watch stock: levels (low, negative, above maximum), lots (expiring, expired) and movement
(dead stock). Set-based SQL over (item, warehouse) pairs: only the pairs in alert come back to Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum

from openjxc.catalog.models import Category, Item, ItemWarehouse
from openjxc.core import clock
from openjxc.core.quantities import ZERO, qty
from openjxc.documents.orders import open_quantities
from openjxc.documents.reorder import suggested_quantity
from openjxc.stock.models import STOCKED_KINDS, Location, StockBalance, StockMove

from ..rule_models import AlertKind
from . import Finding, Scope, db_quantity, quantity_text


def _scope_sql(scope: Scope, item_col: str, wh_col: str | None) -> tuple[list[str], list]:
    where, params = [], []
    if scope.item_id:
        where.append(f"{item_col} = %s")
        params.append(scope.item_id)
    if scope.items is not None:
        ids = sorted(scope.items) or [0]
        where.append(f"{item_col} IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if scope.warehouse_id and wh_col:
        where.append(f"{wh_col} = %s")
        params.append(scope.warehouse_id)
    if scope.category_id:
        path = Category.objects.filter(pk=scope.category_id).values_list("path", flat=True).first() or "-"
        where.append(f"{item_col} IN (SELECT it.id FROM {Item._meta.db_table} it JOIN {Category._meta.db_table} c"
                     f" ON c.id = it.category_id WHERE c.company_id = %s AND c.path LIKE %s)")
        params += [scope.company_id, path + "%"]
    return where, params


def _on_hand_sql(scope: Scope) -> tuple[str, list]:
    """SQL of (item_id, warehouse_id, q, v): on hand per item and warehouse over the stocked locations."""
    where, params = _scope_sql(scope, "b.item_id", "l.warehouse_id")
    kinds = sorted(STOCKED_KINDS)
    sql = (f"SELECT b.item_id AS item_id, l.warehouse_id AS warehouse_id, SUM(b.quantity) AS q, SUM(b.value) AS v"
           f" FROM {StockBalance._meta.db_table} b JOIN {Location._meta.db_table} l ON l.id = b.location_id"
           f" WHERE b.company_id = %s AND l.kind IN ({', '.join(['%s'] * len(kinds))})"
           + "".join(f" AND {w}" for w in where) + " GROUP BY b.item_id, l.warehouse_id")
    return sql, [scope.company_id, *kinds, *params]


def level_rows(scope: Scope, condition: str, items: set[int] | None = None) -> list[tuple]:
    """(item, warehouse, safety, reorder point, maximum, on hand, value) of the active items' stock levels in
    scope whose row satisfies `condition` (SQL over iw.* and COALESCE(oh.q, 0) AS on_hand)."""
    if items is not None:
        scope = Scope(**{**scope.__dict__, "items": items if scope.items is None else scope.items & items})
    inner, inner_params = _on_hand_sql(scope)
    where, params = _scope_sql(scope, "iw.item_id", "iw.warehouse_id")
    sql = (f"SELECT iw.item_id, iw.warehouse_id, iw.safety_stock, iw.reorder_point, iw.max_stock,"
           f" COALESCE(oh.q, 0), COALESCE(oh.v, 0)"
           f" FROM {ItemWarehouse._meta.db_table} iw JOIN {Item._meta.db_table} i ON i.id = iw.item_id"
           f" LEFT JOIN ({inner}) oh ON oh.item_id = iw.item_id AND oh.warehouse_id = iw.warehouse_id"
           f" WHERE iw.company_id = %s AND i.is_active = %s" + "".join(f" AND {w}" for w in where)
           + f" AND ({condition.replace('on_hand', 'COALESCE(oh.q, 0)')})")
    with connection.cursor() as cur:
        cur.execute(sql, [*inner_params, scope.company_id, True, *params])
        return [(r[0], r[1], db_quantity(r[2]), db_quantity(r[3]), None if r[4] is None else db_quantity(r[4]), db_quantity(r[5]),
                 Decimal(str(r[6] or 0)).quantize(Decimal("0.01"))) for r in cur.fetchall()]


def low_stock(scope: Scope, params: dict) -> dict[str, Finding]:
    """Available (on hand − reserved by confirmed sales orders) below the safety stock; suggests a purchase
    quantity that brings the position (available + on order) back up to the maximum or twice the reorder level."""
    held, coming = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for _line, item, wh, left, _v in open_quantities(scope.company_id, "sales_order"):
        held[(item, wh)] += left
    for _line, item, wh, left, _v in open_quantities(scope.company_id, "purchase_order"):
        coming[(item, wh)] += left
    # below safety on hand alone (SQL), plus the few pairs that reservations could push below it
    rows = {(r[0], r[1]): r for r in level_rows(scope, "iw.safety_stock > 0 AND on_hand < iw.safety_stock")}
    if held:
        for r in level_rows(scope, "iw.safety_stock > 0", items={k[0] for k in held}):
            rows.setdefault((r[0], r[1]), r)
    out = {}
    for (item, wh), (_i, _w, safety, point, top, on_hand, _value) in sorted(rows.items()):
        available = on_hand - held[(item, wh)]
        if available >= safety:
            continue
        position = available + coming[(item, wh)]
        suggest = suggested_quantity(position, max(point, safety), top)
        out[f"iw:{item}:{wh}"] = Finding(
            f"iw:{item}:{wh}", safety - available, item_id=item, warehouse_id=wh,
            data={"on_hand": quantity_text(on_hand), "reserved": quantity_text(held[(item, wh)]), "available": quantity_text(available),
                  "safety_stock": quantity_text(safety), "on_order": quantity_text(coming[(item, wh)]), "suggested": quantity_text(suggest)},
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
                               data={"quantity": quantity_text(q), "location_id": loc})
    return out


def over_max(scope: Scope, params: dict) -> dict[str, Finding]:
    """On hand above the warehouse's maximum stock for the item."""
    out = {}
    for item, wh, _safety, _point, top, on_hand, _value in level_rows(
            scope, "iw.max_stock > 0 AND on_hand > iw.max_stock"):
        out[f"iw:{item}:{wh}"] = Finding(f"iw:{item}:{wh}", on_hand - top, item_id=item, warehouse_id=wh,
                                         data={"on_hand": quantity_text(on_hand), "max_stock": quantity_text(top)})
    return out


def _lots_on_hand(scope: Scope, q: Q, *extra: str):
    """(item, warehouse, lot, lot code, expiry, *extra, quantity, value) of the lots on hand matching `q`."""
    rows = StockBalance.objects.filter(company_id=scope.company_id, location__kind__in=STOCKED_KINDS,
                                       quantity__gt=0, lot__isnull=False).filter(q)
    rows = rows.filter(scope.item_filter()).filter(scope.warehouse_filter("location__warehouse_id"))
    return rows.values_list("item_id", "location__warehouse_id", "lot_id", "lot__code", "lot__expires_on",
                            *extra).annotate(q=Sum("quantity"), v=Sum("value"))


# The 临期 (near-expiry) windows Chinese retail uses, by shelf life: a product is 临期 this many days before it
# expires (shelf life of a year or more: 45 days; half a year: 20; 90 days: 15; 30 days: 10; 16 days: 5; less:
# the last 1–4 days, here 4). As (shortest shelf life in days, window), longest first.
EXPIRY_WINDOWS = ((365, 45), (180, 20), (90, 15), (30, 10), (16, 5), (0, 4))
NO_SHELF_LIFE_WINDOW = 30  # an item without a shelf life, on a lot without a production date


def expiry_window(shelf_life_days: int | None) -> int:
    """Days before expiry at which a lot of this shelf life becomes 临期."""
    if shelf_life_days is None:
        return NO_SHELF_LIFE_WINDOW
    return next(window for shortest, window in EXPIRY_WINDOWS if shelf_life_days >= shortest)


def expiring(scope: Scope, params: dict) -> dict[str, Finding]:
    """Lots on hand that expire within `days` (not yet expired); with days = 0, within the 临期 window of their
    shelf life (the item's, else the lot's production-to-expiry span)."""
    today = scope.today or clock.today()
    days = int(params.get("days", 0))
    widest = days or max(EXPIRY_WINDOWS[0][1], NO_SHELF_LIFE_WINDOW)
    out = {}
    for item, wh, lot, code, expires, life, produced, q, v in _lots_on_hand(
            scope, Q(lot__expires_on__gte=today, lot__expires_on__lte=today + dt.timedelta(days=widest)),
            "item__shelf_life_days", "lot__produced_on"):
        left = (expires - today).days
        window = days
        if not days:
            if life is None and produced:
                life = (expires - produced).days
            window = expiry_window(life)
            if left > window:
                continue
        subject = f"lw:{lot}:{wh}"
        out[subject] = Finding(subject, qty(q), item_id=item, warehouse_id=wh, lot_id=lot,
                               data={"lot": code, "expires_on": expires.isoformat(), "days_left": left,
                                     "window_days": window, "quantity": quantity_text(q),
                                     "value": str(Decimal(v or 0).quantize(Decimal("0.01")))})
    return out


def expired(scope: Scope, params: dict) -> dict[str, Finding]:
    """Expired lots still on hand (they can't be sold: write them off or return them)."""
    today = scope.today or clock.today()
    out = {}
    for item, wh, lot, code, expires, q, v in _lots_on_hand(scope, Q(lot__expires_on__lt=today)):
        subject = f"lw:{lot}:{wh}"
        out[subject] = Finding(subject, qty(q), item_id=item, warehouse_id=wh, lot_id=lot,
                               data={"lot": code, "expires_on": expires.isoformat(), "days_ago": (today - expires).days,
                                     "quantity": quantity_text(q), "value": str(Decimal(v or 0).quantize(Decimal("0.01")))})
    return out


def dead_stock(scope: Scope, params: dict) -> dict[str, Finding]:
    """Stock on hand that hasn't moved (in or out of the warehouse) for `days` days."""
    today = scope.today or clock.today()
    days = int(params.get("days", 90))
    cutoff = today - dt.timedelta(days=days)
    inner, params_sql = _on_hand_sql(scope)
    loc = Location._meta.db_table
    sql = (f"SELECT oh.item_id, oh.warehouse_id, oh.q, oh.v FROM ({inner}) oh WHERE oh.q > 0 AND NOT EXISTS ("
           f"SELECT 1 FROM {StockMove._meta.db_table} m JOIN {loc} lf ON lf.id = m.from_location_id"
           f" JOIN {loc} lt ON lt.id = m.to_location_id WHERE m.company_id = %s AND m.item_id = oh.item_id"
           f" AND m.business_on > %s AND (lf.warehouse_id = oh.warehouse_id OR lt.warehouse_id = oh.warehouse_id))")
    with connection.cursor() as cur:
        cur.execute(sql, [*params_sql, scope.company_id, cutoff])
        rows = cur.fetchall()
    out = {}
    for item, wh, q, v in rows:
        value = Decimal(str(v or 0)).quantize(Decimal("0.01"))
        subject = f"iw:{item}:{wh}"
        out[subject] = Finding(subject, value, item_id=item, warehouse_id=wh,
                               data={"on_hand": quantity_text(db_quantity(q)), "value": str(value), "days": days})
    return out


EVALUATORS = {
    AlertKind.LOW_STOCK: low_stock,
    AlertKind.NEGATIVE_STOCK: negative_stock,
    AlertKind.OVER_MAX: over_max,
    AlertKind.EXPIRING: expiring,
    AlertKind.EXPIRED: expired,
    AlertKind.DEAD_STOCK: dead_stock,
}
