"""Read-only stock queries: balances (now or as of a date), the ledger of an item, FEFO suggestions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from openjxc.core.quantities import ZERO, cost, money, qty
from openjxc.stock import asof
from openjxc.stock.models import (
    STOCKED_KINDS,
    ItemValuation,
    Location,
    StockBalance,
    StockMove,
    Warehouse,
)
from openjxc.stock.recost import state_before, stocked_locations


def balances(company_id: int, *, warehouse_ids=None, item_id=None, location_id=None, lot_id=None,
             include_zero: bool = False):
    """Current balances at stocked locations, filtered; a queryset ordered by item, location, lot."""
    qs = StockBalance.objects.filter(company_id=company_id).select_related("item", "location__warehouse", "lot")
    if warehouse_ids is not None:
        qs = qs.filter(location__warehouse_id__in=warehouse_ids)
    if item_id is not None:
        qs = qs.filter(item_id=item_id)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    if lot_id is not None:
        qs = qs.filter(lot_id=lot_id)
    if not include_zero:
        qs = qs.exclude(quantity=0, value=0)
    return qs.order_by("item__code", "location__code", "lot_key")


BALANCE_COLUMNS = {
    "item": "item_id", "item_code": "item__code", "item_name": "item__name",
    "warehouse": "location__warehouse_id", "location": "location_id", "location_code": "location__code",
    "lot": "lot_id", "lot_code": "lot__code", "expires_on": "lot__expires_on",
    "quantity": "quantity", "value": "value",
}


def balance_rows(company_id: int, *, offset: int = 0, limit: int | None = None, count: int | None = None,
                 **filters) -> list[dict]:
    """The same balances as plain dicts (no model instances): for lists, exports and the API. `count`, when the
    caller has it (the API's page does), lets an early page of many balances be read by walking the items in code
    order (`_walked_rows`)."""
    keys = list(BALANCE_COLUMNS)
    if limit is not None and count is not None:
        rows = _walked_rows(company_id, offset, limit, count, **filters)
        if rows is not None:
            return [dict(zip(keys, row, strict=True)) for row in rows]
    qs = balances(company_id, **filters).select_related(None).values_list(*BALANCE_COLUMNS.values())
    if limit is not None:
        qs = qs[offset: offset + limit]
    return [dict(zip(keys, row, strict=True)) for row in qs]


# An early page is walked when it ends in the first 1/WALK_SHARE of the rows, over at most WALK_SHARE items per row
# it needs: enough when at least one item in WALK_SHARE has a balance among the filtered ones.
WALK_SHARE = 4


def _walked_rows(company_id: int, offset: int, limit: int, count: int, *, warehouse_ids=None, item_id=None,
                 location_id=None, lot_id=None, include_zero: bool = False) -> list[tuple] | None:
    """PostgreSQL: one page of `balances` read by walking the company's items in code order (their unique index),
    each item's balances found through the balances' unique key, until the page is full: ~2 ms for the first 500
    of 10,000 balances, where joining and sorting all of them costs 15-40 ms (issue 15). The planner does not
    choose this itself: it estimates a join of the balances with a warehouse's locations at one row in as many as
    there are locations, and the walk's index probes as if they were read from disk.

    None when the page is deep (the walk would cost more than the sort) or when the items walked hold too few of
    the balances asked for (a warehouse that stocks few of the company's items): the caller reads it as before.
    Not on SQLite: it sorts 10,000 rows in ~3 ms, and walks no faster."""
    end = offset + limit
    if connection.vendor != "postgresql" or end * WALK_SHARE > count:
        return None
    where = ""
    params: list[Any] = [company_id, end * WALK_SHARE, company_id]
    if warehouse_ids is not None:
        where += " AND l.warehouse_id = ANY(%s)"
        params.append(list(warehouse_ids))
    for column, value in (("b.item_id", item_id), ("b.location_id", location_id), ("b.lot_id", lot_id)):
        if value is not None:
            where += f" AND {column} = %s"
            params.append(value)
    if not include_zero:
        where += " AND NOT (b.quantity = 0 AND b.value = 0)"
    # OFFSET 0 keeps the subquery per item (LATERAL, not flattened into one join). The order is balances()'s, and
    # total: item and location codes are unique in a company, lot_key in an item's balances at a location
    sql = ("SELECT x.item_id, i.code, i.name, x.warehouse_id, x.location_id, x.location_code, x.lot_id, lot.code, "
           "lot.expires_on, x.quantity, x.value "
           "FROM (SELECT id, code, name FROM catalog_item WHERE company_id = %s ORDER BY code LIMIT %s) i "
           "CROSS JOIN LATERAL (SELECT b.item_id, b.location_id, b.lot_id, b.lot_key, b.quantity, b.value, "
           "l.code AS location_code, l.warehouse_id FROM stock_stockbalance b "
           "JOIN stock_location l ON l.id = b.location_id "
           f"WHERE b.item_id = i.id AND b.company_id = %s{where} OFFSET 0) x "
           "LEFT JOIN stock_lot lot ON lot.id = x.lot_id "
           "ORDER BY i.code, x.location_code, x.lot_key LIMIT %s OFFSET %s")
    params += [limit, offset]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    # the items walked held the whole page, or there is no more to hold (count - offset rows are left)
    return rows if len(rows) == min(limit, count - offset) else None


def stocked_ids(company_id: int, *, warehouse_ids=None, location_id=None) -> tuple[int, ...]:
    """The company's stocked locations (of `warehouse_ids`, of `location_id` when given), in id order."""
    stocked = Location.objects.filter(company_id=company_id, kind__in=STOCKED_KINDS)
    if warehouse_ids is not None:
        stocked = stocked.filter(warehouse_id__in=warehouse_ids)
    if location_id is not None:
        stocked = stocked.filter(pk=location_id)
    return tuple(stocked.order_by("pk").values_list("id", flat=True))


def balances_as_of(company_id: int, on: dt.date, *, warehouse_ids=None, item_id=None, lot_id=None,
                   location_id=None) -> list[dict]:
    """Balances at the end of business day `on` (stock/asof.py: one statement over the shortest side of the
    ledger), ordered by item, location and lot id."""
    locs = stocked_ids(company_id, warehouse_ids=warehouse_ids, location_id=location_id)
    rows = asof.rows_as_of(asof.AsOf(company_id, on, locs, item_id, lot_id))
    return [{"item_id": r[0], "location_id": r[1], "lot_id": r[2], "quantity": r[3], "value": r[4]} for r in rows]


def item_ledger(company_id: int, item_id: int, *, warehouse_ids=None, limit: int = 500,
                before: int | None = None) -> list[dict]:
    """Moves of one item touching stocked locations, newest first (posting order), with the quantity and value
    after each; `before`: only moves older than that move id (the next page is `before=<last row's id>`).

    The running figures of a page come from one sum over everything up to its newest move, so a page deep in a
    long history costs what the first one costs (keyset, no OFFSET)."""
    stocked = Location.objects.filter(company_id=company_id, kind__in=STOCKED_KINDS)
    if warehouse_ids is not None:
        stocked = stocked.filter(warehouse_id__in=warehouse_ids)
    loc_ids = set(stocked.values_list("id", flat=True))
    touching = (StockMove.objects.filter(company_id=company_id, item_id=item_id)
                .filter(Q(from_location_id__in=loc_ids) | Q(to_location_id__in=loc_ids)))
    page = touching if before is None else touching.filter(id__lt=before)
    moves = list(page.select_related("from_location", "to_location", "lot", "document").order_by("-id")[:limit])
    if not moves:
        return []
    inside = Q(to_location_id__in=loc_ids)
    outside = Q(from_location_id__in=loc_ids)
    totals = touching.filter(id__lte=moves[0].pk).aggregate(
        q_in=Sum("quantity", filter=inside), q_out=Sum("quantity", filter=outside),
        v_in=Sum("value", filter=inside), v_out=Sum("value", filter=outside))
    running_q = (totals["q_in"] or ZERO) - (totals["q_out"] or ZERO)
    running_v = (totals["v_in"] or ZERO) - (totals["v_out"] or ZERO)
    out = []
    for m in moves:
        dq = (m.quantity if m.to_location_id in loc_ids else ZERO) - (
            m.quantity if m.from_location_id in loc_ids else ZERO)
        dv = (m.value if m.to_location_id in loc_ids else ZERO) - (m.value if m.from_location_id in loc_ids else ZERO)
        out.append({"move": m, "quantity_change": dq, "value_change": dv,
                    "quantity_after": qty(running_q), "value_after": money(running_v)})
        running_q -= dq
        running_v -= dv
    return out


def fefo_suggestion(company_id: int, item_id: int, location_id: int, quantity: Decimal, on: dt.date) -> list[dict]:
    """Which lots to pick, first-expiry-first-out, skipping expired lots."""
    rows = (
        StockBalance.objects.filter(company_id=company_id, item_id=item_id, location_id=location_id,
                                    quantity__gt=0, lot__isnull=False)
        .select_related("lot")
    )
    lots = sorted(
        ((b, b.lot) for b in rows if b.lot is not None and not (b.lot.expires_on and b.lot.expires_on < on)),
        key=lambda pair: (pair[1].expires_on or dt.date.max, pair[1].id),
    )
    out, left = [], quantity
    for b, lot in lots:
        if left <= 0:
            break
        take = min(left, b.quantity)
        out.append({"lot": lot.code, "lot_id": b.lot_id, "expires_on": lot.expires_on, "quantity": take})
        left -= take
    return out


def item_cost(company_id: int, item_id: int, *, warehouse_ids=None, as_of: dt.date | None = None) -> list[dict]:
    """An item's quantity, value and unit cost per warehouse (in `warehouse_ids` if given): now, from the
    valuation rows, or at the end of business day `as_of`, from the ledger read in business-date order (the
    state re-costing starts from, so a back-dated entry counts on its own date). The unit cost is the moving
    average, or the last cost while nothing is on hand."""
    valuations = ItemValuation.objects.filter(company_id=company_id, item_id=item_id)
    if warehouse_ids is not None:
        valuations = valuations.filter(warehouse_id__in=warehouse_ids)
    now = {v.warehouse_id: v for v in valuations}
    warehouses = Warehouse.objects.in_bulk(now.keys())
    if as_of is not None and as_of >= dt.date.max:
        as_of = None  # nothing is dated after the last day there is
    where = stocked_locations(company_id) if as_of is not None else {}
    out = []
    for wh_id in sorted(now, key=lambda w: (warehouses[w].code, w)):
        v = now[wh_id]
        if as_of is None:
            quantity, value, last = qty(v.quantity), money(v.value), cost(v.last_cost)
        else:
            locations = {loc for loc, wh in where.items() if wh == wh_id}
            state = state_before(company_id, item_id, locations, as_of + dt.timedelta(days=1))
            quantity, value, last = state.quantity, state.value, state.last_cost
        out.append({
            "warehouse": wh_id, "warehouse_code": warehouses[wh_id].code, "warehouse_name": warehouses[wh_id].name,
            "quantity": quantity, "value": value,
            "unit_cost": cost(value / quantity) if quantity > 0 else last,
        })
    return out
