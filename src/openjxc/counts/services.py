"""Stock count services: plans, counts, counting while the warehouse keeps operating, and the adjustment.

A count snapshots the book per (item, location, lot) when it starts. Each time a line is counted the
book at that moment is stored with it (`expected_quantity`): moves posted between the start and the
count are part of the book, so the difference is the true one without freezing the warehouse. A
finished count creates a `stock_count` document with one line per difference; it goes through the
normal submit / approve / post lifecycle, and posting moves the differences to or from the
count-difference location through the ledger.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Category, Item, ItemUnit
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.events import make_audit, make_event, record_audit, record_event
from openjxc.core.models import Role, User
from openjxc.core.numbering import next_number
from openjxc.core.quantities import MAX_VALUE, ZERO, money, qty
from openjxc.core.sql import insert_objects, insert_together, object_rows
from openjxc.counts import selectors
from openjxc.counts.models import (
    AbcClass,
    Count,
    CountEntry,
    CountLine,
    CountPlan,
    CountStatus,
    Reason,
    Scope,
)
from openjxc.documents.kinds.counts import STOCK_COUNT
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.stock.access import require_warehouse
from openjxc.stock.locations import default_location, virtual_location
from openjxc.stock.models import (
    STOCKED_KINDS,
    Location,
    LocationKind,
    Lot,
    StockBalance,
    Warehouse,
    WarehouseKind,
)

MANAGERS = {Role.ADMIN, Role.MANAGER, Role.KEEPER}  # plan, start, finish and adjust counts
COUNTERS = {"*"}  # anyone in the warehouse may count
BOOK_READERS = {Role.ADMIN, Role.MANAGER}  # see the book on a blind count
COUNT_PREFIX = "PD"
MAX_ENTRIES = 25_000


def may_see_book(user, count: Count) -> bool:
    """Blind counts hide the book (and so the difference) from counters; managers see it."""
    return not count.blind or permissions.allowed(user, "count.book", roles=BOOK_READERS)


def _company(by):
    if by.company_id is None:
        raise DomainError("user.no_company", _("Your account is not attached to a company."), http_status=403)
    return by.company


def _manage(by):
    permissions.require(by, "count.manage", roles=MANAGERS)


def _warehouse(company, ref) -> Warehouse:
    wh = ref if isinstance(ref, Warehouse) else Warehouse.objects.filter(company=company, pk=ref).first()
    if wh is None or wh.company_id != company.pk:
        raise NotFound("warehouse", getattr(ref, "pk", ref))
    if not wh.is_active or wh.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field="warehouse", reason=_("is not an active warehouse or store"))
    return wh


def _locations(company, warehouse: Warehouse, refs) -> list[Location]:
    ids = [getattr(r, "pk", r) for r in refs]
    found = {loc.pk: loc for loc in Location.objects.filter(company=company, pk__in=ids)}
    out = []
    for ref in ids:
        loc = found.get(ref)
        if loc is None:
            raise NotFound("location", ref)
        if loc.warehouse_id != warehouse.pk or loc.kind not in STOCKED_KINDS:
            raise ValidationFailed(field="locations", reason=_("is not a location of this warehouse"))
        out.append(loc)
    return out


def _users(company, refs) -> list[User]:
    ids = [getattr(r, "pk", r) for r in refs]
    found = {u.pk: u for u in User.objects.filter(company=company, pk__in=ids)}
    for ref in ids:
        if ref not in found:
            raise NotFound("user", ref)
    return [found[i] for i in ids]


def _rate(value, field: str) -> Decimal:
    """A tolerance: a rate (0.02 = 2%, at most 100 = 10000%) or a value (money, within the columns)."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    limit = Decimal(100) if field == "tolerance_rate" else MAX_VALUE
    if not d.is_finite() or d < 0 or d > limit:
        raise ValidationFailed(field=field, reason=_("must be between 0 and %(limit)s") % {"limit": limit})
    return d.quantize(Decimal("0.0001")) if field == "tolerance_rate" else money(d)


