"""The ledger check: balances equal the sum of the ledger, and the ledger balances by construction.

And the valuation equals a replay of the ledger in business-date order: every value posting derived
from the moving average (issues, returns, transfers, reversals, revaluations) is what a replay of each
item's moves in each warehouse, by business date, gives (stock/replay.py). A back-dated entry that was
not re-costed would show here.

Used by `jxc check-ledger`, by a periodic task, and at the end of every scenario test.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import groupby

from django.db import connection, transaction
from django.db.models import Min, Q

from openjxc.catalog.models import Item
from openjxc.core import clock
from openjxc.core.quantities import ZERO, cost, money, qty
from openjxc.stock.checkpoints import final_moves
from openjxc.stock.costing import CostState
from openjxc.stock.locations import VIRTUAL_CODES
from openjxc.stock.models import (
    STOCKED_KINDS,
    ItemValuation,
    LedgerCheckpoint,
    Location,
    LocationKind,
    StockMove,
)
from openjxc.stock.recost import (
    FIELDS,
    LineLinks,
    build_links,
    last_cost_before,
    link_context,
    rows,
    stocked_locations,
)
from openjxc.stock.replay import Links, Outcome, Row, group, replay


@dataclass
class Problem:
    code: str
    detail: str

    def __str__(self):
        return f"{self.code}: {self.detail}"


# Set-based: the database sums the ledger and compares it with the balances and valuations, and only the rows
# that differ come back, so the check's memory does not grow with the ledger (issue 15: ~60 s and memory-bound
# at 10 M moves when every (item, location, lot) sum was read into Python). Quantities compare at 4 places and
# money at 2, like the quantized Decimals before (SQLite sums REAL: ROUND keeps float noise out).
_NET = """
    SELECT item_id, loc, lot, SUM(q) AS q, SUM(v) AS v FROM (
        SELECT item_id, to_location_id AS loc, COALESCE(lot_id, 0) AS lot, SUM(quantity) AS q, SUM(value) AS v
        FROM stock_stockmove WHERE {where} GROUP BY item_id, to_location_id, COALESCE(lot_id, 0)
        UNION ALL
        SELECT item_id, from_location_id, COALESCE(lot_id, 0), -SUM(quantity), -SUM(value)
        FROM stock_stockmove WHERE {where} GROUP BY item_id, from_location_id, COALESCE(lot_id, 0)
    ) AS legs GROUP BY item_id, loc, lot"""



def _differs(q1: str, q2: str, v1: str, v2: str) -> str:
    """SQL: quantities differ at 4 places or values at 2 (a missing side counts as zero)."""
    return (f"(ROUND(COALESCE({q1}, 0), 4) <> ROUND(COALESCE({q2}, 0), 4) "
            f"OR ROUND(COALESCE({v1}, 0), 2) <> ROUND(COALESCE({v2}, 0), 2))")


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _scope(company_id: int | None, alias: str = "") -> tuple[str, list]:
    if not company_id:
        return "1 = 1", []
    return f"{alias}company_id = %s", [company_id]


def _stocked(company_id: int | None) -> str:
    kinds = ", ".join(f"'{k}'" for k in sorted(STOCKED_KINDS))
    return f"SELECT id FROM stock_location WHERE kind IN ({kinds})" + (f" AND company_id = {int(company_id)}"
                                                                        if company_id else "")


def check_ledger(company_id: int | None = None, *, full: bool = True, progress: Progress | None = None,
                 stats: list[ReplayStats] | None = None) -> list[Problem]:
    """Every violated invariant, as a list (empty when the books are right).

    Steps 1-3 always cover the whole ledger (set-based sums). Step 4, the replay in business-date order, covers
    the whole history when `full`, else what was posted since the company's checkpoint (replay_problems)."""
    problems: list[Problem] = []
    where, params = _scope(company_id)
    net = _NET.format(where=where)
    net_params = params * 2
    true = "TRUE" if connection.vendor == "postgresql" else "1"

    # 1. each item's moves sum to zero over all locations, virtual ones included; 2. balances equal the ledger at
    # every stocked location (and the ledger equals the balances). One statement: the ledger is summed once.
    b_where, b_params = _scope(company_id, "b.")
    stocked = _stocked(company_id)
    rows = _fetch(
        f"WITH net AS ({net}) "
        f"SELECT 0, item_id, NULL, NULL, SUM(q), SUM(v), NULL, NULL FROM net GROUP BY item_id "
        f"HAVING ROUND(SUM(q), 4) <> 0 OR ROUND(SUM(v), 2) <> 0 "
        f"UNION ALL "
        f"SELECT 1, COALESCE(n.item_id, b.item_id), COALESCE(n.loc, b.location_id), COALESCE(n.lot, b.lot_key), "
        f"n.q, n.v, b.quantity, b.value FROM (SELECT * FROM net WHERE loc IN ({stocked})) AS n "
        f"FULL OUTER JOIN (SELECT b.* FROM stock_stockbalance b WHERE {b_where}) AS b "
        f"ON b.item_id = n.item_id AND b.location_id = n.loc AND b.lot_key = n.lot "
        f"WHERE {_differs('n.q', 'b.quantity', 'n.v', 'b.value')} ORDER BY 1, 2, 3, 4",
        net_params + b_params)
    for _kind, item, _loc, _lot, q, v, _bq, _bv in (r for r in rows if r[0] == 0):
        problems.append(Problem("ledger.not_zero_sum",
                                f"item {item}: moves sum to quantity {qty(q or 0)}, value {money(v or 0)}"))
    # and a negative balance only where the location or its warehouse allows it
    for _kind, item, loc, lot, lq, lv, bq, bv in (r for r in rows if r[0] == 1):
        problems.append(Problem(
            "balance.mismatch",
            f"item {item} location {loc} lot {lot or '-'}: balance {qty(bq or 0)} / {money(bv or 0)}, "
            f"ledger {qty(lq or 0)} / {money(lv or 0)}",
        ))
    for item, loc, lot, bq in _fetch(
            f"SELECT b.item_id, b.location_id, b.lot_key, b.quantity FROM stock_stockbalance b "
            f"JOIN stock_location l ON l.id = b.location_id LEFT JOIN stock_warehouse w ON w.id = l.warehouse_id "
            f"WHERE {b_where} AND ROUND(b.quantity, 4) < 0 AND NOT (l.allow_negative = {true} "
            f"OR COALESCE(w.allow_negative, {'FALSE' if true == 'TRUE' else '0'}) = {true}) ORDER BY 1, 2, 3",
            b_params):
        problems.append(Problem(
            "balance.negative", f"item {item} location {loc} lot {lot or '-'}: {qty(bq)} where not allowed"
        ))

    # 3. each (item, warehouse) valuation equals the sum of its balances, and a warehouse without
    # stock of an item holds no value of it. Single bins may: the average is kept per warehouse,
    # so a bin emptied at the average can keep a few cents that another bin balances.
    per_wh = (f"SELECT b.item_id, l.warehouse_id, SUM(b.quantity) AS q, SUM(b.value) AS v FROM stock_stockbalance b "
              f"JOIN stock_location l ON l.id = b.location_id WHERE {b_where} GROUP BY b.item_id, l.warehouse_id")
    for item, wh, sv in _fetch(f"SELECT item_id, warehouse_id, v FROM ({per_wh}) AS s "
                               f"WHERE ROUND(q, 4) = 0 AND ROUND(v, 2) <> 0 ORDER BY 1, 2", b_params):
        problems.append(Problem("balance.value_without_stock", f"item {item} warehouse {wh}: value {money(sv)}"))
    v_where, v_params = _scope(company_id, "v.")
    for item, wh, sq, sv, vq, vv in _fetch(
            f"SELECT COALESCE(s.item_id, v.item_id), COALESCE(s.warehouse_id, v.warehouse_id), s.q, s.v, "
            f"v.quantity, v.value FROM ({per_wh}) AS s FULL OUTER JOIN (SELECT v.* FROM stock_itemvaluation v "
            f"WHERE {v_where}) AS v ON v.item_id = s.item_id AND v.warehouse_id = s.warehouse_id "
            f"WHERE {_differs('s.q', 'v.quantity', 's.v', 'v.value')} ORDER BY 1, 2",
            b_params + v_params):
        problems.append(Problem(
            "valuation.mismatch",
            f"item {item} warehouse {wh}: valuation {qty(vq or 0)} / {money(vv or 0)}, "
            f"balances {qty(sq or 0)} / {money(sv or 0)}",
        ))

    # 4. each item's value in each warehouse is what a replay of its moves in business-date order gives
    if progress:
        progress(f"sums and comparisons: {len(problems)} problem(s)")
    problems += replay_problems(company_id, full=full, progress=progress, stats=stats)

    # 5. the ledger is append-only in the database itself
    if not append_only_enforced():
        problems.append(Problem("ledger.not_protected", "the triggers that refuse UPDATE/DELETE on moves are missing"))
    return problems


