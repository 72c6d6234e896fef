"""The KPIs, exactly as defined in reports/semantic.py KPIS (formula texts there), computed from the facts.

Each function takes the company, a `Query` carrying the period, filters and the user's warehouse scope (its
measures are ignored), and the dimension to break the figure down by (or None), and returns a `KpiResult`: one
row per value of that dimension and a total row (key None). Money excludes VAT unless the definition says
otherwise (receivables are what customers owe, with VAT).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from openjxc.catalog.models import Item
from openjxc.reports.labels import labels_for
from openjxc.reports.models import MONEY_SCALE, QTY_SCALE, Flow
from openjxc.reports.query import Query, Row, norm, run
from openjxc.reports.querysql import ancestors, chain, tree_parents
from openjxc.reports.stockcalc import (
    RECEIPT_FLOWS,
    ageing,
    ageing_sums,
    balances,
    flows,
    layers_describe,
    sales,
    stock_days,
)

FOUR = Decimal("0.0001")


@dataclass
class KpiRow:
    key: object  # the breakdown value, None for the total
    value: Decimal | None
    parts: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class KpiResult:
    name: str
    rows: list[KpiRow]
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> KpiRow:
        return next(r for r in self.rows if r.key is None)


def _ratio(num, den, factor: int = 1) -> Decimal | None:
    if num is None or den in (None, 0):
        return None
    return (Decimal(num) / Decimal(den) * factor).quantize(FOUR)


def _money(v) -> Decimal:
    return (Decimal(int(v)) / MONEY_SCALE).quantize(Decimal("0.01"))


def _qty(v) -> Decimal:
    return (Decimal(int(v)) / QTY_SCALE).quantize(FOUR)


def _days(q: Query) -> int:
    return (q.end - q.start).days + 1


def _labelled(company, by: str | None, rows: list[KpiRow]) -> list[KpiRow]:
    if by:
        labels = labels_for(company, [by], [Row(keys=(r.key,), values={}) for r in rows])[0]
        for r in rows:
            r.label = labels.get(r.key, "") if r.key is not None else ""
    return rows


def _group(company, by: str | None, rows: dict[tuple, list], q: Query) -> dict:
    """Re-key (warehouse, item) rows to the breakdown's values (None: one group) by summing."""
    out: dict = defaultdict(lambda: None)
    mapping = _mapper(company, by, {k for k in rows}, q)
    for key, v in rows.items():
        g = mapping(key)
        acc = out[g]
        out[g] = list(v) if acc is None else [a + b for a, b in zip(acc, v, strict=True)]
    return dict(out)


def _mapper(company, by: str | None, keys, q: Query):
    """A function from a (warehouse, item) key to the breakdown value."""
    if by is None:
        return lambda key: None
    if by in ("warehouse", "store"):
        return lambda key: key[0]
    if by == "item":
        return lambda key: key[1]
    if by.startswith("category"):
        from_item = dict(Item.objects.filter(company_id=company.pk, pk__in={k[1] for k in keys})
                         .values_list("id", "category_id"))
        level = int(by.split("_")[1]) if "_" in by else None
        if level:
            up = ancestors(company.pk, "category", level)
            return lambda key: up.get(from_item.get(key[1]), from_item.get(key[1]))
        return lambda key: from_item.get(key[1])
    raise ValueError(by)


def _by_query(q: Query, by: str | None) -> Query:
    return replace(q, dimensions=[by] if by else [], subtotals="rollup" if by else "none", top=None)


# ---------------------------------------------------------------- sales figures through the query layer


def _measure_kpi(company, q: Query, by: str | None, name: str, measure: str, parts=()) -> KpiResult:
    res = run(company, replace(_by_query(q, by), measures=[measure, *parts]))
    rows = [KpiRow(r.keys[0] if by and not r.subtotal else None, r.values[measure],
                   {m: r.values[m] for m in parts}, r.labels[0] if by and not r.subtotal else "")
            for r in res.rows]
    if not any(r.key is None for r in rows):
        rows.append(KpiRow(None, None if measure in res.masked else Decimal(0), {m: None for m in parts}))
    return KpiResult(name, rows)


