"""The cockpit's slow KPIs, computed by the worker and read by the page.

周转天数, 动销率 and 呆滞率 (cockpit.SLOW_KPIS) scan every item's stock facts: seconds on a large company. The
worker (reports/tasks.py, every minute) computes the ones the company's tiles show, for the whole company and for
each warehouse on its own (a store manager's scope), whenever the stored figure is older than cockpit.SLOW_TTL or
of another period (a new day), and writes them to KpiSnapshot. The page reads them in one statement
(`kept_for`) and never computes them — on every app server, from the first render of the day. A scope with no
snapshot (several warehouses but not all, or the worker not running) is computed on the spot as before.

A snapshot is read at most STALE_AFTER seconds after it was computed, so a stopped worker shows in slow
figures, never in figures days old.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import transaction

from openjxc.core import clock
from openjxc.reports.kpi_run import compute
from openjxc.reports.kpis import KpiResult, KpiRow
from openjxc.reports.models import FactCursor, KpiSnapshot
from openjxc.reports.query import Query

STALE_AFTER = 3 * 600  # seconds: three times cockpit.SLOW_TTL


def scope_key(warehouse_ids) -> str:
    return "all" if warehouse_ids is None else ",".join(str(w) for w in sorted(warehouse_ids))


def snapshot_key(name: str, by: str | None, q: Query) -> str:
    return f"{name}:{by}:{q.start}:{q.end}:{scope_key(q.warehouse_ids)}"


def _enc(v):
    if isinstance(v, Decimal):
        return {"$d": str(v)}
    if isinstance(v, dict):
        return {"$m": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if isinstance(v, list | tuple):
        return [_enc(x) for x in v]
    return v


def _dec(v):
    if isinstance(v, dict):
        if "$d" in v:
            return Decimal(v["$d"])
        return {_dec(k): _dec(x) for k, x in v["$m"]}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def encode(res: KpiResult) -> dict:
    """A KpiResult without its detail (`extra`, which no tile reads) as JSON."""
    return {"name": res.name, "rows": [[_enc(r.key), _enc(r.value), _enc(r.parts), r.label] for r in res.rows]}


def decode(data: dict) -> KpiResult:
    return KpiResult(data["name"], [KpiRow(_dec(k), _dec(v), _dec(parts), label)
                                    for k, v, parts, label in data["rows"]], {})


def kept_for(company, keys: list[str]) -> dict[str, KpiResult]:
    """The snapshots of `keys` computed within STALE_AFTER seconds (one statement; none when `keys` is empty)."""
    if not keys:
        return {}
    since = clock.now() - dt.timedelta(seconds=STALE_AFTER)
    rows = KpiSnapshot.objects.filter(company=company, key__in=keys, computed_at__gte=since).values_list(
        "key", "result")
    return {key: decode(result) for key, result in rows}


def wanted(company) -> list[tuple[str, str | None, Query]]:
    """(KPI, breakdown, query) of every slow figure the company's tiles show, for the whole company and for each
    active warehouse alone, over the cockpit's periods."""
    from openjxc.reports.cockpit import chosen_tiles, periods_for, slow_figures
    from openjxc.stock.models import Warehouse

    p = periods_for(company)
    scopes: list[frozenset[int] | None] = [None]
    scopes += [frozenset([pk]) for pk in Warehouse.objects.filter(company_id=company.pk, is_active=True)
               .order_by("pk").values_list("pk", flat=True)]
    out = []
    for scope in scopes:
        base = Query(measures=[], warehouse_ids=scope, show_cost=True)
        for key in chosen_tiles(company):
            for name, by, q in slow_figures(key, p, base):
                out.append((name, by, q))
    return out


def refresh(company, *, force: bool = False) -> int:
    """Compute the company's slow figures that are missing or older than cockpit.SLOW_TTL; the number computed."""
    from openjxc.reports.cockpit import SLOW_TTL

    todo = wanted(company)
    fresh_since = clock.now() - dt.timedelta(seconds=SLOW_TTL)
    fresh = set() if force else set(KpiSnapshot.objects.filter(
        company=company, key__in=[snapshot_key(n, b, q) for n, b, q in todo], computed_at__gte=fresh_since)
        .values_list("key", flat=True))
    n = 0
    for name, by, q in todo:
        key = snapshot_key(name, by, q)
        if key in fresh:
            continue
        fresh.add(key)
        t0 = time.perf_counter()
        res = compute(company, name, q, by=by)
        with transaction.atomic():
            KpiSnapshot.objects.update_or_create(company=company, key=key, defaults={
                "result": encode(res), "computed_at": clock.now(), "seconds": round(time.perf_counter() - t0, 3)})
        n += 1
    # yesterday's figures (another period in their key) are never read again
    KpiSnapshot.objects.filter(company=company, computed_at__lt=clock.now() - dt.timedelta(days=2)).delete()
    return n


def refresh_all() -> dict[str, int]:
    """Every company with facts (the periodic task)."""
    from openjxc.core.models import Company

    ids = FactCursor.objects.values_list("company_id", flat=True)
    return {c.code: refresh(c) for c in Company.objects.filter(pk__in=ids).order_by("pk")}
