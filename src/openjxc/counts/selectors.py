"""Reading counts: book figures, ABC classes, variance, accuracy and the items and locations that keep being wrong."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Q, Sum

from openjxc.catalog.models import Item
from openjxc.core.quantities import ZERO, cost, money
from openjxc.counts.models import Count, CountEntry, CountLine, CountStatus
from openjxc.stock.models import STOCKED_KINDS, ItemValuation, Location, LocationKind, StockBalance, StockMove

WITHIN = Decimal("0.02")  # a line is "accurate" when its difference is within ±2% of the book
CONSUMED_KINDS = (LocationKind.CUSTOMER, LocationKind.SCRAP, LocationKind.PRODUCTION, LocationKind.OTHER)
ABC_SHARES = (Decimal("0.80"), Decimal("0.95"))  # cumulative consumption value: A up to 80%, B up to 95%
ABC_EVERY_DAYS = {"A": 7, "B": 30, "C": 90}
CHUNK = 5000  # ids per IN (...)
CLOSED = (CountStatus.REVIEW, CountStatus.DOCUMENTED, CountStatus.POSTED)


# ---------------------------------------------------------------- book figures


def stocked_location_ids(warehouse_id: int) -> list[int]:
    return list(Location.objects.filter(warehouse_id=warehouse_id, kind__in=STOCKED_KINDS)
                .values_list("id", flat=True))


def book_quantities(keys: set[tuple[int, int, int]]) -> dict[tuple[int, int, int], Decimal]:
    """Current balance per (item, location, lot_key); missing keys are 0. One query."""
    if not keys:
        return {}
    items = sorted({k[0] for k in keys})
    locations = {k[1] for k in keys}
    found = {}
    for start in range(0, len(items), CHUNK):
        rows = StockBalance.objects.filter(item_id__in=items[start:start + CHUNK], location_id__in=locations)
        found.update(((i, loc, lk), q) for i, loc, lk, q in rows.values_list("item_id", "location_id", "lot_key",
                                                                             "quantity"))
    return {k: found.get(k, ZERO) for k in keys}


def unit_costs(warehouse_id: int, item_ids: set[int]) -> dict[int, Decimal]:
    """Current cost per item in a warehouse: the moving average, else the last cost, else the purchase price."""
    out: dict[int, Decimal] = {}
    ids = sorted(item_ids)
    for start in range(0, len(ids), CHUNK):  # chunks: an IN (...) must stay under SQLite's parameter limit
        chunk = ids[start:start + CHUNK]
        out.update((i, cost(p)) for i, p in Item.objects.filter(pk__in=chunk).values_list("id", "purchase_price"))
        for item_id, q, v, last in ItemValuation.objects.filter(
            warehouse_id=warehouse_id, item_id__in=chunk
        ).values_list("item_id", "quantity", "value", "last_cost"):
            if q and q > 0:
                out[item_id] = cost(v / q)
            elif last:
                out[item_id] = cost(last)
    return out


# ---------------------------------------------------------------- ABC


def consumption_values(company_id: int, warehouse_id: int, *, on: dt.date, days: int = 90) -> dict[int, Decimal]:
    """Per item: value consumed from the warehouse (sold, scrapped, issued) in the `days` before `on`, net of voids."""
    since = on - dt.timedelta(days=days)
    base = StockMove.objects.filter(company_id=company_id, business_on__gt=since, business_on__lte=on,
                                    is_adjustment=False)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item_id, v in (base.filter(from_location__warehouse_id=warehouse_id, to_location__kind__in=CONSUMED_KINDS)
                       .values_list("item_id").annotate(v=Sum("value"))):
        out[item_id] += v or ZERO
    # a void of a delivery brings the value back: it is not consumption
    for item_id, v in (base.filter(to_location__warehouse_id=warehouse_id, from_location__kind__in=CONSUMED_KINDS,
                                   reverses__isnull=False)
                       .values_list("item_id").annotate(v=Sum("value"))):
        out[item_id] -= v or ZERO
    return dict(out)


def abc_classes(company_id: int, warehouse_id: int, *, on: dt.date, days: int = 90) -> dict[int, str]:
    """Items of the warehouse (with stock or consumption) by ABC class: A the items making up the first 80% of
    the consumption value, B the next 15%, C the rest (including items that were not consumed at all)."""
    values = {i: v for i, v in consumption_values(company_id, warehouse_id, on=on, days=days).items() if v > 0}
    stocked = set(StockBalance.objects.filter(location__warehouse_id=warehouse_id, quantity__gt=0)
                  .values_list("item_id", flat=True))
    total = sum(values.values(), ZERO)
    out: dict[int, str] = {}
    running = ZERO
    for item_id, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        share_before = running / total
        running += v
        out[item_id] = "A" if share_before < ABC_SHARES[0] else "B" if share_before < ABC_SHARES[1] else "C"
    for item_id in stocked - out.keys():
        out[item_id] = "C"
    return out


# ---------------------------------------------------------------- variance


def within_tolerance(expected: Decimal, difference: Decimal, rate: Decimal = WITHIN,
                     absolute: Decimal = ZERO) -> bool:
    """Within `rate` of the book; against a book of 0 (where any rate allows nothing) within `absolute` units."""
    if expected == 0:
        return abs(difference) <= absolute
    return abs(difference) <= abs(expected) * rate


def counters_by_line(count: Count) -> dict[int, list[dict]]:
    """Per line: who counted how much in the line's current round."""
    out: dict[int, list[dict]] = defaultdict(list)
    rows = (CountEntry.objects.filter(line__count=count).values("line_id", "round", "counted_by_id",
                                                                   "counted_by__username")
            .annotate(q=Sum("quantity")).order_by("line_id", "counted_by__username"))
    rounds = dict(CountLine.objects.filter(count=count).values_list("id", "round"))
    for r in rows:
        if r["round"] == rounds.get(r["line_id"]):
            out[r["line_id"]].append({"user": r["counted_by_id"], "username": r["counted_by__username"],
                                      "quantity": r["q"]})
    return out


