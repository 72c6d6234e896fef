"""Stock counts: who may do what, the checks of a count's settings, and its status machine and row lock.

A count goes open → counting (started: the book is snapshotted) → review (finished) → documented (its
adjustment document was created) → posted (the adjustment posted, or nothing differed); a recount sends
lines back to counting; an open, counting or reviewed count may be cancelled; voiding the adjustment
reopens it as documented. Each change is one entry of COUNTS, moved by documents/lifecycle.Machine.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Category
from openjxc.core import permissions
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.models import Role, User
from openjxc.core.quantities import MAX_VALUE, money, parse_decimal, qty
from openjxc.counts.models import AbcClass, Count, CountStatus, Scope
from openjxc.documents.lifecycle import Machine, lock_row
from openjxc.stock.access import require_warehouse
from openjxc.stock.models import STOCKED_KINDS, Location, Warehouse, WarehouseKind

MANAGERS = {Role.ADMIN, Role.MANAGER, Role.KEEPER}  # plan, start, finish and adjust counts
COUNTERS = {"*"}  # anyone in the warehouse may count
BOOK_READERS = {Role.ADMIN, Role.MANAGER}  # see the book on a blind count
COUNT_PREFIX = "PD"
MAX_ENTRIES = 25_000


def may_see_book(user, count: Count) -> bool:
    """Blind counts hide the book (and so the difference) from counters; managers see it."""
    return not count.blind or permissions.allowed(user, "count.book", roles=BOOK_READERS)


def require_manager(by):
    permissions.require(by, "count.manage", roles=MANAGERS)


def active_warehouse(company, ref) -> Warehouse:
    wh = ref if isinstance(ref, Warehouse) else Warehouse.objects.filter(company=company, pk=ref).first()
    if wh is None or wh.company_id != company.pk:
        raise NotFound("warehouse", getattr(ref, "pk", ref))
    if not wh.is_active or wh.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field="warehouse", reason=_("is not an active warehouse or store"))
    return wh


def locations_of(company, warehouse: Warehouse, refs) -> list[Location]:
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


def users_of(company, refs) -> list[User]:
    ids = [getattr(r, "pk", r) for r in refs]
    found = {u.pk: u for u in User.objects.filter(company=company, pk__in=ids)}
    for ref in ids:
        if ref not in found:
            raise NotFound("user", ref)
    return [found[i] for i in ids]


def tolerance(value, field: str) -> Decimal:
    """A tolerance: a rate (0.02 = 2%, at most 100 = 10000%), a value (money, within the columns) or a
    quantity in base units (tolerance_quantity: the allowance against a book of 0)."""
    d = parse_decimal(value, field, negative=True, places=4 if field == "tolerance_quantity" else None)
    limit = Decimal(100) if field == "tolerance_rate" else MAX_VALUE
    if d < 0 or d > limit:
        raise ValidationFailed(field=field, reason=_("must be between 0 and %(limit)s") % {"limit": limit})
    if field == "tolerance_quantity":
        return qty(d)
    return d.quantize(Decimal("0.0001")) if field == "tolerance_rate" else money(d)


def category_of(company, ref) -> Category | None:
    """The company's category `ref` (a Category or its id), None for none; NotFound when it is not the company's."""
    if ref is None:
        return None
    cat = ref if isinstance(ref, Category) else Category.objects.filter(company=company, pk=ref).first()
    if cat is None or cat.company_id != company.pk:
        raise NotFound("category", getattr(ref, "pk", ref))
    return cat


def check_scope(scope, *, category, abc_class, sample_size, locations):
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



# ---------------------------------------------------------------- status machine and lock

S = CountStatus
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    "start": ({S.OPEN}, S.COUNTING),
    "finish": ({S.COUNTING}, S.REVIEW),
    "recount": ({S.COUNTING, S.REVIEW}, S.COUNTING),
    "cancel": ({S.OPEN, S.COUNTING, S.REVIEW}, S.CANCELLED),
    "document": ({S.REVIEW}, S.DOCUMENTED),
    "post": ({S.REVIEW, S.DOCUMENTED}, S.POSTED),  # no difference, or its adjustment posted (counts/hooks.py)
    "reopen": ({S.POSTED}, S.DOCUMENTED),  # its adjustment was voided
}


class InvalidCountStatus(DomainError):
    code = "count.invalid_status"
    http_status = 409
    message = _("Count %(number)s is %(status)s: this cannot be done now.")


def refuse(count: Count, action: str = "") -> DomainError:
    return InvalidCountStatus(number=count.number, status=str(count.get_status_display()))


def require_status(count: Count, *allowed: str) -> None:
    """Refuse (count.invalid_status) unless the count is in one of `allowed`."""
    if count.status not in allowed:
        raise refuse(count)


COUNTS = Machine(
    name="count",
    table={action: (frozenset(starts), target) for action, (starts, target) in TRANSITIONS.items()},
    labels={},
    stamps={"start": ("started", False), "finish": ("finished", False), "post": ("posted", False)},
    topics={"start": "count.started", "finish": "count.finished", "recount": "count.recount_requested",
            "cancel": "count.cancelled", "document": "count.documented", "post": "count.posted",
            "reopen": "count.voided"},
    payload=lambda count, action, before, target, reason: {"number": count.number, "status": target},
    refuse=refuse,
)


def lock_count(count, by) -> Count:
    """The count (or its id) locked, with its company and warehouse; `by` must work in that warehouse."""
    pk = count.pk if isinstance(count, Count) else count
    found = lock_row(Count.objects.select_related("company", "warehouse"), pk, company_id=by.company_id,
                     missing=lambda key: NotFound("count", key))
    require_warehouse(by, found.warehouse)
    return found
