"""The only code that writes stock moves and balances.

`post_moves(planned, ...)` runs inside the caller's transaction:

1. Lock the (item, warehouse) valuation rows touched, in one UPSERT in sorted order.
   # fixed order: concurrent postings must not deadlock, and the valuation row guards every
   # balance of that item in that warehouse, so nothing else needs a lock.
   The UPSERT hands back each row's latest business date: a posting dated before it is back-dated.
2. Read the balances of those items at those locations (FEFO lots included).
3. Cost every move in order (stock/costing.py), refuse negative stock where it is not allowed.
4. Write the moves (one INSERT), the balances and the valuations (one UPSERT each).
5. Back-dated only: re-cost what came after (stock/recost.py).

Nothing is posted into a closed month (stock/periods.py); the check costs a query only for dates
before the current month, since only ended months can be closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeGuard

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Item
from openjxc.core import clock
from openjxc.core.errors import DomainError, InsufficientStock
from openjxc.core.events import make_event
from openjxc.core.instances import new_object
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, cost, money, qty
from openjxc.core.sql import insert_objects, write_together
from openjxc.stock import periods
from openjxc.stock.costing import (
    CostState,
    apply_issue,
    apply_receipt,
    fallback_cost,
    has_history,
    issue_value,
    residue,
)
from openjxc.stock.locations import virtual_location
from openjxc.stock.models import ItemValuation, Location, LocationKind, Lot, StockBalance, StockMove
from openjxc.stock.recost import Recost, state_before, stocked_locations


@dataclass
class PlannedMove:
    """A move a document wants; costing and lots are settled by `post_moves`."""

    item: Item
    quantity: Decimal
    from_location: Location
    to_location: Location
    lot: Lot | None = None
    fefo: bool = False  # choose lots first-expiry-first-out at the source when posting
    unit_cost: Decimal | None = None  # fixed incoming cost (receipts, gains); None = source average
    value: Decimal | None = None  # fixed total value (returns at original cost, transfer-in, reversal)
    line: Any = None  # the documents.DocumentLine it serves: stock sits below documents and cannot name the type
    reverses: StockMove | None = None
    refuse_expired: bool = False  # sales may not take expired lots
    is_adjustment: bool = False


@dataclass
class PostingResult:
    moves: list[StockMove] = field(default_factory=list)
    went_negative: list[dict] = field(default_factory=list)
    costed_at_zero: list[dict] = field(default_factory=list)  # issued with no cost history and no fallback
    recosted: int = 0  # corrections posted on later moves (a back-dated posting)
    # move id -> own corrections the re-costing of this same posting put on it: a move dated before what it
    # follows (a return dated before an earlier-posted return or before its delivery) is replayed again once
    # that has changed
    corrected: dict[int, Decimal] = field(default_factory=dict)

    def own_value(self, move: StockMove) -> Decimal:
        """What the move's goods carry once this posting is done: its value and its own corrections."""
        return move.value + self.corrected.get(move.pk, ZERO)

    def value_by_line(self) -> dict[int, Decimal]:
        out: dict[int, Decimal] = {}
        for m in self.moves:
            if m.line_id is not None and not m.is_adjustment:
                out[m.line_id] = out.get(m.line_id, ZERO) + self.own_value(m)
        return out


def _dec(raw) -> Decimal:
    # SQLite hands NUMERIC columns back as int/float; go through repr to keep the decimal digits
    if isinstance(raw, Decimal):
        return raw
    return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)


# SQLite allows 32,766 bound parameters per statement: big postings (a 20,000-line count) go in chunks
_CHUNK = 5000


def _lock_items(company_id: int, item_ids: list[int]) -> None:
    """Lock every existing valuation row of `item_ids` (all warehouses), in the order postings lock them.

    A back-dated posting may re-cost other warehouses of its items (a transfer carries the correction
    on); taking them all first keeps the one lock order. PostgreSQL only: SQLite writers hold the
    whole database."""
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start:start + _CHUNK]
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT id FROM stock_itemvaluation WHERE company_id = %s AND item_id IN ({', '.join(['%s'] * len(chunk))}) "
                "ORDER BY item_id, warehouse_id FOR UPDATE", [company_id, *chunk],
            )


def _date(raw) -> dt.date | None:
    return dt.date.fromisoformat(raw) if isinstance(raw, str) else raw


