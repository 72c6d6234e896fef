"""Counting: creating a count, starting it (the book's snapshot), recording what counters count, finishing
a round (recounts beyond tolerance), reasons, cancelling.

A count snapshots the book per (item, location, lot) when it starts. Each time a line is counted the
book at that moment is stored with it (`expected_quantity`): moves posted between the start and the
count are part of the book, so the difference is the true one without freezing the warehouse.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Item, ItemUnit
from openjxc.catalog.services import lookup_barcode
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.events import make_audit, make_event, record_audit, record_event
from openjxc.core.numbering import next_number
from openjxc.core.quantities import ZERO, money, parse_decimal, qty
from openjxc.core.sql import insert_objects, insert_together, object_rows
from openjxc.counts import selectors
from openjxc.counts.models import Count, CountEntry, CountLine, CountPlan, CountStatus, Reason, Scope
from openjxc.counts.rules import (
    COUNT_PREFIX,
    COUNTERS,
    COUNTS,
    MAX_ENTRIES,
    active_warehouse,
    category_of,
    check_scope,
    locations_of,
    lock_count,
    require_manager,
    require_status,
    tolerance,
    users_of,
)
from openjxc.documents.lifecycle import Changes
from openjxc.stock.access import require_warehouse
from openjxc.stock.locations import default_location
from openjxc.stock.models import Location, Lot, StockBalance, Warehouse


def _selection(company, wh: Warehouse, scope, *, locations, category, abc_class, sample_size, items,
               on: dt.date) -> tuple[list[int] | None, list[int] | None]:
    """(item ids, location ids) a count covers; None = all."""
    location_ids = [loc.pk for loc in locations] or None
    item_ids: list[int] | None = None
    if scope == Scope.CATEGORY:
        item_ids = list(Item.objects.filter(company=company, category__path__startswith=category.path)
                        .values_list("id", flat=True))
    elif scope == Scope.ABC:
        classes = selectors.abc_classes(company.pk, wh.pk, on=on)
        item_ids = sorted(i for i, c in classes.items() if c == abc_class)
    elif scope == Scope.RANDOM:
        stocked = sorted(set(StockBalance.objects.filter(location__warehouse=wh, quantity__gt=0)
                             .values_list("item_id", flat=True)))
        item_ids = sorted(random.SystemRandom().sample(stocked, min(sample_size, len(stocked))))
    elif scope == Scope.DISCREPANCY:
        since = clock.now() - dt.timedelta(days=90)
        item_ids = selectors.items_with_recent_discrepancies(company.pk, wh.pk, since=since)
    if items:
        ids = [getattr(i, "pk", i) for i in items]
        if len(ids) > 10_000:
            raise ValidationFailed(field="items", reason=_("has too many entries"))
        known = set(Item.objects.filter(company=company, pk__in=ids).values_list("id", flat=True))
        for i in ids:
            if i not in known:
                raise NotFound("item", i)
        item_ids = sorted(set(ids) & set(item_ids)) if item_ids is not None else sorted(known)
    if item_ids is not None and not item_ids:
        raise DomainError("count.nothing_to_count", _("No item falls under this count's selection."),
                          http_status=422, scope=scope)
    return item_ids, location_ids


@transaction.atomic
def create_count(*, by, warehouse, scope: str = Scope.FULL, locations=(), category=None, abc_class: str = "",
                 sample_size: int = 0, items=(), name: str = "", blind: bool = True, freeze: bool = False,
                 tolerance_rate=Decimal("0.02"), tolerance_value=Decimal("100"), tolerance_quantity=Decimal("1"),
                 due_on: dt.date | None = None,
                 assignees=(), plan: CountPlan | None = None) -> Count:
    """A count of a warehouse, or of the locations / category / ABC class / sample chosen, not yet started."""
    require_manager(by)
    company = permissions.company_of(by)
    wh = active_warehouse(company, warehouse)
    require_warehouse(by, wh)
    if name and len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is longer than 100 characters"))
    locs = locations_of(company, wh, locations)
    cat = category_of(company, category)
    check_scope(scope, category=cat, abc_class=abc_class, sample_size=sample_size, locations=locs)
    today = clock.today(company.time_zone)
    item_ids, location_ids = _selection(company, wh, scope, locations=locs, category=cat, abc_class=abc_class,
                                        sample_size=sample_size, items=items, on=today)
    people = users_of(company, assignees)
    count = Count(
        company=company, number=next_number(company, COUNT_PREFIX, today), name=name, plan=plan, warehouse=wh,
        scope=scope, item_ids=item_ids, location_ids=location_ids, blind=blind, freeze=freeze,
        tolerance_rate=tolerance(tolerance_rate, "tolerance_rate"),
        tolerance_value=money(tolerance(tolerance_value, "tolerance_value")),
        tolerance_quantity=tolerance(tolerance_quantity, "tolerance_quantity"), due_on=due_on,
        created_by=by, created_at=clock.now(),
    )
    count.save()
    count.assignees.set(people)
    payload = {"number": count.number, "warehouse": wh.pk, "scope": scope, "assignees": [u.pk for u in people],
               "items": len(item_ids) if item_ids is not None else None, "plan": plan.pk if plan else None}
    record_event(company=company, topic="count.created", by=by, obj=count, payload=payload)
    record_audit(company=company, action="create", obj=count, by=by, after=payload)
    return count



@transaction.atomic
def start_count(count, *, by) -> Count:
    """Start counting: snapshot the book of every (item, location, lot) in the count's selection."""
    require_manager(by)
    count = lock_count(count, by)
    COUNTS.check(count, "start")
    location_ids = count.location_ids or selectors.stocked_location_ids(count.warehouse_id)
    balances = StockBalance.objects.filter(location_id__in=location_ids).exclude(quantity=0)
    rows = list(balances.values_list("item_id", "location_id", "lot_id", "lot_key", "quantity"))
    if count.item_ids is not None:  # filtered here: a class of thousands of items would overflow an IN (...)
        wanted = set(count.item_ids)
        rows = [r for r in rows if r[0] in wanted]
    costs = selectors.unit_costs(count.warehouse_id, {r[0] for r in rows})
    lines = [
        CountLine(company_id=count.company_id, count=count, item_id=i, location_id=loc, lot_id=lot, lot_key=lk,
                  snapshot_quantity=q, unit_cost=costs.get(i, ZERO))
        for i, loc, lot, lk, q in sorted(rows, key=lambda r: (r[1], r[0], r[3]))
    ]
    _fill_defaults(lines)
    insert_objects(lines)
    COUNTS.transition(count, "start", by=by, data={"lines": len(lines), "frozen": count.freeze})
    return count


