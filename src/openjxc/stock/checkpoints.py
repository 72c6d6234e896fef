"""Month-end checkpoints of the balances, so that stock as of any date reads one checkpoint and at most a month
of moves, however long the history (issue 15; docs/decisions/0019-ledger-check-follows-the-days-postings.md).

`MonthEndBalance` holds, per (item, stocked location, lot), the sum of exactly the moves with an id up to
`MonthEndBalances.moves_through` dated on or before each month end. A move posted later but dated on or before
a month end (back-dated, or a re-costing correction, which carries the date of the move it corrects) is not in
the checkpoint until the nightly job folds it in; until then stock as of a date adds it from the ledger: the
moves above `moves_through` are the ones posted since the job last ran (a range of the primary key). So a read
is always exact, and the job keeps it short:

    as of D = checkpoint(M)  +  moves dated in (M, D]  +  moves with id > moves_through dated on or before M
            (or, from the month end after D: checkpoint(M) - moves dated in (D, M] + the same late moves)

where M is the month end with a checkpoint nearest to D: at most half a month of moves to read. `refresh(company)` (the nightly task,
`jxc check-ledger`'s companion) first folds the moves above `moves_through` into every checkpoint they belong
to, then writes the month ends that have ended since, each from the one before and its month's moves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import OperationalError, connection, transaction

from openjxc.core import clock
from openjxc.core.models import Company
from openjxc.core.quantities import ZERO, money, qty
from openjxc.stock.models import STOCKED_KINDS, Location, MonthEndBalance, MonthEndBalances, StockMove

# A move gets its id before its transaction commits, so a transaction still running may hold ids below the
# highest one visible: a checkpoint may only move past ids that no running transaction can still add. On
# PostgreSQL the highest id is read under a SHARE lock on the moves: it waits for the transactions inserting moves
# to finish (an INSERT holds ROW EXCLUSIVE until its transaction ends) and holds new ones back for the time of one
# index lookup. A posting that keeps the lock longer than LOCK_WAIT leaves the checkpoint where it was (the moves
# are replayed now and again the next time). The transactions writing anything else (the facts build) do not count.
LOCK_WAIT = "2s"


def final_moves(company_id: int) -> tuple[int, bool]:
    """The company's highest move id, and whether every move at or below it is final (no transaction still
    running can add one there), i.e. whether a checkpoint may move up to it."""
    sql = "SELECT MAX(id) FROM stock_stockmove WHERE company_id = %s"
    with connection.cursor() as cur:
        if connection.vendor != "postgresql":  # one writer at a time: an open write transaction's ids are above
            cur.execute(sql, [company_id])
            return cur.fetchone()[0] or 0, True
        settled = True
        # in a caller's transaction (tests) the lock lasts until it ends: its own inserts do not conflict with it
        with transaction.atomic():
            cur.execute("SELECT current_setting('lock_timeout')")
            before = cur.fetchone()[0]
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
            try:
                with transaction.atomic():
                    cur.execute("LOCK TABLE stock_stockmove IN SHARE MODE")
            except OperationalError:
                settled = False
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [before])
            cur.execute(sql, [company_id])
            return cur.fetchone()[0] or 0, settled


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def nearest_checkpoint(company_id: int, on: dt.date) -> tuple[dt.date, int] | None:
    """(the month end nearest to `on` with a checkpoint — the one on or before it or the one after it, whichever
    fewer days of moves separate from `on` — and moves_through), or None when the company has no checkpoint."""
    state = MonthEndBalances.objects.filter(company_id=company_id).values_list("first", "last", "moves_through").first()
    if state is None:
        return None
    first, last, through = state
    before = min(on if on == month_end(on) else on.replace(day=1) - dt.timedelta(days=1), last)
    after = month_end(on)
    candidates = [m for m in (before, after) if first <= m <= last]
    if not candidates:
        return None
    return min(candidates, key=lambda m: abs((on - m).days)), through


def _stocked_sql(company_id: int) -> str:
    kinds = ", ".join(f"'{k}'" for k in sorted(STOCKED_KINDS))
    return f"SELECT id FROM stock_location WHERE company_id = {int(company_id)} AND kind IN ({kinds})"


def refresh(company: Company, *, today: dt.date | None = None) -> dict:
    """Fold the moves posted since the last refresh into the checkpoints, then write the month ends that have
    passed (every complete month before `today`). Returns what it did."""
    today = today or clock.today(company.time_zone)
    high, settled = final_moves(company.pk)
    done = {"folded": 0, "months": 0, "moves_through": high}
    with transaction.atomic():
        state = MonthEndBalances.objects.select_for_update().filter(company=company).first()
        if state is not None and settled and high > state.moves_through:
            done["folded"] = _fold(company.pk, state, high)
            state.moves_through = high
        elif state is not None:
            high = state.moves_through  # new month ends hold what the others hold, no more
        first_move = StockMove.objects.filter(company=company).order_by("business_on").values_list(
            "business_on", flat=True).first()
        if first_move is None:
            return done
        wanted = month_end(today.replace(day=1) - dt.timedelta(days=1))  # the last complete month
        start = month_end(first_move) if state is None else month_end(state.last + dt.timedelta(days=1))
        if state is None:
            if not settled or start > wanted:
                return done
            state = MonthEndBalances(company=company, first=start, last=start, moves_through=high)
        previous = state.last if state.pk else None
        m = start
        while m <= wanted:
            _write_month(company.pk, m, previous, high)
            previous, m = m, month_end(m + dt.timedelta(days=1))
            state.last = previous
            done["months"] += 1
        state.updated_at = clock.now()
        state.save()
    done["moves_through"] = state.moves_through
    return done


def _write_month(company_id: int, m: dt.date, previous: dt.date | None, through: int) -> None:
    """The checkpoint of month end `m`: the one of `previous` plus the moves dated after it up to `m` (or the
    ledger up to `m` for the first), moves with ids up to `through` only. One INSERT … SELECT."""
    stocked = _stocked_sql(company_id)
    base = ("SELECT item_id, location_id AS loc, lot_id AS lot, quantity AS q, value AS v FROM stock_monthendbalance "
            "WHERE company_id = %s AND month_end = %s UNION ALL ") if previous else ""
    base_params: list = [company_id, previous] if previous else []
    dated = "business_on > %s AND business_on <= %s" if previous else "business_on <= %s"
    dated_params: list = [previous, m] if previous else [m]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO stock_monthendbalance (company_id, month_end, item_id, location_id, lot_id, lot_key, "
            "quantity, value) SELECT %s, %s, item_id, loc, lot, COALESCE(lot, 0), ROUND(SUM(q), 4), ROUND(SUM(v), 2) "
            f"FROM ({base}"
            f"SELECT item_id, to_location_id AS loc, lot_id AS lot, quantity AS q, value AS v FROM stock_stockmove "
            f"WHERE company_id = %s AND {dated} AND id <= %s AND to_location_id IN ({stocked}) UNION ALL "
            f"SELECT item_id, from_location_id, lot_id, -quantity, -value FROM stock_stockmove "
            f"WHERE company_id = %s AND {dated} AND id <= %s AND from_location_id IN ({stocked})"
            ") AS legs GROUP BY item_id, loc, lot HAVING ROUND(SUM(q), 4) <> 0 OR ROUND(SUM(v), 2) <> 0",
            [company_id, m, *base_params, company_id, *dated_params, through, company_id, *dated_params, through])


def _fold(company_id: int, state: MonthEndBalances, high: int) -> int:
    """Add the moves with ids in (moves_through, high] dated on or before the last checkpoint to every checkpoint
    from their month on. Few: only back-dated moves and corrections are dated that early."""
    stocked = set(Location.objects.filter(company_id=company_id, kind__in=STOCKED_KINDS).values_list("id", flat=True))
    late = (StockMove.objects.filter(company_id=company_id, id__gt=state.moves_through, id__lte=high,
                                     business_on__lte=state.last).order_by()
            .values_list("item_id", "from_location_id", "to_location_id", "lot_id", "business_on", "quantity",
                         "value"))
    deltas: dict[tuple[dt.date, int, int, int | None], list[Decimal]] = {}
    count = 0
    for item, frm, to, lot, day, q, v in late.iterator(chunk_size=2000):
        count += 1
        m = max(month_end(day), state.first)
        while m <= state.last:
            for loc, sign in ((to, 1), (frm, -1)):
                if loc in stocked:
                    d = deltas.setdefault((m, item, loc, lot), [ZERO, ZERO])
                    d[0] += sign * q
                    d[1] += sign * v
            m = month_end(m + dt.timedelta(days=1))
    if not deltas:
        return count
    existing = {(r.month_end, r.item_id, r.location_id, r.lot_id): r for r in MonthEndBalance.objects.filter(
        company_id=company_id, month_end__in={k[0] for k in deltas}, item_id__in={k[1] for k in deltas})}
    changed, added = [], []
    for key, (q, v) in deltas.items():
        row = existing.get(key)
        if row is None:
            added.append(MonthEndBalance(company_id=company_id, month_end=key[0], item_id=key[1], location_id=key[2],
                                         lot_id=key[3], lot_key=key[3] or 0, quantity=qty(q), value=money(v)))
        else:
            row.quantity, row.value = qty(row.quantity + q), money(row.value + v)
            changed.append(row)
    MonthEndBalance.objects.bulk_update(changed, ["quantity", "value"], batch_size=1000)
    MonthEndBalance.objects.bulk_create(added, batch_size=1000)
    return count