def gross_profit(company, q, by=None):
    return _measure_kpi(company, q, by, "gross_profit", "gross_profit", ("revenue", "cogs"))


def revenue(company, q, by=None):
    return _measure_kpi(company, q, by, "revenue", "revenue", ("gross_sales", "returns"))


def gross_margin(company, q, by=None):
    return _measure_kpi(company, q, by, "gross_margin", "margin", ("gross_profit", "revenue"))


def markup(company, q, by=None):
    return _measure_kpi(company, q, by, "markup", "markup", ("gross_profit", "cogs"))


def returns_rate(company, q, by=None):
    return _measure_kpi(company, q, by, "returns_rate", "returns_rate", ("returns", "gross_sales"))


def average_ticket(company, q, by=None):
    return _measure_kpi(company, q, by, "average_ticket", "avg_ticket", ("revenue", "tickets"))


def tickets(company, q, by=None):
    return _measure_kpi(company, q, by, "tickets", "tickets")


def growth(company, q, by=None):
    """同比 (same period a year before) and 环比 (the previous period of equal length) of revenue."""
    n = _days(q)
    last_year = replace(q, start=_year_before(q.start), end=_year_before(q.end))
    previous = replace(q, start=q.start - dt.timedelta(days=n), end=q.start - dt.timedelta(days=1))
    now = {r.key: r.value for r in _measure_kpi(company, q, by, "growth", "revenue").rows}
    ly = {r.key: r.value for r in _measure_kpi(company, last_year, by, "growth", "revenue").rows}
    pp = {r.key: r.value for r in _measure_kpi(company, previous, by, "growth", "revenue").rows}
    rows = []
    for key in sorted(set(now) | set(ly) | set(pp), key=lambda k: (k is None, str(k))):
        cur = now.get(key) or Decimal(0)
        yoy = _ratio(cur - (ly.get(key) or 0), ly.get(key), 100) if ly.get(key) else None
        pop = _ratio(cur - (pp.get(key) or 0), pp.get(key), 100) if pp.get(key) else None
        rows.append(KpiRow(key, yoy, {"revenue": cur, "last_year": ly.get(key) or Decimal(0),
                                      "previous": pp.get(key) or Decimal(0), "year_on_year": yoy,
                                      "period_on_period": pop}))
    return KpiResult("growth", _labelled(company, by, rows))


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# ---------------------------------------------------------------- stock KPIs


def _breakdown(by: str | None) -> list[str]:
    """The query dimensions of a KPI breakdown (compute() has already limited a store breakdown to the stores)."""
    return [] if by is None else ["warehouse"] if by == "store" else [by]


def _cogs(company, q: Query, dims: list[str], raw_materials: bool) -> dict[tuple, list]:
    """Per `dims` key: cost of goods sold in the period; for raw materials the total issue cost (sales
    and production issues)."""
    out = {k: [v[0]] for k, v in sales(company, q, q.start, q.end, dims, ["cogs - return_cost"]).items()}
    if raw_materials:
        issued = flows(company, q, q.start, q.end, dims,
                       [f"CASE WHEN f.flow = {int(Flow.PRODUCTION)} THEN value_out - value_in ELSE 0 END"])
        for k, v in issued.items():
            out.setdefault(k, [0])[0] += v[0]
    return out


def turnover(company, q, by=None, *, raw_materials: bool = False):
    """Turnover = COGS ÷ average stock cost (mean of the daily closing cost); days = period days ÷ turnover.
    Both sums are grouped by the breakdown in SQL (one row per group, not per warehouse and item)."""
    n = _days(q)
    dims = _breakdown(by)

    def keyed(rows: dict[tuple, list]) -> dict:
        return {(k[0] if dims else None): v for k, v in rows.items()}

    cogs = keyed(_cogs(company, q, dims, raw_materials))
    stock = keyed(stock_days(company, q, q.start, q.end, dims))
    rows = []
    keys = set(cogs) | set(stock)
    total_c = sum((v[0] for v in cogs.values()), 0)
    total_s = sum((v[1] for v in stock.values()), 0)
    for key in sorted(keys - {None}, key=str) + [None]:
        c = cogs.get(key, [0])[0] if key is not None else total_c
        s = stock.get(key, [0, 0])[1] if key is not None else total_s
        average = Decimal(s) / n / MONEY_SCALE
        cost = Decimal(c) / MONEY_SCALE
        times = _ratio(cost, average) if average else None
        days = _ratio(average * n, cost) if cost else None
        rows.append(KpiRow(key, times, {"cogs": cost.quantize(Decimal("0.01")), "average_stock":
                                        average.quantize(Decimal("0.01")), "days": days, "period_days": n}))
    return KpiResult("turnover", _labelled(company, by, rows))