def _fill_defaults(lines: list[CountLine]) -> None:
    for ln in lines:
        ln.expected_quantity = ln.expected_quantity if ln.expected_quantity is not None else None
        ln.round = ln.round or 1
        ln.reason = ln.reason or ""
        ln.reason_note = ln.reason_note or ""


@dataclass
class EntryInput:
    """One thing a counter did: a scan (+1 of the scanned unit), or a quantity typed for an item."""

    barcode: str = ""
    item: object = None  # Item, id or code (when not scanning)
    quantity: object = None  # None with a barcode: one scanned unit; may be negative to take back
    location: object = None  # Location or id; default: the count's only location or the warehouse default
    lot_code: str = ""
    expires_on: dt.date | None = None
    produced_on: dt.date | None = None


@dataclass
class EntryResult:
    line: CountLine
    entry: CountEntry
    item: Item
    added: bool


@transaction.atomic
def record_entries(count, *, by, entries: list[EntryInput]) -> list[EntryResult]:
    """Record what counters counted (scans or typed quantities); all or nothing.

    Each entry adds to its line's count for the line's current round; several counters' entries are summed
    and each entry keeps who made it. The line takes the book at this moment as its expected quantity. An
    item (or lot) found at a location where the book has none becomes a new line."""
    permissions.require(by, "count.count", roles=COUNTERS)
    count = lock_count(count, by)
    require_status(count, CountStatus.COUNTING)
    if not entries:
        raise ValidationFailed(field="entries", reason=_("must have at least one entry"))
    if len(entries) > MAX_ENTRIES:
        raise ValidationFailed(field="entries", reason=_("has too many entries"))
    company = count.company
    scope_locations = count.location_ids or selectors.stocked_location_ids(count.warehouse_id)
    default_loc = (count.location_ids[0] if count.location_ids and len(count.location_ids) == 1
                   else default_location(count.warehouse).pk)
    lines = {(ln.item_id, ln.location_id, ln.lot_key): ln
             for ln in CountLine.objects.filter(count=count).select_related("lot")}
    item_refs = {e.item for e in entries if e.item is not None and not isinstance(e.item, Item)}
    by_id = {i.pk: i for i in Item.objects.filter(company=company, pk__in=[r for r in item_refs
                                                                            if isinstance(r, int)])}
    by_code = {i.code: i for i in Item.objects.filter(company=company, code__in=[r for r in item_refs
                                                                                  if isinstance(r, str)])}

    resolved = []
    for n, e in enumerate(entries, start=1):
        field = f"entries[{n}]"
        lot_code, expires_on, produced_on, factor = (e.lot_code or "").strip(), e.expires_on, e.produced_on, 1
        if e.barcode:
            found = _scanned(company.pk, e.barcode)
            item = found["item"]
            if found["unit"] is not None and found["unit"].pk != item.base_unit_id:
                factor = ItemUnit.objects.filter(item=item, unit=found["unit"]).values_list(
                    "factor", flat=True).first() or 1
            lot_code = lot_code or (found["lot"] or "")
            expires_on = expires_on or found["expires_on"]
            produced_on = produced_on or found["produced_on"]
        elif e.item is not None:
            item = e.item if isinstance(e.item, Item) else by_id.get(e.item) or by_code.get(e.item)
            if item is None or item.company_id != company.pk:
                raise NotFound("item", getattr(e.item, "pk", e.item))
        else:
            raise ValidationFailed(field=field, reason=_("needs a barcode or an item"))
        if e.quantity is None:
            if not e.barcode:
                raise ValidationFailed(field=f"{field}.quantity", reason=_("is required when not scanning"))
            quantity = qty(Decimal(factor))
        else:
            # 0 is a count too: the shelf is empty (the line becomes counted at 0)
            entered = parse_decimal(e.quantity, f"{field}.quantity", places=4, negative=True)
            quantity = qty(entered * Decimal(factor))
        loc_id = getattr(e.location, "pk", e.location) if e.location is not None else default_loc
        if loc_id not in scope_locations:
            raise ValidationFailed(field=f"{field}.location", reason=_("is not a location of this count"))
        if item.tracks_lots and not lot_code:
            raise _which_lot(item, loc_id, lines.values())
        if not item.tracks_lots and lot_code:
            raise ValidationFailed(field=f"{field}.lot_code", reason=_("given for an item without lots"))
        if len(lot_code) > 64:
            raise ValidationFailed(field=f"{field}.lot_code", reason=_("is longer than 64 characters"))
        resolved.append((item, loc_id, lot_code[:64], expires_on, produced_on, quantity, e.barcode[:200]))

    # lots found on the shelf that the books never saw are created, with their dates from the scan
    lots: dict[tuple[int, str], Lot] = {}
    wanted = {(r[0].pk, r[2]): r for r in resolved if r[2]}
    if wanted:
        for lot in Lot.objects.filter(company=company, item_id__in={i for i, _c in wanted},
                                      code__in={c for _i, c in wanted}):
            lots[(lot.item_id, lot.code)] = lot
        for (item_id, code), r in wanted.items():
            if (item_id, code) not in lots:
                lots[(item_id, code)] = Lot.objects.create(company=company, item_id=item_id, code=code,
                                                           expires_on=r[3], produced_on=r[4])
    now = clock.now()
    new_lines: list[CountLine] = []
    keyed = []
    for item, loc_id, lot_code, _e, _p, quantity, scanned in resolved:
        lot = lots.get((item.pk, lot_code)) if lot_code else None
        key = (item.pk, loc_id, lot.pk if lot else 0)
        if key not in lines:
            ln = CountLine(company_id=company.pk, count=count, item_id=item.pk, location_id=loc_id, lot=lot,
                           lot_key=key[2], snapshot_quantity=ZERO, is_added=True)
            lines[key] = ln
            new_lines.append(ln)
        keyed.append((key, item, quantity, scanned))
    touched_keys = {k for k, *_ in keyed}
    book = selectors.book_quantities(touched_keys)
    costs = selectors.unit_costs(count.warehouse_id, {k[0] for k in touched_keys})
    for ln in new_lines:  # a line added while counting: its book at "start" is the book now
        ln.snapshot_quantity = book[(ln.item_id, ln.location_id, ln.lot_key)]
        ln.unit_cost = costs.get(ln.item_id, ZERO)
    _fill_defaults(new_lines)
    insert_objects(new_lines, returning_pk=True)
    entry_rows = [
        CountEntry(company_id=company.pk, line=lines[key], round=lines[key].round, quantity=quantity,
                   scanned=scanned, counted_by=by, counted_at=now)
        for key, _item, quantity, scanned in keyed
    ]
    insert_objects(entry_rows, returning_pk=True)
    # the line's count is the sum of its entries in its round; its book is the book now
    touched = {lines[k] for k in touched_keys}
    sums = _entry_sums([ln.pk for ln in touched])
    for ln in touched:
        total = sums.get((ln.pk, ln.round), ZERO)
        if total < 0:
            raise DomainError("count.negative", _("%(item)s at %(location)s would be counted below zero."),
                              http_status=422, item=Item.objects.get(pk=ln.item_id),
                              location=Location.objects.get(pk=ln.location_id))
        ln.counted_quantity = total
        ln.expected_quantity = book[(ln.item_id, ln.location_id, ln.lot_key)]
        ln.counted_at = now
        ln.unit_cost = costs.get(ln.item_id, ln.unit_cost)
    with connection.cursor() as cur:
        cur.executemany(
            "UPDATE counts_countline SET counted_quantity = %s, expected_quantity = %s, counted_at = %s, "
            "unit_cost = %s WHERE id = %s",
            [(ln.counted_quantity, ln.expected_quantity, connection.ops.adapt_datetimefield_value(now),
              ln.unit_cost, ln.pk) for ln in touched],
        )
    payload = {"number": count.number, "entries": len(entry_rows), "lines": len(touched), "added": len(new_lines)}
    insert_together(*[(*object_rows(objs), (), ()) for objs in (
        [make_event(company=company, topic="count.counted", by=by, obj=count, payload=payload)],
        [make_audit(company=company, action="count", obj=count, by=by, after=payload)],
    )])
    new = {id(ln) for ln in new_lines}
    return [EntryResult(line=lines[key], entry=entry, item=item, added=id(lines[key]) in new)
            for (key, item, _q, _s), entry in zip(keyed, entry_rows, strict=True)]