def _check_scope(scope, *, category, abc_class, sample_size, locations):
    if scope not in Scope.values:
        raise ValidationFailed(field="scope", reason=_("is not a known count scope"))
    if scope == Scope.CATEGORY and category is None:
        raise ValidationFailed(field="category", reason=_("is required for a count by category"))
    if scope == Scope.ABC and abc_class not in AbcClass.values:
        raise ValidationFailed(field="abc_class", reason=_("must be A, B or C"))
    if scope == Scope.RANDOM and not sample_size:
        raise ValidationFailed(field="sample_size", reason=_("must be greater than zero"))
    if scope == Scope.LOCATION and not locations:
        raise ValidationFailed(field="locations", reason=_("must name at least one location"))


# ---------------------------------------------------------------- plans


@transaction.atomic
def create_plan(*, by, name: str, warehouse, scope: str = Scope.FULL, locations=(), category=None,
                abc_class: str = "", sample_size: int = 0, every_days: int | None = None,
                next_due_on: dt.date | None = None, assignees=(), blind: bool = True, freeze: bool = False,
                tolerance_rate=Decimal("0.02"), tolerance_value=Decimal("100")) -> CountPlan:
    """A count plan: what to count and how often; the schedule creates its counts when due."""
    _manage(by)
    company = _company(by)
    wh = _warehouse(company, warehouse)
    require_warehouse(by, wh)
    if not (name or "").strip() or len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is required (at most 100 characters)"))
    locs = _locations(company, wh, locations)
    cat = None
    if category is not None:
        cat = category if isinstance(category, Category) else Category.objects.filter(company=company,
                                                                                       pk=category).first()
        if cat is None or cat.company_id != company.pk:
            raise NotFound("category", getattr(category, "pk", category))
    _check_scope(scope, category=cat, abc_class=abc_class, sample_size=sample_size, locations=locs)
    if every_days is None:
        every_days = selectors.ABC_EVERY_DAYS[abc_class] if scope == Scope.ABC else 30
    if not 1 <= int(every_days) <= 3660:
        raise ValidationFailed(field="every_days", reason=_("must be between 1 and 3660"))
    people = _users(company, assignees)
    plan = CountPlan(
        company=company, name=name.strip(), warehouse=wh, scope=scope, category=cat, abc_class=abc_class or "",
        sample_size=sample_size or 0, every_days=every_days,
        next_due_on=next_due_on or clock.today(company.time_zone), blind=blind, freeze=freeze,
        tolerance_rate=_rate(tolerance_rate, "tolerance_rate"),
        tolerance_value=money(_rate(tolerance_value, "tolerance_value")),
        created_by=by, created_at=clock.now(),
    )
    plan.save()
    plan.locations.set(locs)
    plan.assignees.set(people)
    record_event(company=company, topic="count_plan.created", by=by, obj=plan,
                 payload={"name": plan.name, "scope": scope, "warehouse": wh.pk, "every_days": every_days})
    record_audit(company=company, action="create", obj=plan, by=by, after={"name": plan.name, "scope": scope})
    return plan


PLAN_FIELDS = ("name", "every_days", "next_due_on", "blind", "freeze", "tolerance_rate", "tolerance_value",
               "is_active", "sample_size")