def turnover_days(company, q, by=None, *, raw_materials: bool = False):
    res = turnover(company, q, by, raw_materials=raw_materials)
    for r in res.rows:
        r.parts["turnover"] = r.value
        r.value = r.parts["days"]
    res.name = "turnover_days"
    return res


def _opening_received_sold(company, q: Query) -> tuple[dict, dict, dict, dict]:
    """Per (warehouse, item): opening quantity, quantity received in the period (from outside, by transfer),
    (gross sold, net sold), closing quantity."""
    opening = balances(company, q, q.start - dt.timedelta(days=1), ["warehouse", "item"])
    outside = ", ".join(str(int(x)) for x in RECEIPT_FLOWS if x != Flow.TRANSFER)
    received = flows(company, q, q.start, q.end, ["warehouse", "item"],
                     [f"CASE WHEN f.flow IN ({outside}) THEN qty_in ELSE 0 END",
                      f"CASE WHEN f.flow = {int(Flow.TRANSFER)} THEN qty_in ELSE 0 END"])
    sold = sales(company, q, q.start, q.end, ["warehouse", "item"], ["qty", "qty - return_qty"])
    closing = balances(company, q, q.end, ["warehouse", "item"])
    return opening, received, sold, closing


def sell_through_breadth(company, q, by=None):
    """动销率: SKUs with net sales > 0 ÷ SKUs on sale (active and opening stock > 0, received or sold)."""
    opening, received, sold, _closing = _opening_received_sold(company, q)
    active = set(Item.objects.filter(company_id=company.pk, is_active=True).values_list("id", flat=True))
    mapping = _mapper(company, by, set(opening) | set(received) | set(sold), q)
    on_sale: dict = defaultdict(lambda: defaultdict(int))  # group -> item -> net sold
    flags: dict = defaultdict(set)
    for source, test in ((opening, lambda v: v[0] > 0), (received, lambda v: v[0] + v[1] > 0),
                         (sold, lambda v: v[0] > 0)):
        for key, v in source.items():
            if key[1] in active and test(v):
                for g in {mapping(key), None}:
                    flags[g].add(key[1])
    for key, v in sold.items():
        for g in {mapping(key), None}:
            on_sale[g][key[1]] += v[1]
    rows = []
    for g in sorted(set(flags) - {None}, key=str) + [None]:
        items = flags.get(g, set())
        moving = sum(1 for i in items if on_sale[g].get(i, 0) > 0)
        rows.append(KpiRow(g, _ratio(moving, len(items), 100), {"skus_sold": moving, "skus_on_sale": len(items)}))
    return KpiResult("sell_through_breadth", _labelled(company, by, rows))


def sell_through(company, q, by=None):
    """售罄率 = net sales quantity ÷ (opening stock + quantity received). Per warehouse a transfer in is a receipt;
    over several warehouses transfers between them are not."""
    opening, received, sold, _closing = _opening_received_sold(company, q)
    per_warehouse = by in ("warehouse", "store")
    received = {k: [v[0] + (v[1] if per_warehouse else 0)] for k, v in received.items()}
    o, r, s = (_group(company, by, x, q) for x in (opening, received, sold))
    rows = []
    groups = set(o) | set(r) | set(s)
    for g in sorted(groups - {None}, key=str) + [None]:
        if g is None:
            oq = sum(v[0] for v in o.values())
            rq = sum(v[0] for v in r.values())
            sq = sum(v[1] for v in s.values())
        else:
            oq, rq, sq = (o.get(g) or [0])[0], (r.get(g) or [0])[0], (s.get(g) or [0, 0])[1]
        rows.append(KpiRow(g, _ratio(sq, oq + rq, 100), {"sold": _qty(sq), "opening": _qty(oq), "received": _qty(rq)}))
    return KpiResult("sell_through", _labelled(company, by, rows))