def append_only_enforced() -> bool:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name IN "
                "('stockmove_no_update', 'stockmove_no_delete')"
            )
        else:
            cur.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname IN ('stockmove_no_update', 'stockmove_no_delete') "
                "AND NOT tgisinternal"
            )
        return cur.fetchone()[0] == 2


# ------------------------------------------------------------------ step 4: the replay in business-date order
#
# Two ways (docs/decisions/0019-ledger-check-follows-the-days-postings.md):
# - since the checkpoint (the nightly task, `jxc check-ledger`): only the (item, warehouse) pairs with moves above
#   the company's LedgerCheckpoint, each from the earliest business date among those moves (a back-dated move
#   brings its later history with it), starting from the state before that date: the valuation less the moves
#   read, which steps 1-3 prove equal to the ledger. Work and memory follow the postings since the last check.
# - full (`--full`, the first check of a company, the tests' assert_ledger_consistent): every item from an empty
#   state, a chunk of items at a time, so memory stays flat whatever the length of the history.
# A replay that finds no difference moves the checkpoint up to the highest move it saw.

_ITEMS_PER_READ = 500  # the items of one streamed read of the full replay
_ROWS_PER_BATCH = 20_000  # the moves replayed together (their line links read at once)
_ITEMS_PER_PASS = 100  # a chunk of the replay since the checkpoint (only the moves from each pair's date on)