@transaction.atomic
def update_plan(plan: CountPlan, *, by, assignees=None, **changes) -> CountPlan:
    """Change a plan's schedule, people or tolerances; deactivate it with is_active=False."""
    _manage(by)
    plan = CountPlan.objects.select_for_update().get(pk=plan.pk, company_id=by.company_id)
    before = {f: str(getattr(plan, f)) for f in PLAN_FIELDS}
    for field, value in changes.items():
        if field not in PLAN_FIELDS:
            raise ValidationFailed(field=field, reason=_("cannot be changed"))
        if value is None:
            continue
        if field in ("tolerance_rate", "tolerance_value"):
            value = _rate(value, field)
        if field == "every_days" and not 1 <= int(value) <= 3660:
            raise ValidationFailed(field="every_days", reason=_("must be between 1 and 3660"))
        setattr(plan, field, value)
    plan.save()
    if assignees is not None:
        plan.assignees.set(_users(plan.company, assignees))
    after = {f: str(getattr(plan, f)) for f in PLAN_FIELDS}
    record_event(company=plan.company_id, topic="count_plan.updated", by=by, obj=plan, payload=after)
    record_audit(company=plan.company_id, action="update", obj=plan, by=by, before=before, after=after)
    return plan


# ---------------------------------------------------------------- counts


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
                 tolerance_rate=Decimal("0.02"), tolerance_value=Decimal("100"), due_on: dt.date | None = None,
                 assignees=(), plan: CountPlan | None = None) -> Count:
    """A count of a warehouse, or of the locations / category / ABC class / sample chosen, not yet started."""
    _manage(by)
    company = _company(by)
    wh = _warehouse(company, warehouse)
    require_warehouse(by, wh)
    if name and len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is longer than 100 characters"))
    locs = _locations(company, wh, locations)
    cat = None
    if category is not None:
        cat = category if isinstance(category, Category) else Category.objects.filter(company=company,
                                                                                       pk=category).first()
        if cat is None or cat.company_id != company.pk:
            raise NotFound("category", getattr(category, "pk", category))
    _check_scope(scope, category=cat, abc_class=abc_class, sample_size=sample_size, locations=locs)
    today = clock.today(company.time_zone)
    item_ids, location_ids = _selection(company, wh, scope, locations=locs, category=cat, abc_class=abc_class,
                                        sample_size=sample_size, items=items, on=today)
    people = _users(company, assignees)
    count = Count(
        company=company, number=next_number(company, COUNT_PREFIX, today), name=name, plan=plan, warehouse=wh,
        scope=scope, item_ids=item_ids, location_ids=location_ids, blind=blind, freeze=freeze,
        tolerance_rate=_rate(tolerance_rate, "tolerance_rate"),
        tolerance_value=money(_rate(tolerance_value, "tolerance_value")), due_on=due_on,
        created_by=by, created_at=clock.now(),
    )
    count.save()
    count.assignees.set(people)
    payload = {"number": count.number, "warehouse": wh.pk, "scope": scope, "assignees": [u.pk for u in people],
               "items": len(item_ids) if item_ids is not None else None, "plan": plan.pk if plan else None}
    record_event(company=company, topic="count.created", by=by, obj=count, payload=payload)
    record_audit(company=company, action="create", obj=count, by=by, after=payload)
    return count


def create_count_from_plan(plan: CountPlan, *, by) -> Count:
    """Create the plan's next count now, assigned to the plan's people; without any, to the keepers who work
    in the warehouse, else its manager."""
    people = list(plan.assignees.all())
    if not people:
        people = [u for u in plan.warehouse.users.filter(is_active=True).order_by("username")
                  if u.has_role(Role.KEEPER)]
    if not people and plan.warehouse.manager_id:
        people = [plan.warehouse.manager]
    return create_count(
        by=by, warehouse=plan.warehouse, scope=plan.scope, locations=list(plan.locations.all()),
        category=plan.category, abc_class=plan.abc_class, sample_size=plan.sample_size,
        name=plan.name, blind=plan.blind, freeze=plan.freeze, tolerance_rate=plan.tolerance_rate,
        tolerance_value=plan.tolerance_value, due_on=clock.today(plan.company.time_zone), assignees=people,
        plan=plan,
    )