def variance_rows(count: Count, *, only_differences: bool = False) -> list[dict]:
    """Per line: book at start, book when counted, counted, difference and its value, counters, reason."""
    counters = counters_by_line(count)
    lines = (CountLine.objects.filter(count=count)
             .select_related("item", "location", "lot").order_by("location__code", "item__code", "lot_key"))
    out = []
    for ln in lines:
        diff = ln.difference
        if only_differences and not diff:
            continue
        out.append({
            "id": ln.pk, "item": ln.item_id, "item_code": ln.item.code, "item_name": ln.item.name,
            "location": ln.location_id, "location_code": ln.location.code,
            "lot": ln.lot.code if ln.lot else "", "expires_on": ln.lot.expires_on if ln.lot else None,
            "snapshot_quantity": ln.snapshot_quantity, "expected_quantity": ln.expected_quantity,
            "counted_quantity": ln.counted_quantity, "difference": diff,
            "unit_cost": ln.unit_cost, "difference_value": money(diff * ln.unit_cost) if diff is not None else None,
            "round": ln.round, "recount_requested": ln.recount_requested, "is_added": ln.is_added,
            "not_counted": ln.not_counted,
            "reason": ln.reason, "reason_note": ln.reason_note, "counted_at": ln.counted_at,
            "counters": counters.get(ln.pk, []),
            "within": (within_tolerance(ln.expected_quantity, diff, count.tolerance_rate, count.tolerance_quantity)
                       if diff is not None else None),
        })
    return out


def variance_summary(count: Count) -> dict:
    """Totals of a count's differences by location and by counter (value in the count's unit costs), and of the
    whole count: gains, losses, net (gains − losses, signed) and gross (gains + losses)."""
    by_location: dict[str, dict] = {}
    by_counter: dict[str, dict] = {}
    gain = loss = ZERO
    for row in variance_rows(count):
        if row["difference"] is None:
            continue
        loc = by_location.setdefault(row["location_code"], {"location": row["location"], "lines": 0,
                                                             "with_difference": 0, "gain_value": ZERO,
                                                             "loss_value": ZERO})
        loc["lines"] += 1
        if row["difference"]:
            loc["with_difference"] += 1
            loc["gain_value" if row["difference"] > 0 else "loss_value"] += abs(row["difference_value"])
            if row["difference"] > 0:
                gain += row["difference_value"]
            else:
                loss -= row["difference_value"]
        for c in row["counters"]:
            who = by_counter.setdefault(c["username"], {"user": c["user"], "lines": 0, "with_difference": 0,
                                                         "quantity": ZERO})
            who["lines"] += 1
            who["quantity"] += c["quantity"]
            if row["difference"]:
                who["with_difference"] += 1
    return {"gain_value": gain, "loss_value": loss, "net_value": gain - loss, "gross_value": gain + loss,
            "by_location": [{"location_code": k, **v} for k, v in sorted(by_location.items())],
            "by_counter": [{"username": k, **v} for k, v in sorted(by_counter.items())]}


# ---------------------------------------------------------------- accuracy


def _accuracy(rows) -> dict:
    """Share of lines within ±2% and value-weighted accuracy, from (expected, counted, unit_cost) rows."""
    lines = within = 0
    book_value = diff_value = ZERO
    for expected, counted, unit_cost in rows:
        lines += 1
        diff = counted - expected
        within += within_tolerance(expected, diff)
        book_value += abs(expected) * unit_cost
        diff_value += abs(diff) * unit_cost
    if book_value:
        value_accuracy = max(ZERO, 1 - diff_value / book_value)
    else:
        value_accuracy = Decimal(1) if not diff_value else ZERO
    return {
        "lines": lines, "within": within,
        "line_accuracy": (Decimal(within) / lines).quantize(Decimal("0.0001")) if lines else None,
        "value_accuracy": value_accuracy.quantize(Decimal("0.0001")) if lines else None,
        "book_value": money(book_value), "difference_value": money(diff_value),
    }


