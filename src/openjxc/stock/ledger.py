"""The ledger check: balances equal the sum of the ledger, and the ledger balances by construction.

And the valuation equals a replay of the ledger in business-date order: every value posting derived
from the moving average (issues, returns, transfers, reversals, revaluations) is what a replay of each
item's moves in each warehouse, by business date, gives (stock/replay.py). A back-dated entry that was
not re-costed would show here.

Used by `jxc check-ledger`, by a periodic task, and at the end of every scenario test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from openjxc.core.quantities import money, qty
from openjxc.stock.costing import CostState
from openjxc.stock.locations import VIRTUAL_CODES
from openjxc.stock.models import STOCKED_KINDS, ItemValuation, Location, LocationKind, StockBalance, StockMove
from openjxc.stock.recost import LineLinks, build_links, rows, stocked_locations
from openjxc.stock.replay import group, replay


@dataclass
class Problem:
    code: str
    detail: str

    def __str__(self):
        return f"{self.code}: {self.detail}"


def _sums(company_id, column: str) -> dict[tuple[int, int, int], tuple[Decimal, Decimal]]:
    rows = (
        StockMove.objects.filter(**({"company_id": company_id} if company_id else {}))
        .values_list("item_id", column, "lot_id")
        .annotate(q=Sum("quantity"), v=Sum("value"))
    )
    return {(i, loc, lot or 0): (qty(q or 0), money(v or 0)) for i, loc, lot, q, v in rows}


def check_ledger(company_id: int | None = None) -> list[Problem]:
    """Every violated invariant, as a list (empty when the books are right)."""
    problems: list[Problem] = []
    scope = {"company_id": company_id} if company_id else {}
    stocked = set(Location.objects.filter(kind__in=STOCKED_KINDS, **scope).values_list("id", flat=True))
    incoming = _sums(company_id, "to_location_id")
    outgoing = _sums(company_id, "from_location_id")

    # 1. each item's moves sum to zero over all locations, virtual ones included
    per_item: dict[int, list[Decimal]] = {}
    for (item, _loc, _lot), (q, v) in incoming.items():
        acc = per_item.setdefault(item, [Decimal(0), Decimal(0)])
        acc[0] += q
        acc[1] += v
    for (item, _loc, _lot), (q, v) in outgoing.items():
        acc = per_item.setdefault(item, [Decimal(0), Decimal(0)])
        acc[0] -= q
        acc[1] -= v
    for item, (q, v) in per_item.items():
        if q != 0 or v != 0:
            problems.append(Problem("ledger.not_zero_sum", f"item {item}: moves sum to quantity {q}, value {v}"))

    # 2. balances equal the ledger at every stocked location (and the ledger equals the balances)
    ledger: dict[tuple[int, int, int], list[Decimal]] = {}
    for source, sign in ((incoming, 1), (outgoing, -1)):
        for key, (q, v) in source.items():
            if key[1] in stocked:
                acc = ledger.setdefault(key, [Decimal(0), Decimal(0)])
                acc[0] += sign * q
                acc[1] += sign * v
    balances = {
        (b.item_id, b.location_id, b.lot_key): b
        for b in StockBalance.objects.filter(**scope).select_related("location__warehouse")
    }
    for key in set(ledger) | set(balances):
        lq, lv = ledger.get(key, (Decimal(0), Decimal(0)))
        b = balances.get(key)
        bq, bv = (qty(b.quantity), money(b.value)) if b else (Decimal(0), Decimal(0))
        if lq != bq or lv != bv:
            problems.append(Problem(
                "balance.mismatch",
                f"item {key[0]} location {key[1]} lot {key[2] or '-'}: balance {bq} / {bv}, ledger {lq} / {lv}",
            ))
        if b is not None and bq < 0 and not (b.location.allow_negative or (b.location.warehouse is not None
                                                                          and b.location.warehouse.allow_negative)):
            problems.append(Problem(
                "balance.negative", f"item {key[0]} location {key[1]} lot {key[2] or '-'}: {bq} where not allowed"
            ))

    # 3. each (item, warehouse) valuation equals the sum of its balances, and a warehouse without
    # stock of an item holds no value of it. Single bins may: the average is kept per warehouse,
    # so a bin emptied at the average can keep a few cents that another bin balances.
    per_wh: dict[tuple[int, int | None], list[Decimal]] = {}
    for b in balances.values():
        acc = per_wh.setdefault((b.item_id, b.location.warehouse_id), [Decimal(0), Decimal(0)])
        acc[0] += qty(b.quantity)
        acc[1] += money(b.value)
    for (item, wh), (sq, sv) in per_wh.items():
        if sq == 0 and sv != 0:
            problems.append(Problem("balance.value_without_stock", f"item {item} warehouse {wh}: value {sv}"))
    valuations: dict[tuple[int, int | None], ItemValuation] = {
        (val.item_id, val.warehouse_id): val for val in ItemValuation.objects.filter(**scope)
    }
    for wh_key in set(per_wh) | set(valuations):
        sq, sv = per_wh.get(wh_key, (Decimal(0), Decimal(0)))
        val = valuations.get(wh_key)
        vq, vv = (qty(val.quantity), money(val.value)) if val else (Decimal(0), Decimal(0))
        if sq != vq or sv != vv:
            problems.append(Problem(
                "valuation.mismatch",
                f"item {wh_key[0]} warehouse {wh_key[1]}: valuation {vq} / {vv}, balances {sq} / {sv}",
            ))

    # 4. each item's value in each warehouse is what a replay of its moves in business-date order gives
    problems += replay_problems(company_id)

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


_ITEMS_PER_READ = 200


def replay_problems(company_id: int | None = None) -> list[Problem]:
    """Every stored value that differs from a replay of the ledger in business-date order."""
    problems: list[Problem] = []
    companies = [company_id] if company_id else sorted(set(StockMove.objects.values_list("company_id", flat=True)))
    for cid in companies:
        where = stocked_locations(cid)
        adjustment = Location.objects.filter(company_id=cid, code=VIRTUAL_CODES[LocationKind.ADJUSTMENT]
                                             ).values_list("id", flat=True).first()
        items = sorted(set(StockMove.objects.filter(company_id=cid).values_list("item_id", flat=True)))
        for start in range(0, len(items), _ITEMS_PER_READ):
            chunk = items[start:start + _ITEMS_PER_READ]
            moves = rows(StockMove.objects.filter(company_id=cid, item_id__in=chunk).order_by("business_on", "id"))
            lines = LineLinks({r.line_id for r in moves if r.line_id})
            per_item: dict[int, list] = {}
            for r in moves:
                per_item.setdefault(r.item_id, []).append(r)
            for item_id, item_rows in per_item.items():
                problems += _replay_item(item_id, item_rows, where, adjustment, lines)
    return problems


def _replay_item(item_id, item_rows, where, adjustment, lines: LineLinks) -> list[Problem]:
    out = []
    warehouses = sorted({where[loc] for r in item_rows for loc in (r.from_id, r.to_id) if loc in where})
    everything = group(item_rows, adjustment)
    links = build_links(item_rows, everything, lines)
    for wh in warehouses:
        locations = {loc for loc, w in where.items() if w == wh}
        primaries = group([r for r in item_rows if r.from_id in locations or r.to_id in locations], adjustment)
        outcome = replay(primaries, CostState(), locations=locations, warehouse_id=wh, warehouse_of=where.get,
                         links=links, follow_stored=True)
        for d in outcome.differences:
            out.append(Problem(
                "ledger.replay_mismatch",
                f"item {item_id} warehouse {wh}: move {d.primary.id} of {d.primary.business_on} "
                f"({'value' if d.kind == 'own' else 'revaluation'}) is {d.stored}, a replay in business-date "
                f"order gives {d.expected}",
            ))
    return out