Progress = Callable[[str], None]


@dataclass
class ReplayStats:
    """What a replay did, per company (for progress lines, the bench and the tests)."""

    company_id: int
    full: bool
    items: int = 0
    pairs: int = 0
    moves: int = 0
    last_move_id: int = 0
    advanced: bool = False


class _StateBefore(CostState):
    """The state of a warehouse before a date, as the valuation less the moves from that date on, with the last
    cost given, or read from the ledger only when the replay asks for it (`loader`)."""

    def __init__(self, quantity: Decimal, value: Decimal):
        self._load: Callable[[], Decimal] | None = None
        self._cost = ZERO
        super().__init__(quantity, value)

    def loader(self, load: Callable[[], Decimal]) -> None:
        self._load = load

    @property
    def last_cost(self) -> Decimal:
        if self._load is not None:
            self._cost, self._load = self._load(), None
        return self._cost

    @last_cost.setter
    def last_cost(self, value: Decimal) -> None:
        self._cost, self._load = value, None


def replay_problems(company_id: int | None = None, *, full: bool = True, progress: Progress | None = None,
                    stats: list[ReplayStats] | None = None) -> list[Problem]:
    """Every stored value that differs from a replay of the ledger in business-date order: of the whole history
    (`full`), or of what was posted since the company's checkpoint (the whole history when it has none)."""
    problems: list[Problem] = []
    if company_id:
        companies = [company_id]
    else:
        companies = sorted(set(Location.objects.values_list("company_id", flat=True)))
    for cid in companies:
        run = ReplayStats(cid, full)
        where = stocked_locations(cid)
        adjustment = Location.objects.filter(company_id=cid, code=VIRTUAL_CODES[LocationKind.ADJUSTMENT]
                                             ).values_list("id", flat=True).first() or 0
        # first what may be checkpointed (everything at or below `high` is final, so any later snapshot sees it)
        high, settled = final_moves(cid)
        if full:
            found = _replay_all(cid, where, adjustment, run, progress)
        else:
            # one snapshot for the valuations and the moves they are compared with (postings go on meanwhile)
            with _snapshot():
                checkpoint = LedgerCheckpoint.objects.filter(company_id=cid).first()
                if checkpoint is None:
                    run.full = True
                    found = _replay_all(cid, where, adjustment, run, progress)
                else:
                    found = _replay_since(cid, checkpoint.last_move_id, where, adjustment, run, progress)
        run.last_move_id = high
        if not found and settled and high:
            _advance(cid, high, run.full)
            run.advanced = True
        if progress:
            progress(f"company {cid}: replayed {run.moves:,} moves of {run.pairs:,} (item, warehouse) pairs "
                     f"({'full' if run.full else 'since the checkpoint'}), {len(found)} difference(s)")
        problems += found
        if stats is not None:
            stats.append(run)
    return problems