def _scanned(company_id: int, text: str) -> dict:
    """What was scanned or typed at the scan field: a barcode (GS1 too) or, failing that, an item code."""
    try:
        return lookup_barcode(company_id, text)
    except DomainError as exc:
        if exc.code != "barcode.unknown":
            raise
        item = Item.objects.filter(company_id=company_id, code=text.strip()).first()
        if item is None:
            raise
        return {"item": item, "unit": None, "lot": None, "expires_on": None, "produced_on": None}


def _which_lot(item: Item, location_id: int, lines) -> DomainError:
    """A lot-tracked item scanned by its ordinary barcode: the question which lot, with the lots of this count at
    that location to choose from (codes and dates only: a blind count shows no quantity); a new lot may be typed."""
    lots = sorted({(ln.lot.code, ln.lot.expires_on) for ln in lines
                   if ln.item_id == item.pk and ln.location_id == location_id and ln.lot_id is not None},
                  key=lambda lot: (lot[1] is None, lot[1] or dt.date.min, lot[0]))
    return DomainError("count.lot_choice", _("Which lot of %(item)s is it? Choose one, or enter a new lot."),
                       http_status=422, item=item, item_code=item.code, location=location_id,
                       lots=[{"code": c, "expires_on": e.isoformat() if e else None} for c, e in lots])


