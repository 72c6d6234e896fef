"""The ledger check: balances equal the sum of the ledger, and the ledger balances by construction.

And the valuation equals a replay of the ledger in business-date order: every value posting derived
from the moving average (issues, returns, transfers, reversals, revaluations) is what a replay of each
item's moves in each warehouse, by business date, gives (stock/replay.py). A back-dated entry that was
not re-costed would show here.

Used by `jxc check-ledger`, by a periodic task, and at the end of every scenario test.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from openjxc.core.quantities import money, qty
from openjxc.stock.costing import CostState
from openjxc.stock.locations import VIRTUAL_CODES
from openjxc.stock.models import STOCKED_KINDS, Location, LocationKind, StockMove
from openjxc.stock.recost import LineLinks, build_links, rows, stocked_locations
from openjxc.stock.replay import group, replay


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


def check_ledger(company_id: int | None = None) -> list[Problem]:
    """Every violated invariant, as a list (empty when the books are right)."""
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