def stock_to_sales(company, q, by=None):
    """库销比 = closing quantity ÷ net sales quantity of the period."""
    _o, _r, sold, closing = _opening_received_sold(company, q)
    c, s = _group(company, by, closing, q), _group(company, by, sold, q)
    rows = []
    for g in sorted((set(c) | set(s)) - {None}, key=str) + [None]:
        cq = sum(v[0] for v in c.values()) if g is None else (c.get(g) or [0])[0]
        sq = sum(v[1] for v in s.values()) if g is None else (s.get(g) or [0, 0])[1]
        rows.append(KpiRow(g, _ratio(cq, sq), {"closing": _qty(cq), "sold": _qty(sq)}))
    return KpiResult("stock_to_sales", _labelled(company, by, rows))


def days_of_supply(company, q, by=None):
    """可售天数 = on hand at the end ÷ average daily net sales of the 28 days ending then."""
    on_hand = balances(company, q, q.end, ["warehouse", "item"])
    sold = sales(company, q, q.end - dt.timedelta(days=27), q.end, ["warehouse", "item"], ["qty - return_qty"])
    h, s = _group(company, by, on_hand, q), _group(company, by, sold, q)
    rows = []
    for g in sorted((set(h) | set(s)) - {None}, key=str) + [None]:
        hq = sum(v[0] for v in h.values()) if g is None else (h.get(g) or [0])[0]
        sq = sum(v[0] for v in s.values()) if g is None else (s.get(g) or [0])[0]
        daily = Decimal(sq) / 28
        rows.append(KpiRow(g, _ratio(hq, daily) if sq > 0 else None,
                           {"on_hand": _qty(hq), "daily_sales": (daily / QTY_SCALE).quantize(FOUR)}))
    return KpiResult("days_of_supply", _labelled(company, by, rows))


def _slow_days(company) -> tuple[int, dict[int, int]]:
    """The company's "no sale for N days" setting: a default and per-category days (inherited by sub-categories)."""
    conf = (company.settings or {}).get("reports", {}) if isinstance(company.settings, dict) else {}
    default = int(conf.get("slow_moving_days", 90))
    return default, {int(k): int(v) for k, v in (conf.get("slow_moving_days_by_category") or {}).items()}


def slow_moving(company, q, by=None, *, days: int | None = None):
    """滞销: stock > 0 at the end and no sale in the last N days (per category); share of stock cost."""
    default, per_category = _slow_days(company)
    default = days or default
    on_hand = {k: v for k, v in balances(company, q, q.end, ["warehouse", "item"]).items() if v[0] > 0}
    longest = max([default, *per_category.values()])
    last = sales(company, q, q.end - dt.timedelta(days=longest - 1), q.end, ["warehouse", "item", "day"],
                 ["CASE WHEN qty > 0 THEN 1 ELSE 0 END"])
    last_sale: dict[tuple, dt.date] = {}
    for (wh, item, day), (n,) in last.items():
        day = norm(day)
        if n and (wh, item) not in last_sale or (n and day > last_sale[(wh, item)]):
            last_sale[(wh, item)] = day
    limit = _item_days(company, set(k[1] for k in on_hand), default, per_category)
    slow_rows = []
    grouped_total: dict = defaultdict(lambda: [0, 0])
    grouped_slow: dict = defaultdict(lambda: [0, 0])
    mapping = _mapper(company, by, set(on_hand), q)
    for key, (qty, value) in on_hand.items():
        n = limit.get(key[1], default)
        sold_on = last_sale.get(key)
        slow = sold_on is None or (q.end - sold_on).days >= n
        for g in {mapping(key), None}:
            grouped_total[g][0] += value
            if slow:
                grouped_slow[g][0] += value
        if slow:
            slow_rows.append({"warehouse": key[0], "item": key[1], "qty": _qty(qty), "value": _money(value),
                              "last_sale": sold_on, "days": n})
    rows = [KpiRow(g, _ratio(grouped_slow[g][0], grouped_total[g][0], 100),
                   {"slow_value": _money(grouped_slow[g][0]), "stock_value": _money(grouped_total[g][0])})
            for g in sorted(set(grouped_total) - {None}, key=str) + [None]]
    return KpiResult("slow_moving", _labelled(company, by, rows), {"items": slow_rows})