@contextmanager
def _snapshot():
    """A transaction that reads one snapshot (REPEATABLE READ on PostgreSQL; a read transaction is one on
    SQLite). Inside an open transaction (tests, a caller's atomic block) that transaction is used as it is."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _advance(company_id: int, last_move_id: int, full: bool) -> None:
    now = clock.now()
    values: dict = {"last_move_id": last_move_id, "checked_at": now}
    if full:
        values["full_at"] = now
    with transaction.atomic():
        updated = LedgerCheckpoint.objects.filter(company_id=company_id, last_move_id__lte=last_move_id
                                                  ).update(**values)
        if not updated and not LedgerCheckpoint.objects.filter(company_id=company_id).exists():
            LedgerCheckpoint.objects.create(company_id=company_id, **values)


def _replay_all(cid: int, where: dict[int, int], adjustment: int, run: ReplayStats,
                progress: Progress | None, *, limit_items: int | None = None) -> list[Problem]:
    """Every item's whole history (of the first `limit_items`: the bench), streamed in (item, business date, id)
    order: items are replayed a batch of about _ROWS_PER_BATCH moves at a time (one item's moves at least), so
    memory holds a batch, not the ledger (a best-selling item has 100 times the moves of a slow one)."""
    problems: list[Problem] = []
    items = list(Item.objects.filter(company_id=cid).order_by("pk").values_list("pk", flat=True)[:limit_items])
    reported = time.monotonic()
    batch: list[list] = []
    buffered = 0

    def flush() -> None:
        nonlocal batch, buffered
        lines = LineLinks({r.line_id for item_rows in batch for r in item_rows if r.line_id})
        for item_rows in batch:
            problems.extend(_replay_item(item_rows[0].item_id, item_rows, where, adjustment, lines, run))
            run.moves += len(item_rows)
        run.items += len(batch)
        batch, buffered = [], 0

    for start in range(0, len(items), _ITEMS_PER_READ):
        chunk = items[start:start + _ITEMS_PER_READ]
        stream = (StockMove.objects.filter(company_id=cid, item_id__in=chunk).order_by("item_id", "business_on", "id")
                  .values_list(*FIELDS).iterator(chunk_size=5000))
        for _item_id, item_rows in groupby((Row(*values) for values in stream), key=lambda r: r.item_id):
            batch.append(list(item_rows))
            buffered += len(batch[-1])
            if buffered >= _ROWS_PER_BATCH:
                flush()
        if batch:
            flush()
        if progress and (time.monotonic() - reported > 10 or start + _ITEMS_PER_READ >= len(items)):
            reported = time.monotonic()
            progress(f"company {cid}: {min(start + _ITEMS_PER_READ, len(items)):,} of {len(items):,} items, "
                     f"{run.moves:,} moves replayed")
    return problems


def _replay_item(item_id, item_rows, where, adjustment, lines: LineLinks, run: ReplayStats) -> list[Problem]:
    out = []
    warehouses = sorted({where[loc] for r in item_rows for loc in (r.from_id, r.to_id) if loc in where})
    everything = group(item_rows, adjustment)
    links = build_links(item_rows, everything, lines)
    for wh in warehouses:
        locations = {loc for loc, w in where.items() if w == wh}
        primaries = group([r for r in item_rows if r.from_id in locations or r.to_id in locations], adjustment)
        outcome = replay(primaries, CostState(), locations=locations, warehouse_id=wh, warehouse_of=where.get,
                         links=links, follow_stored=True)
        run.pairs += 1
        out += _mismatches(item_id, wh, outcome)
    return out


def _mismatches(item_id: int, wh: int, outcome: Outcome) -> list[Problem]:
    return [Problem(
        "ledger.replay_mismatch",
        f"item {item_id} warehouse {wh}: move {d.primary.id} of {d.primary.business_on} "
        f"({'value' if d.kind == 'own' else 'revaluation'}) is {d.stored}, a replay in business-date "
        f"order gives {d.expected}",
    ) for d in outcome.differences]


def _replay_since(cid: int, after: int, where: dict[int, int], adjustment: int, run: ReplayStats,
                  progress: Progress | None) -> list[Problem]:
    """The (item, warehouse) pairs with moves above `after`, each from the earliest business date among them."""
    starts: dict[tuple[int, int], dt.date] = {}
    for item, frm, to, day in (StockMove.objects.filter(company_id=cid, id__gt=after).order_by()
                               .values_list("item_id", "from_location_id", "to_location_id")
                               .annotate(day=Min("business_on"))):
        for loc in (frm, to):
            wh = where.get(loc)
            if wh is not None and (day < starts.get((item, wh), day) or (item, wh) not in starts):
                starts[(item, wh)] = day
    return replay_pairs(cid, starts, where, adjustment, run, progress)


def replay_pairs(cid: int, starts: dict[tuple[int, int], dt.date], where: dict[int, int], adjustment: int,
                 run: ReplayStats, progress: Progress | None = None) -> list[Problem]:
    """Replay each (item, warehouse) pair of `starts` from its date, from the valuation less the moves read."""
    problems: list[Problem] = []
    warehouses_of: dict[int, list[int]] = {}
    for item, wh in sorted(starts):
        warehouses_of.setdefault(item, []).append(wh)
    items = sorted(warehouses_of)
    locations_of: dict[int, set[int]] = {}
    for loc, wh in where.items():
        locations_of.setdefault(wh, set()).add(loc)
    for start in range(0, len(items), _ITEMS_PER_PASS):
        chunk = items[start:start + _ITEMS_PER_PASS]
        by_day: dict[dt.date, list[int]] = {}
        for item in chunk:
            by_day.setdefault(min(starts[(item, wh)] for wh in warehouses_of[item]), []).append(item)
        read = Q()
        for day, day_items in by_day.items():
            read |= Q(item_id__in=day_items, business_on__gte=day)
        moves = rows(StockMove.objects.filter(read, company_id=cid).order_by("item_id", "business_on", "id"))
        lines, known = link_context([r for r in moves if r.corrects_id is None], moves)
        known_of: dict[int, list] = {}
        for r in known.values():
            known_of.setdefault(r.item_id, []).append(r)
        valuation = {(item, wh): (q, v) for item, wh, q, v in ItemValuation.objects.filter(
            company_id=cid, item_id__in=chunk).values_list("item_id", "warehouse_id", "quantity", "value")}
        pending = []
        for item_id, item_rows_ in groupby(moves, key=lambda r: r.item_id):
            item_rows = list(item_rows_)
            links = build_links(known_of.get(item_id, item_rows), group(item_rows, adjustment), lines)
            for wh in warehouses_of[item_id]:
                pending.append(_pair_before(item_id, wh, starts[(item_id, wh)], item_rows, locations_of[wh],
                                            valuation.get((item_id, wh), (ZERO, ZERO)), links))
        # the last cost before the date, for the pairs that start with nothing on hand (the replay needs it for
        # their first issue), in one statement per date; others read it when the replay asks (rare)
        empty: dict[dt.date, list[tuple[int, int]]] = {}
        for p in pending:
            if p.state.quantity <= 0:
                empty.setdefault(p.day, []).append((p.item_id, p.warehouse_id))
        last_costs: dict[tuple[int, int], Decimal] = {}
        for day, pairs in empty.items():
            last_costs.update(last_costs_before(cid, pairs, day, where))
        for p in pending:
            key = (p.item_id, p.warehouse_id)
            if p.state.quantity <= 0:
                p.state.last_cost = last_costs.get(key, ZERO)
            else:
                p.state.loader(partial(last_cost_before, cid, p.item_id, p.locations, p.day))
            outcome = replay(group(p.rows, adjustment), p.state, locations=p.locations, warehouse_id=p.warehouse_id,
                             warehouse_of=where.get, links=p.links, follow_stored=True)
            run.pairs += 1
            problems += _mismatches(p.item_id, p.warehouse_id, outcome)
        run.items += len(chunk)
        run.moves += len(moves)
        if progress:
            progress(f"company {cid}: {run.items:,} of {len(items):,} items with new moves, {run.moves:,} moves "
                     f"replayed")
    return problems


@dataclass
class _Pair:
    item_id: int
    warehouse_id: int
    day: dt.date
    rows: list
    locations: set[int]
    links: Links
    state: _StateBefore


def _pair_before(item_id, wh, day, item_rows, locations, valuation, links) -> _Pair:
    """A pair's moves from `day` on, and its state before `day`: the valuation less those moves."""
    pair_rows = [r for r in item_rows if r.business_on >= day and (r.from_id in locations or r.to_id in locations)]
    quantity, value = qty(valuation[0]), money(valuation[1])
    for r in pair_rows:
        if r.to_id in locations:
            quantity, value = quantity - r.quantity, value - r.value
        if r.from_id in locations:
            quantity, value = quantity + r.quantity, value + r.value
    return _Pair(item_id, wh, day, pair_rows, locations, links, _StateBefore(quantity, value))


def last_costs_before(cid: int, pairs: list[tuple[int, int]], day: dt.date,
                      where: dict[int, int]) -> dict[tuple[int, int], Decimal]:
    """recost.last_cost_before for many (item, warehouse) pairs at once: the unit cost (own value / quantity) of
    each pair's last receipt from outside the warehouse dated before `day`, by (business date, id)."""
    items = sorted({i for i, _w in pairs})
    warehouses = sorted({w for _i, w in pairs})
    locations = sorted(loc for loc, wh in where.items() if wh in warehouses)
    wanted = set(pairs)
    false = "FALSE" if connection.vendor == "postgresql" else "0"
    marks = ", ".join(["%s"] * len(items))
    loc_marks = ", ".join(["%s"] * len(locations))
    sql = (
        "SELECT r.item_id, r.wh, r.quantity, r.value + COALESCE((SELECT SUM(c.value) FROM stock_stockmove c "
        "WHERE c.corrects_id = r.id AND c.from_location_id = r.from_location_id "
        "AND c.to_location_id = r.to_location_id), 0) FROM ("
        "SELECT m.id, m.item_id, l.warehouse_id AS wh, m.quantity, m.value, m.from_location_id, m.to_location_id, "
        "ROW_NUMBER() OVER (PARTITION BY m.item_id, l.warehouse_id ORDER BY m.business_on DESC, m.id DESC) AS n "
        "FROM stock_stockmove m JOIN stock_location l ON l.id = m.to_location_id "
        "JOIN stock_location f ON f.id = m.from_location_id "
        f"WHERE m.company_id = %s AND m.item_id IN ({marks}) AND m.business_on < %s AND m.quantity > 0 "
        f"AND m.reverses_id IS NULL AND m.corrects_id IS NULL AND m.is_adjustment = {false} "
        f"AND m.to_location_id IN ({loc_marks}) "
        "AND (f.warehouse_id IS NULL OR f.warehouse_id <> l.warehouse_id OR f.kind NOT IN ('internal', 'transit'))"
        ") AS r WHERE r.n = 1")
    out: dict[tuple[int, int], Decimal] = {}
    with connection.cursor() as cur:
        cur.execute(sql, [cid, *items, day, *locations])
        for item, wh, quantity, own in cur.fetchall():
            if (item, wh) in wanted:
                out[(item, wh)] = cost(Decimal(str(own)) / Decimal(str(quantity)))
    return out