def create_due_counts(*, on: dt.date | None = None) -> list[Count]:
    """The schedule: for every active plan that is due, create its count and move the plan to its next date.

    Each plan in its own transaction, as the plan's author; a plan whose selection is empty is moved on too
    (its refusal is recorded as an event)."""
    made = []
    plans = CountPlan.objects.filter(is_active=True, next_due_on__isnull=False).select_related(
        "company", "warehouse", "created_by", "category")
    for plan in plans:
        day = on or clock.today(plan.company.time_zone)
        if plan.next_due_on > day:
            continue
        with transaction.atomic():
            locked = CountPlan.objects.select_for_update().get(pk=plan.pk)
            if locked.next_due_on is None or locked.next_due_on > day:
                continue
            try:
                with transaction.atomic():
                    made.append(create_count_from_plan(plan, by=plan.created_by))
            except DomainError as exc:
                record_event(company=plan.company_id, topic="count_plan.failed", obj=plan, payload=exc.as_dict())
            while locked.next_due_on <= day:
                locked.next_due_on += dt.timedelta(days=locked.every_days)
            locked.save(update_fields=["next_due_on"])
    return made


def _locked_count(count, by) -> Count:
    pk = count.pk if isinstance(count, Count) else count
    found = (Count.objects.select_for_update(of=("self",)).select_related("company", "warehouse")
             .filter(pk=pk, company_id=by.company_id).first())
    if found is None:
        raise NotFound("count", pk)
    require_warehouse(by, found.warehouse)
    return found


def _refuse_status(count: Count, *allowed: str):
    if count.status not in allowed:
        raise DomainError(
            "count.invalid_status", _("Count %(number)s is %(status)s: this cannot be done now."), http_status=409,
            number=count.number, status=str(count.get_status_display()),
        )


def _log(count: Count, topic: str, by, payload: dict | None = None, action: str | None = None) -> None:
    payload = {"number": count.number, "status": count.status, **(payload or {})}
    record_event(company=count.company_id, topic=topic, by=by, obj=count, payload=payload)
    record_audit(company=count.company_id, action=action or topic.split(".")[-1], obj=count, by=by, after=payload)


@transaction.atomic
def start_count(count, *, by) -> Count:
    """Start counting: snapshot the book of every (item, location, lot) in the count's selection."""
    _manage(by)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.OPEN)
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
    count.status = CountStatus.COUNTING
    count.started_at = clock.now()
    count.save(update_fields=["status", "started_at"])
    _log(count, "count.started", by, {"lines": len(lines), "frozen": count.freeze}, action="start")
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


def _entry_quantity(value, field: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    if not d.is_finite() or abs(d) > MAX_VALUE:
        raise ValidationFailed(field=field, reason=_("is not a number"))
    if d != qty(d):
        raise ValidationFailed(field=field, reason=_("has too many decimal places (at most %(places)s)")
                               % {"places": 4})
    if d == 0:
        raise ValidationFailed(field=field, reason=_("must not be zero"))
    return d


@transaction.atomic
def record_entries(count, *, by, entries: list[EntryInput]) -> list[EntryResult]:
    """Record what counters counted (scans or typed quantities); all or nothing.

    Each entry adds to its line's count for the line's current round; several counters' entries are summed
    and each entry keeps who made it. The line takes the book at this moment as its expected quantity. An
    item (or lot) found at a location where the book has none becomes a new line."""
    permissions.require(by, "count.count", roles=COUNTERS)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.COUNTING)
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
    from openjxc.catalog.services import lookup_barcode

    resolved = []
    for n, e in enumerate(entries, start=1):
        field = f"entries[{n}]"
        lot_code, expires_on, produced_on, factor = (e.lot_code or "").strip(), e.expires_on, e.produced_on, 1
        if e.barcode:
            found = lookup_barcode(company.pk, e.barcode)
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
            quantity = qty(_entry_quantity(e.quantity, f"{field}.quantity") * Decimal(factor))
        loc_id = getattr(e.location, "pk", e.location) if e.location is not None else default_loc
        if loc_id not in scope_locations:
            raise ValidationFailed(field=f"{field}.location", reason=_("is not a location of this count"))
        if item.tracks_lots and not lot_code:
            raise DomainError("lot.required", _("Item %(item)s is tracked by lot: enter the lot."),
                              http_status=422, item=item)
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