def _counted(qs):
    return qs.filter(counted_quantity__isnull=False, expected_quantity__isnull=False).values_list(
        "expected_quantity", "counted_quantity", "unit_cost")


def count_accuracy(count: Count) -> dict:
    return _accuracy(_counted(CountLine.objects.filter(count=count)))


def accuracy_trend(company_id: int, *, period: str = "week", since: dt.date, until: dt.date,
                   warehouse_id: int | None = None, tz: str = "Asia/Shanghai") -> list[dict]:
    """Accuracy per week (Monday) or month of the counts finished between `since` and `until` (business dates)."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz)
    counts = Count.objects.filter(company_id=company_id, status__in=CLOSED, finished_at__isnull=False)
    if warehouse_id:
        counts = counts.filter(warehouse_id=warehouse_id)
    buckets: dict[dt.date, list] = defaultdict(list)
    rows = (CountLine.objects.filter(count__in=counts, counted_quantity__isnull=False,
                                     expected_quantity__isnull=False)
            .values_list("count__finished_at", "expected_quantity", "counted_quantity", "unit_cost"))
    for finished_at, expected, counted, unit_cost in rows:
        day = finished_at.astimezone(zone).date()
        if not since <= day <= until:
            continue
        start = day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)
        buckets[start].append((expected, counted, unit_cost))
    return [{"period": start, **_accuracy(buckets[start])} for start in sorted(buckets)]


def repeat_offenders(company_id: int, *, since: dt.datetime, min_counts: int = 2,
                     warehouse_id: int | None = None) -> dict:
    """Items and locations found wrong (beyond ±2%) in at least `min_counts` different counts since `since`."""
    qs = CountLine.objects.filter(
        company_id=company_id, count__status__in=CLOSED, count__finished_at__gte=since,
        counted_quantity__isnull=False, expected_quantity__isnull=False,
    )
    if warehouse_id:
        qs = qs.filter(count__warehouse_id=warehouse_id)
    items: dict[int, set] = defaultdict(set)
    locations: dict[int, set] = defaultdict(set)
    values: dict[int, Decimal] = defaultdict(lambda: ZERO)
    names = {}
    for count_id, item_id, code, name, loc_id, loc_code, expected, counted, unit_cost in qs.values_list(
        "count_id", "item_id", "item__code", "item__name", "location_id", "location__code",
        "expected_quantity", "counted_quantity", "unit_cost",
    ):
        diff = counted - expected
        if within_tolerance(expected, diff):
            continue
        items[item_id].add(count_id)
        locations[loc_id].add(count_id)
        values[item_id] += abs(diff) * unit_cost
        names[("i", item_id)] = (code, name)
        names[("l", loc_id)] = (loc_code, loc_code)
    return {
        "items": sorted(
            ({"item": i, "code": names[("i", i)][0], "name": names[("i", i)][1], "counts": len(c),
              "difference_value": money(values[i])} for i, c in items.items() if len(c) >= min_counts),
            key=lambda r: (-r["counts"], -r["difference_value"], r["code"])),
        "locations": sorted(
            ({"location": loc, "code": names[("l", loc)][0], "counts": len(c)}
             for loc, c in locations.items() if len(c) >= min_counts),
            key=lambda r: (-r["counts"], r["code"])),
    }


def items_with_recent_discrepancies(company_id: int, warehouse_id: int, *, since: dt.datetime) -> list[int]:
    """Items counted wrong (beyond ±2%) in this warehouse since `since`."""
    rows = CountLine.objects.filter(
        company_id=company_id, count__warehouse_id=warehouse_id, count__status__in=CLOSED,
        count__finished_at__gte=since, counted_quantity__isnull=False, expected_quantity__isnull=False,
    ).filter(~Q(counted_quantity=F("expected_quantity"))).values_list(
        "item_id", "expected_quantity", "counted_quantity")
    return sorted({i for i, e, c in rows if not within_tolerance(e, c - e)})


def frozen_locations(company_id: int, warehouse_ids) -> set[int]:
    """Storage locations frozen by a count in progress in any of `warehouse_ids`."""
    frozen: set[int] = set()
    for wh, location_ids in Count.objects.filter(
        company_id=company_id, freeze=True, status=CountStatus.COUNTING, warehouse_id__in=warehouse_ids
    ).values_list("warehouse_id", "location_ids"):
        frozen |= set(location_ids) if location_ids else set(stocked_location_ids(wh))
    return frozen