def _item_days(company, items: set[int], default: int, per_category: dict[int, int]) -> dict[int, int]:
    if not per_category:
        return {}
    parents = tree_parents(company.pk, "category")
    out = {}
    for item, cat in Item.objects.filter(company_id=company.pk, pk__in=items).values_list("id", "category_id"):
        n = default
        for node in chain(parents, cat) if cat else ():
            n = per_category.get(node, n)
        out[item] = n
    return out


def ageing_kpi(company, q, by=None, *, obsolete_age: int = 180, obsolete_idle: int = 180, now: bool | None = None,
               in_sql: bool = True):
    """库龄: stock cost by age bucket (FIFO receipt layers) at the end of the period; the obsolete list. Summed in
    the database where it can (stockcalc.ageing_sums), else from ageing()'s rows; `now` and `in_sql` force a path
    (tests)."""
    groups: dict = defaultdict(lambda: {"qty": 0, "value": 0, "buckets": [0] * 5, "obsolete": 0})

    def add(g, qty, value, buckets, obsolete_value):
        acc = groups[g]
        acc["qty"] += qty
        acc["value"] += value
        acc["buckets"] = [a + b for a, b in zip(acc["buckets"], buckets, strict=True)]
        acc["obsolete"] += obsolete_value

    if now is None:  # asked once for both the database sum and the rows
        now = layers_describe(company, q.end)
    summed = ageing_sums(company, q, q.end, _breakdown(by), obsolete_age=obsolete_age, obsolete_idle=obsolete_idle,
                         now=now) if in_sql else None
    if summed is not None:
        sums, pairs = summed
        for key, (qty, value, *buckets, obsolete_value) in sums.items():
            for g in {key[0] if by else None, None}:
                add(g, qty, value, buckets, obsolete_value)
    else:
        rows_in = ageing(company, q, q.end, obsolete_age=obsolete_age, obsolete_idle=obsolete_idle, now=now)
        mapping = _mapper(company, by, {r.key for r in rows_in}, q)
        for r in rows_in:
            for g in {mapping(r.key), None}:
                add(g, r.qty, r.value, r.buckets_value, r.old_value if r.obsolete else 0)
        pairs = [(*r.key, r.qty, r.value, r.old_qty, r.old_value) for r in rows_in if r.obsolete]
    obsolete = [{"warehouse": wh, "item": item, "qty": _qty(qty), "value": _money(value),
                 "obsolete_qty": _qty(old_qty), "obsolete_value": _money(old_value)}
                for wh, item, qty, value, old_qty, old_value in pairs]
    names = ["0-30", "31-90", "91-180", "181-365", "365+"]
    rows = [KpiRow(g, _money(groups[g]["value"]),
                   {"buckets": dict(zip(names, (_money(x) for x in groups[g]["buckets"]), strict=True)),
                    "obsolete_value": _money(groups[g]["obsolete"]),
                    "obsolete_rate": _ratio(groups[g]["obsolete"], groups[g]["value"], 100)})
            for g in sorted(set(groups) - {None}, key=str) + [None]]
    if not any(r.key is None for r in rows):
        rows.append(KpiRow(None, Decimal("0.00"), {"buckets": dict.fromkeys(names, Decimal("0.00")),
                                                   "obsolete_value": Decimal("0.00"), "obsolete_rate": None}))
    return KpiResult("ageing", _labelled(company, by, rows), {"obsolete": obsolete})


def obsolete_rate(company, q, by=None, *, obsolete_age: int = 180, obsolete_idle: int = 180):
    """呆滞率 = obsolete stock cost ÷ total stock cost at the end of the period."""
    res = ageing_kpi(company, q, by, obsolete_age=obsolete_age, obsolete_idle=obsolete_idle)
    for r in res.rows:
        r.parts = {"obsolete_value": r.parts["obsolete_value"], "stock_value": r.value}
        r.value = _ratio(r.parts["obsolete_value"], r.parts["stock_value"], 100) if r.parts["stock_value"] else None
    res.name = "obsolete_rate"
    return res