def _entry_sums(line_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    from django.db.models import Sum

    out = {}
    for start in range(0, len(line_ids), 5000):
        chunk = line_ids[start:start + 5000]
        for line_id, rnd, total in (CountEntry.objects.filter(line_id__in=chunk).values_list("line_id", "round")
                                    .annotate(t=Sum("quantity")).values_list("line_id", "round", "t")):
            out[(line_id, rnd)] = qty(total)
    return out


def beyond_tolerance(count: Count, line: CountLine) -> bool:
    """A line needs a recount when its difference exceeds the count's quantity rate or its value limit."""
    diff = line.difference
    if not diff:
        return False
    if abs(diff) * line.unit_cost > count.tolerance_value:
        return True
    return not selectors.within_tolerance(line.expected_quantity, diff, count.tolerance_rate)


@transaction.atomic
def finish_count(count, *, by, uncounted_as_zero: bool = False) -> Count:
    """End a counting round. Lines beyond tolerance in the first round are sent to a (blind) recount and the
    count stays open for them; otherwise the count goes to review. Uncounted lines are refused unless
    `uncounted_as_zero` (the shelf was empty)."""
    _manage(by)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.COUNTING)
    lines = list(CountLine.objects.filter(count=count))
    uncounted = [ln for ln in lines if ln.counted_quantity is None]
    now = clock.now()
    if uncounted and not uncounted_as_zero:
        raise DomainError("count.uncounted", _("%(n)s lines of count %(number)s are not counted yet."),
                          http_status=409, n=len(uncounted), number=count.number)
    if uncounted:
        book = selectors.book_quantities({(ln.item_id, ln.location_id, ln.lot_key) for ln in uncounted})
        for ln in uncounted:
            ln.counted_quantity, ln.counted_at = ZERO, now
            ln.expected_quantity = book[(ln.item_id, ln.location_id, ln.lot_key)]
    recount = [ln for ln in lines if ln.round == 1 and beyond_tolerance(count, ln)]
    for ln in recount:
        ln.round, ln.recount_requested = 2, True
        ln.counted_quantity = ln.expected_quantity = ln.counted_at = None
    CountLine.objects.bulk_update([*uncounted, *recount], ["counted_quantity", "expected_quantity", "counted_at",
                                                          "round", "recount_requested"], batch_size=2000)
    if recount:
        _log(count, "count.recount_requested", by, {"lines": [ln.pk for ln in recount]}, action="recount")
        return count
    count.status, count.finished_at = CountStatus.REVIEW, now
    count.save(update_fields=["status", "finished_at"])
    _log(count, "count.finished", by, {"accuracy": {k: str(v) for k, v in
                                                    selectors.count_accuracy(count).items()}}, action="finish")
    return count


@transaction.atomic
def request_recount(count, *, by, lines) -> Count:
    """Send lines back for another (blind) round by hand, while counting or in review."""
    _manage(by)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.COUNTING, CountStatus.REVIEW)
    ids = [getattr(ln, "pk", ln) for ln in lines]
    found = {ln.pk: ln for ln in CountLine.objects.filter(count=count, pk__in=ids)}
    for i in ids:
        if i not in found:
            raise NotFound("count_line", i)
    for ln in found.values():
        ln.round += 1
        ln.recount_requested = True
        ln.counted_quantity = ln.expected_quantity = ln.counted_at = None
    CountLine.objects.bulk_update(list(found.values()), ["round", "recount_requested", "counted_quantity",
                                                         "expected_quantity", "counted_at"])
    count.status, count.finished_at = CountStatus.COUNTING, None
    count.save(update_fields=["status", "finished_at"])
    _log(count, "count.recount_requested", by, {"lines": sorted(found)}, action="recount")
    return count