def _entry_sums(line_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    out = {}
    for start in range(0, len(line_ids), 5000):
        chunk = line_ids[start:start + 5000]
        for line_id, rnd, total in (CountEntry.objects.filter(line_id__in=chunk).values_list("line_id", "round")
                                    .annotate(t=Sum("quantity")).values_list("line_id", "round", "t")):
            out[(line_id, rnd)] = qty(total)
    return out


def beyond_tolerance(count: Count, line: CountLine) -> bool:
    """A line needs a recount when its difference exceeds the count's quantity rate (against a book of 0: its
    absolute quantity tolerance) or its value limit."""
    diff = line.difference
    if not diff:
        return False
    if abs(diff) * line.unit_cost > count.tolerance_value:
        return True
    return not selectors.within_tolerance(line.expected_quantity, diff, count.tolerance_rate,
                                          count.tolerance_quantity)


@transaction.atomic
def finish_count(count, *, by, uncounted_as_zero: bool = False, skip_uncounted: bool = False) -> Count:
    """End a counting round. Lines beyond tolerance in the first round are sent to a (blind) recount and the
    count stays open for them; otherwise the count goes to review. Uncounted lines are refused unless
    `uncounted_as_zero` (the shelf was empty) or `skip_uncounted` (the user confirms they were not counted:
    they stay blank, marked not counted, listed on the count and left out of the adjustment)."""
    require_manager(by)
    count = lock_count(count, by)
    COUNTS.check(count, "finish")
    lines = list(CountLine.objects.filter(count=count))
    uncounted = [ln for ln in lines if ln.counted_quantity is None]
    now = clock.now()
    if uncounted_as_zero and skip_uncounted:
        raise ValidationFailed(field="skip_uncounted", reason=_("cannot be combined with uncounted_as_zero"))
    if uncounted and not (uncounted_as_zero or skip_uncounted):
        raise DomainError("count.uncounted", _("%(n)s lines of count %(number)s are not counted yet."),
                          http_status=409, n=len(uncounted), number=count.number)
    if uncounted and skip_uncounted:
        for ln in uncounted:
            ln.not_counted = True
        uncounted_rows = uncounted
        uncounted = []
    else:
        uncounted_rows = uncounted
    if uncounted:
        book = selectors.book_quantities({(ln.item_id, ln.location_id, ln.lot_key) for ln in uncounted})
        for ln in uncounted:
            ln.counted_quantity, ln.counted_at = ZERO, now
            ln.expected_quantity = book[(ln.item_id, ln.location_id, ln.lot_key)]
    recount = [ln for ln in lines if ln.round == 1 and beyond_tolerance(count, ln)]
    for ln in recount:
        ln.round, ln.recount_requested = 2, True
        ln.counted_quantity = ln.expected_quantity = ln.counted_at = None
    CountLine.objects.bulk_update([*uncounted_rows, *recount], ["counted_quantity", "expected_quantity",
                                                               "counted_at", "round", "recount_requested",
                                                               "not_counted"], batch_size=2000)
    if recount:
        COUNTS.transition(count, "recount", by=by, data={"lines": [ln.pk for ln in recount]})
        return count
    accuracy = {k: str(v) for k, v in selectors.count_accuracy(count).items()}
    COUNTS.transition(count, "finish", by=by, data={"accuracy": accuracy})
    return count


@transaction.atomic
def request_recount(count, *, by, lines) -> Count:
    """Send lines back for another (blind) round by hand, while counting or in review."""
    require_manager(by)
    count = lock_count(count, by)
    COUNTS.check(count, "recount")
    ids = [getattr(ln, "pk", ln) for ln in lines]
    found = {ln.pk: ln for ln in CountLine.objects.filter(count=count, pk__in=ids)}
    for i in ids:
        if i not in found:
            raise NotFound("count_line", i)
    for ln in found.values():
        ln.round += 1
        ln.recount_requested, ln.not_counted = True, False
        ln.counted_quantity = ln.expected_quantity = ln.counted_at = None
    CountLine.objects.bulk_update(list(found.values()), ["round", "recount_requested", "counted_quantity",
                                                         "expected_quantity", "counted_at", "not_counted"])
    changes = Changes(count)
    count.finished_at = None
    changes.fields.add("finished_at")
    COUNTS.transition(count, "recount", by=by, changes=changes, data={"lines": sorted(found)})
    changes.flush()
    return count


@transaction.atomic
def set_reason(count, *, by, line, reason: str, note: str = "") -> CountLine:
    """Record why a line differs (damage, theft, entry error, unrecorded return, other)."""
    require_manager(by)
    count = lock_count(count, by)
    require_status(count, CountStatus.COUNTING, CountStatus.REVIEW)
    if reason not in Reason.values:
        raise ValidationFailed(field="reason", reason=_("is not a known reason"))
    if len(note or "") > 300:
        raise ValidationFailed(field="note", reason=_("is longer than 300 characters"))
    ln = CountLine.objects.filter(count=count, pk=getattr(line, "pk", line)).first()
    if ln is None:
        raise NotFound("count_line", getattr(line, "pk", line))
    before = {"reason": ln.reason, "note": ln.reason_note}
    ln.reason, ln.reason_note = reason, note or ""
    ln.save(update_fields=["reason", "reason_note"])
    record_audit(company=count.company_id, action="reason", obj=count, by=by, before=before,
                 after={"line": ln.pk, "reason": reason, "note": ln.reason_note})
    return ln


@transaction.atomic
def cancel_count(count, *, by, reason: str = "") -> Count:
    """Cancel a count that has no posted adjustment; its entries stay for the record."""
    require_manager(by)
    count = lock_count(count, by)
    COUNTS.transition(count, "cancel", by=by, data={"reason": (reason or "")[:300]})
    return count

