"""The only code that writes stock moves and balances.

`post_moves(planned, ...)` runs inside the caller's transaction:

1. Lock the (item, warehouse) valuation rows touched, in one UPSERT in sorted order.
   # fixed order: concurrent postings must not deadlock, and the valuation row guards every
   # balance of that item in that warehouse, so nothing else needs a lock.
2. Read the balances of those items at those locations (FEFO lots included).
3. Cost every move in order (stock/costing.py), refuse negative stock where it is not allowed.
4. Write the moves (one INSERT), the balances and the valuations (one UPSERT each).
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
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, cost, money, qty
from openjxc.core.sql import insert_objects, insert_together
from openjxc.stock.costing import CostState, apply_issue, apply_receipt, issue_value, residue
from openjxc.stock.locations import virtual_location
from openjxc.stock.models import ItemValuation, Location, LocationKind, Lot, StockBalance, StockMove


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

    def value_by_line(self) -> dict[int, Decimal]:
        out: dict[int, Decimal] = {}
        for m in self.moves:
            if m.line_id is not None and not m.is_adjustment:
                out[m.line_id] = out.get(m.line_id, ZERO) + m.value
        return out


def _dec(raw) -> Decimal:
    # SQLite hands NUMERIC columns back as int/float; go through repr to keep the decimal digits
    if isinstance(raw, Decimal):
        return raw
    return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)


# SQLite allows 32,766 bound parameters per statement: big postings (a 20,000-line count) go in chunks
_CHUNK = 5000


# (item, warehouse): every stocked location has a warehouse; the column is nullable for the virtual ones
ValuationKey = tuple[int, int | None]


def _lock_valuations(company_id: int, keys: list[ValuationKey]) -> dict[ValuationKey, CostState]:
    """Create-if-missing and lock valuation rows in the sorted order of `keys`; return their state.

    Chunks follow one another in that order, so the lock order stays the same across chunks."""
    out: dict[ValuationKey, CostState] = {}
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
            "RETURNING item_id, warehouse_id, quantity, value, last_cost"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        out.update({(r[0], r[1]): CostState(qty(_dec(r[2])), money(_dec(r[3])), cost(_dec(r[4]))) for r in rows})
    return out


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
) -> PostingResult:
    """Post planned moves atomically; refuse (DomainError) and write nothing if any move is refused."""
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

    states = _lock_valuations(company.pk, sorted(valuation_keys)) if valuation_keys else {}
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

    def new_move(p: PlannedMove, quantity, value, lot, *, frm=None, to=None, adjustment=False) -> StockMove:
        unit = cost(value / quantity) if quantity else ZERO
        m = StockMove(
            company_id=company.pk,
            item=p.item,
            lot=lot,
            from_location=frm or p.from_location,
            to_location=to or p.to_location,
            quantity=quantity,
            unit_cost=unit,
            value=value,
            document=document,
            line=p.line,
            reverses=p.reverses if not adjustment else None,
            is_adjustment=adjustment or p.is_adjustment,
            business_on=business_on,
            posted_at=now,
            posted_by=by if by is not None and by.pk else None,
        )
        result.moves.append(m)
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
                value = issue_value(states[(p.item.pk, frm.warehouse_id)], quantity)
            elif p.unit_cost is not None:
                value = money(quantity * p.unit_cost)
            elif to.is_stocked:  # e.g. a stock gain without a price comes in at the current average
                value = money(quantity * states[(p.item.pk, to.warehouse_id)].average)
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
            new_move(p, quantity, value, lot)
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
                    new_move(p, ZERO, adjustment, lot, frm=adjustment_location, to=to, adjustment=True)
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
                        new_move(p, ZERO, -left, lot, frm=adjustment_location, to=loc, adjustment=True)
                        b.value -= left
                        state.value -= left

    # hand-built multi-row statements (core/sql.py): bulk_create would compile each one afresh
    insert_objects(result.moves, returning_pk=True)
    # balances and valuations: one statement on PostgreSQL (a CTE), two elsewhere
    insert_together(
        (StockBalance, ("company", "item", "location", "lot", "lot_key", "quantity", "value"),
         [(company.pk, b.item_id, b.location_id, b.lot_id, b.lot_key, b.quantity, b.value) for b in touched.values()],
         ("item", "location", "lot_key"), ("quantity", "value")),
        (ItemValuation, ("company", "item", "warehouse", "quantity", "value", "last_cost"),
         [(company.pk, i, w, s.quantity, s.value, s.last_cost) for (i, w), s in states.items()],
         ("item", "warehouse"), ("quantity", "value", "last_cost")),
    )
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
            # the moves this call wrote, as [first, last] id ranges: the facts consumer (reports) reads exactly these
            "moves": move_ranges(result.moves),
        },
    ))
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
    """Planned moves that undo `moves` exactly: same quantity and value, the other way round."""
    return [
        PlannedMove(
            item=m.item, quantity=m.quantity, from_location=m.to_location, to_location=m.from_location,
            lot=m.lot, value=m.value, line=m.line, reverses=m, is_adjustment=m.is_adjustment,
        )
        for m in sorted(moves, key=lambda m: m.pk, reverse=True)
    ]


def _expired(lot: Lot | None, on: dt.date) -> TypeGuard[Lot]:
    return bool(lot and lot.expires_on and lot.expires_on < on)


def _fefo_order(b: _Balance) -> tuple[dt.date, dt.date, int]:
    lot = b.lot
    assert lot is not None  # only lot balances are FEFO candidates
    return (lot.expires_on or dt.date.max, lot.produced_on or dt.date.max, b.lot_key)


def _negative_allowed(location: Location) -> bool:
    return location.allow_negative or bool(location.warehouse and location.warehouse.allow_negative)