@transaction.atomic
def set_reason(count, *, by, line, reason: str, note: str = "") -> CountLine:
    """Record why a line differs (damage, theft, entry error, unrecorded return, other)."""
    _manage(by)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.COUNTING, CountStatus.REVIEW)
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
    _manage(by)
    count = _locked_count(count, by)
    _refuse_status(count, CountStatus.OPEN, CountStatus.COUNTING, CountStatus.REVIEW)
    count.status = CountStatus.CANCELLED
    count.save(update_fields=["status"])
    _log(count, "count.cancelled", by, {"reason": (reason or "")[:300]}, action="cancel")
    return count


@transaction.atomic
def create_count_document(count, *, by, business_on: dt.date | None = None, memo: str = "") -> Count:
    """Turn a reviewed count into a draft `stock_count` document, one line per difference, valued at the
    current cost. A count without differences is closed as posted with no document."""
    _manage(by)
    count = _locked_count(count, by)
    if count.status == CountStatus.DOCUMENTED and count.document_id:
        # the earlier adjustment was cancelled or voided: the count may be adjusted again
        if Document.objects.filter(pk=count.document_id, status__in=[Status.CANCELLED, Status.VOIDED]).exists():
            count.status = CountStatus.REVIEW
    _refuse_status(count, CountStatus.REVIEW)
    company = count.company
    day = business_on or clock.today(company.time_zone)
    lines = list(CountLine.objects.filter(count=count).exclude(counted_quantity=None)
                 .select_related("item", "lot").order_by("location_id", "item_id", "lot_key"))
    diffs = [ln for ln in lines if ln.difference]
    now = clock.now()
    if not diffs:
        count.status, count.posted_at = CountStatus.POSTED, now
        count.save(update_fields=["status", "posted_at"])
        _log(count, "count.posted", by, {"document": None}, action="post")
        return count
    shortage_to = virtual_location(company.pk, LocationKind.COUNT)
    doc = Document(
        company=company, kind=STOCK_COUNT.code, status=Status.DRAFT, warehouse=count.warehouse,
        business_on=day, memo=(memo or str(_("Stock count %(number)s") % {"number": count.number}))[:500],
        custom={"count": count.pk, "count_number": count.number}, created_by=by, created_at=now, updated_at=now,
        number=next_number(company, STOCK_COUNT.prefix, day),
    )
    doc_lines = []
    for n, ln in enumerate(diffs, start=1):
        diff = ln.difference
        quantity = abs(diff)
        amount = money(quantity * ln.unit_cost)
        doc_lines.append(DocumentLine(
            document=doc, line_no=n, item=ln.item, unit_id=ln.item.base_unit_id, unit_quantity=quantity,
            factor=Decimal(1), quantity=quantity, unit_price=ln.unit_cost, amount=amount, amount_with_tax=amount,
            lot=ln.lot, lot_code=ln.lot.code if ln.lot else "", location_id=ln.location_id,
            to_location_id=shortage_to.pk if diff < 0 else ln.location_id,
            memo=str(Reason(ln.reason).label) if ln.reason else "",
        ))
    doc.total_quantity = sum((dl.quantity for dl in doc_lines), ZERO)
    doc.total_amount = doc.total_with_tax = sum((dl.amount for dl in doc_lines), ZERO)
    insert_objects([doc], returning_pk=True)
    for dl in doc_lines:
        dl.document = doc
    insert_objects(doc_lines)
    snapshot = {"number": doc.number, "kind": doc.kind, "status": doc.status, "warehouse": doc.warehouse_id,
                "count": count.number, "lines": len(doc_lines), "total_amount": str(doc.total_amount)}
    record_event(company=company, topic="document.created", by=by, obj=doc, payload=snapshot)
    record_audit(company=company, action="create", obj=doc, by=by, after=snapshot)
    count.status, count.document = CountStatus.DOCUMENTED, doc
    count.save(update_fields=["status", "document"])
    _log(count, "count.documented", by, {"document": doc.number}, action="document")
    return count