# (item, warehouse): every stocked location has a warehouse; the column is nullable for the virtual ones
ValuationKey = tuple[int, int | None]


def _lock_valuations(company_id: int, keys: list[ValuationKey]
                     ) -> tuple[dict[ValuationKey, CostState], dict[ValuationKey, dt.date | None]]:
    """Create-if-missing and lock valuation rows in the sorted order of `keys`; return their state and
    the latest business date of a move there.

    Chunks follow one another in that order, so the lock order stays the same across chunks."""
    out: dict[ValuationKey, CostState] = {}
    last_on: dict[ValuationKey, dt.date | None] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        placeholders = ", ".join(["(%s, %s, %s, 0, 0, 0)"] * len(chunk))
        params: list = []
        for item_id, warehouse_id in chunk:
            params += [company_id, item_id, warehouse_id]
        sql = (
            "INSERT INTO stock_itemvaluation (company_id, item_id, warehouse_id, quantity, value, last_cost) "
            f"VALUES {placeholders} ON CONFLICT (item_id, warehouse_id) "
            "DO UPDATE SET quantity = stock_itemvaluation.quantity "
            "RETURNING item_id, warehouse_id, quantity, value, last_cost, last_move_on"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        out.update({(r[0], r[1]): CostState(qty(_dec(r[2])), money(_dec(r[3])), cost(_dec(r[4]))) for r in rows})
        last_on.update({(r[0], r[1]): _date(r[5]) for r in rows})
    return out, last_on


@dataclass(slots=True)
class _Balance:
    """A balance row as posting needs it (plain values, no model instance)."""

    item_id: int
    location_id: int
    lot_key: int
    lot: Lot | None
    quantity: Decimal
    value: Decimal

    @property
    def lot_id(self) -> int | None:
        return self.lot_key or None


_LOT_FIELDS = None


def _read_balances(item_ids: set[int], location_ids: set[int]) -> dict[tuple[int, int, int], _Balance]:
    """The balances of `item_ids` at `location_ids`, with their lots; one SELECT, no model instances but lots."""
    global _LOT_FIELDS
    if _LOT_FIELDS is None:
        _LOT_FIELDS = [f for f in Lot._meta.concrete_fields]
    lot_cols = ", ".join(f"l.{connection.ops.quote_name(f.column)}" for f in _LOT_FIELDS)
    items, locs = sorted(item_ids), sorted(location_ids)
    rows = []
    for i in range(0, len(items), _CHUNK):
        for j in range(0, len(locs), _CHUNK):
            some_items, some_locs = items[i:i + _CHUNK], locs[j:j + _CHUNK]
            sql = (
                f"SELECT b.item_id, b.location_id, b.lot_key, b.quantity, b.value, {lot_cols} "
                "FROM stock_stockbalance b LEFT JOIN stock_lot l ON l.id = b.lot_id "
                f"WHERE b.item_id IN ({', '.join(['%s'] * len(some_items))}) "
                f"AND b.location_id IN ({', '.join(['%s'] * len(some_locs))})"
            )
            with connection.cursor() as cur:
                cur.execute(sql, [*some_items, *some_locs])
                rows += cur.fetchall()
    out: dict[tuple[int, int, int], _Balance] = {}
    names = [f.attname for f in _LOT_FIELDS]
    for r in rows:
        lot = None
        if r[2]:
            values = [f.to_python(v) if v is not None else None for f, v in zip(_LOT_FIELDS, r[5:], strict=True)]
            lot = Lot.from_db(connection.alias, names, values)
        out[(r[0], r[1], r[2])] = _Balance(r[0], r[1], r[2], lot, qty(_dec(r[3])), money(_dec(r[4])))
    return out


def post_moves(
    planned: list[PlannedMove],
    *,
    company,
    by: User | None,
    business_on: dt.date,
    document=None,
    events: list | None = None,
    writes: list | None = None,
) -> PostingResult:
    """Post planned moves atomically; refuse (DomainError) and write nothing if any move is refused.

    With `writes` (a caller's `lifecycle.Changes.later`) the balances and valuations are queued there, written
    with the caller's own changes before commit (one statement on PostgreSQL, decision 0022), unless the
    posting is back-dated: the re-costing below reads them."""
    assert transaction.get_connection().in_atomic_block, "post_moves runs inside the caller's transaction"
    result = PostingResult()
    if not planned:
        return result

    valuation_keys: set[ValuationKey] = set()
    item_ids: set[int] = set()
    stocked_location_ids: set[int] = set()
    for p in planned:
        if p.quantity < 0:
            raise DomainError("stock.quantity_negative", _("A move quantity cannot be negative."))
        if p.from_location.pk == p.to_location.pk:
            raise DomainError("stock.same_location", _("A move must go from one location to another."))
        item_ids.add(p.item.pk)
        for loc in (p.from_location, p.to_location):
            if loc.is_stocked:
                valuation_keys.add((p.item.pk, loc.warehouse_id))
                stocked_location_ids.add(loc.pk)

    if business_on < clock.today(company.time_zone) and connection.vendor == "postgresql":
        _lock_items(company.pk, sorted(item_ids))
    states, last_on = _lock_valuations(company.pk, sorted(valuation_keys)) if valuation_keys else ({}, {})
    periods.require_open(company, business_on)  # after the locks: a month closing meanwhile is seen
    back_dated = sorted(k for k, on in last_on.items() if on is not None and on > business_on)
    as_of: dict[ValuationKey, tuple[CostState, CostState]] = {}  # key -> (state now, state on the day)
    if back_dated:
        # cost this posting at the state of its own business day; what came after is re-costed below
        where = stocked_locations(company.pk)
        for i, w in back_dated:
            locations = {loc for loc, wh in where.items() if wh == w}
            day = state_before(company.pk, i, locations, business_on + dt.timedelta(days=1))
            as_of[(i, w)] = (states[(i, w)], CostState(day.quantity, day.value, day.last_cost))
            states[(i, w)] = day
    balances = _read_balances(item_ids, stocked_location_ids) if stocked_location_ids else {}
    touched: dict[tuple[int, int, int], _Balance] = {}
    now = clock.now()
    adjustment_location = None

    # the lots of each (item, location), for FEFO: built once, not a scan of every balance per line
    lots_at: dict[tuple[int, int], list[_Balance]] = {}
    for (i, loc_id, lot_key), b in balances.items():
        if lot_key:
            lots_at.setdefault((i, loc_id), []).append(b)

    def balance(item_id: int, location: Location, lot: Lot | None) -> _Balance:
        key = (item_id, location.pk, lot.pk if lot else 0)
        b = balances.get(key)
        if b is None:
            b = _Balance(item_id, location.pk, key[2], lot, ZERO, ZERO)
            balances[key] = b
            if key[2]:
                lots_at.setdefault((item_id, location.pk), []).append(b)
        touched[key] = b
        return b

    parents: dict[int, StockMove] = {}  # id() of a revaluation move -> the move it belongs to

    def new_move(p: PlannedMove, quantity, value, lot, *, frm=None, to=None, adjustment=False,
                 parent: StockMove | None = None) -> StockMove:
        unit = cost(value / quantity) if quantity else ZERO
        m = new_object(StockMove, {
            "company_id": company.pk,
            "item": p.item,
            "lot": lot,
            "from_location": frm or p.from_location,
            "to_location": to or p.to_location,
            "quantity": quantity,
            "unit_cost": unit,
            "value": value,
            "document": document,
            "line": p.line,
            "reverses": p.reverses if not adjustment else None,
            "is_adjustment": adjustment or p.is_adjustment,
            "business_on": business_on,
            "posted_at": now,
            "posted_by": by if by is not None and by.pk else None,
        })
        result.moves.append(m)
        if parent is not None:
            parents[id(m)] = parent
        return m

    def allocate(p: PlannedMove) -> list[tuple[Lot | None, Decimal]]:
        """Split a move over lots: the lot given, FEFO at the source, or no lot."""
        if not p.fefo or not p.from_location.is_stocked:
            return [(p.lot, p.quantity)]
        candidates = [b for b in lots_at.get((p.item.pk, p.from_location.pk), ()) if b.quantity > 0]
        if p.refuse_expired:
            candidates = [b for b in candidates if not _expired(b.lot, business_on)]
        candidates.sort(key=_fefo_order)
        out, left = [], p.quantity
        for b in candidates:
            if left <= 0:
                break
            take = min(left, b.quantity)
            out.append((b.lot, take))
            left -= take
        if left > 0:
            if not _negative_allowed(p.from_location):
                available = sum((b.quantity for b in candidates), ZERO)
                raise InsufficientStock(
                    item=p.item, location=p.from_location, available=available, requested=p.quantity
                )
            last_lot = out[-1][0] if out else None
            if out:
                out[-1] = (last_lot, out[-1][1] + left)
            else:
                out.append((None, left))
        return out

    for p in planned:
        for lot, quantity in allocate(p):
            if p.refuse_expired and _expired(lot, business_on):
                raise DomainError(
                    "lot.expired",
                    _("Lot %(lot)s of %(item)s expired on %(expires_on)s and cannot be sold."),
                    http_status=409, lot=lot.code, item=p.item, expires_on=str(lot.expires_on),
                )
            share = quantity / p.quantity if p.quantity else Decimal(1)
            frm, to = p.from_location, p.to_location
            # value leaving the source
            if p.value is not None:
                value = money(p.value * share)
            elif frm.is_stocked:
                state = states[(p.item.pk, frm.warehouse_id)]
                value = issue_value(state, quantity, fallback_cost(p.item))
                if value == 0 and quantity > 0 and not has_history(state) and p.reverses is None:
                    result.costed_at_zero.append({"item": p.item.pk, "location": frm.pk})
            elif p.unit_cost is not None:
                value = money(quantity * p.unit_cost)
            elif to.is_stocked:  # e.g. a stock gain without a price comes in at the current average
                state = states[(p.item.pk, to.warehouse_id)]
                value = money(quantity * (state.average if has_history(state) else fallback_cost(p.item)))
            else:
                value = ZERO
            if frm.is_stocked:
                state = states[(p.item.pk, frm.warehouse_id)]
                b = balance(p.item.pk, frm, lot)
                if b.quantity - quantity < 0 and quantity > 0:
                    if not _negative_allowed(frm):
                        raise InsufficientStock(
                            item=p.item, location=frm, available=max(b.quantity, ZERO), requested=quantity,
                            lot=lot.code if lot else None,
                        )
                    result.went_negative.append(
                        {"item": p.item.pk, "location": frm.pk, "quantity": str(b.quantity - quantity)}
                    )
                b.quantity -= quantity
                b.value -= value
                apply_issue(state, quantity, value)
            primary = new_move(p, quantity, value, lot)
            if to.is_stocked:
                state = states[(p.item.pk, to.warehouse_id)]
                b = balance(p.item.pk, to, lot)
                same_warehouse = frm.is_stocked and frm.warehouse_id == to.warehouse_id
                adjustment = apply_receipt(
                    state, quantity, value,
                    sets_last_cost=not same_warehouse and p.reverses is None and quantity > 0,
                )
                b.quantity += quantity
                b.value += value
                if adjustment and p.reverses is None:
                    adjustment_location = adjustment_location or virtual_location(company.pk, LocationKind.ADJUSTMENT)
                    new_move(p, ZERO, adjustment, lot, frm=adjustment_location, to=to, adjustment=True,
                             parent=primary)
                    b.value += adjustment
                elif adjustment:
                    state.value -= adjustment  # a reversal restores exactly what was there
            # zero quantity must mean zero value: clear the rounding residue of fixed-cost returns
            for loc in (frm, to):
                if loc.is_stocked:
                    state = states[(p.item.pk, loc.warehouse_id)]
                    left = residue(state)
                    if left:
                        adjustment_location = adjustment_location or virtual_location(
                            company.pk, LocationKind.ADJUSTMENT
                        )
                        b = balance(p.item.pk, loc, lot)
                        new_move(p, ZERO, -left, lot, frm=adjustment_location, to=loc, adjustment=True,
                                 parent=primary)
                        b.value -= left
                        state.value -= left

    # hand-built multi-row statements (core/sql.py): bulk_create would compile each one afresh
    if parents:  # revaluations point at their move: those go in first (rare: negative stock, residues)
        insert_objects([m for m in result.moves if id(m) not in parents], returning_pk=True)
        for m in result.moves:
            if id(m) in parents:
                m.corrects_id = parents[id(m)].pk
        insert_objects([m for m in result.moves if id(m) in parents], returning_pk=True)
    else:
        insert_objects(result.moves, returning_pk=True)
    written = dict(states)
    for key, (now_state, day) in as_of.items():
        # the valuation's quantity now (its value and last cost are set by the re-costing below)
        after = states[key]
        written[key] = CostState(now_state.quantity + after.quantity - day.quantity,
                                 now_state.value + after.value - day.value, now_state.last_cost)
    # balances and valuations: one statement on PostgreSQL (a CTE), two elsewhere; or queued with the caller's
    # writes when nothing reads them before commit (every row is locked already: the valuation rows above)
    stock_writes = (
        ("insert", StockBalance, ("company", "item", "location", "lot", "lot_key", "quantity", "value"),
         [(company.pk, b.item_id, b.location_id, b.lot_id, b.lot_key, b.quantity, b.value) for b in touched.values()],
         ("item", "location", "lot_key"), ("quantity", "value")),
        ("insert", ItemValuation, ("company", "item", "warehouse", "quantity", "value", "last_cost", "last_move_on"),
         [(company.pk, i, w, s.quantity, s.value, s.last_cost, max(last_on.get((i, w)) or business_on, business_on))
          for (i, w), s in written.items()],
         ("item", "warehouse"), ("quantity", "value", "last_cost", "last_move_on")),
    )
    if writes is not None and not back_dated:
        writes.extend(stock_writes)
    else:
        write_together(*stock_writes)
    (events.append if events is not None else _save)(make_event(
        company=company,
        topic="stock.changed",
        by=by,
        obj=document,
        payload={
            "balances": [
                {"item": b.item_id, "location": b.location_id, "lot": b.lot_id,
                 "quantity": str(b.quantity), "value": str(b.value)}
                for b in touched.values()
            ],
            "negative": result.went_negative,
            "zero_cost": result.costed_at_zero,
            # the moves this call wrote, as [first, last] id ranges: the facts consumer (reports) reads exactly these
            "moves": move_ranges(result.moves),
        },
    ))
    for item_id in sorted({i for i, _w in back_dated}):
        # every valuation key's warehouse is set (stocked locations only): `w is not None` narrows the type
        starts: dict[int, tuple[dt.date, CostState | None]] = {
            w: (business_on + dt.timedelta(days=1), states[(i, w)]) for i, w in back_dated
            if i == item_id and w is not None}
        recost = Recost(company, item_id, by=by, cause=document, events=events)
        result.recosted += recost.run(starts)
        result.corrected.update((m.pk, recost.own_changes[m.pk]) for m in result.moves if m.pk in recost.own_changes)
    return result


def move_ranges(moves: list[StockMove]) -> list[list[int]]:
    """The ids of `moves` as sorted [first, last] ranges (one range when the INSERT got consecutive ids)."""
    out: list[list[int]] = []
    for pk in sorted(m.pk for m in moves):
        if out and pk == out[-1][1] + 1:
            out[-1][1] = pk
        else:
            out.append([pk, pk])
    return out


def _save(event) -> None:
    event.save(force_insert=True)


def reversal_of(moves: list[StockMove]) -> list[PlannedMove]:
    """Planned moves that undo `moves` exactly: same quantity and value, the other way round.

    A move re-costed since (own corrections: same locations, `corrects` set) goes back at its
    corrected value, in one move; revaluations (negative stock repaired, residues) one by one."""
    by_id = {m.pk: m for m in moves}
    own: dict[int, Decimal] = {}
    folded: set[int] = set()
    for m in moves:
        target = by_id.get(m.corrects_id) if m.corrects_id else None
        if target is not None and (m.from_location_id, m.to_location_id) == (target.from_location_id,
                                                                              target.to_location_id):
            own[target.pk] = own.get(target.pk, ZERO) + m.value
            folded.add(m.pk)
    return [
        PlannedMove(
            item=m.item, quantity=m.quantity, from_location=m.to_location, to_location=m.from_location,
            lot=m.lot, value=m.value + own.get(m.pk, ZERO), line=m.line, reverses=m, is_adjustment=m.is_adjustment,
        )
        for m in sorted(moves, key=lambda m: m.pk, reverse=True) if m.pk not in folded
    ]


def _expired(lot: Lot | None, on: dt.date) -> TypeGuard[Lot]:
    return bool(lot and lot.expires_on and lot.expires_on < on)


def _fefo_order(b: _Balance) -> tuple[dt.date, dt.date, int]:
    lot = b.lot
    assert lot is not None  # only lot balances are FEFO candidates
    return (lot.expires_on or dt.date.max, lot.produced_on or dt.date.max, b.lot_key)


def _negative_allowed(location: Location) -> bool:
    return location.allow_negative or bool(location.warehouse and location.warehouse.allow_negative)
