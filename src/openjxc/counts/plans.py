"""Count plans: what to count and how often; the schedule creates their counts when due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Role
from openjxc.core.quantities import money
from openjxc.counts import selectors
from openjxc.counts.counting import create_count
from openjxc.counts.models import Count, CountPlan, Scope
from openjxc.counts.rules import (
    active_warehouse,
    category_of,
    check_scope,
    locations_of,
    require_manager,
    tolerance,
    users_of,
)
from openjxc.stock.access import require_warehouse


@transaction.atomic
def create_plan(*, by, name: str, warehouse, scope: str = Scope.FULL, locations=(), category=None,
                abc_class: str = "", sample_size: int = 0, every_days: int | None = None,
                next_due_on: dt.date | None = None, assignees=(), blind: bool = True, freeze: bool = False,
                tolerance_rate=Decimal("0.02"), tolerance_value=Decimal("100"),
                tolerance_quantity=Decimal("1")) -> CountPlan:
    """A count plan: what to count and how often; the schedule creates its counts when due."""
    require_manager(by)
    company = permissions.company_of(by)
    wh = active_warehouse(company, warehouse)
    require_warehouse(by, wh)
    if not (name or "").strip() or len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is required (at most 100 characters)"))
    locs = locations_of(company, wh, locations)
    cat = category_of(company, category)
    check_scope(scope, category=cat, abc_class=abc_class, sample_size=sample_size, locations=locs)
    if every_days is None:
        every_days = selectors.ABC_EVERY_DAYS[abc_class] if scope == Scope.ABC else 30
    if not 1 <= int(every_days) <= 3660:
        raise ValidationFailed(field="every_days", reason=_("must be between 1 and 3660"))
    people = users_of(company, assignees)
    plan = CountPlan(
        company=company, name=name.strip(), warehouse=wh, scope=scope, category=cat, abc_class=abc_class or "",
        sample_size=sample_size or 0, every_days=every_days,
        next_due_on=next_due_on or clock.today(company.time_zone), blind=blind, freeze=freeze,
        tolerance_rate=tolerance(tolerance_rate, "tolerance_rate"),
        tolerance_value=money(tolerance(tolerance_value, "tolerance_value")),
        tolerance_quantity=tolerance(tolerance_quantity, "tolerance_quantity"),
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
               "tolerance_quantity",
               "is_active", "sample_size")


@transaction.atomic
def update_plan(plan: CountPlan, *, by, assignees=None, **changes) -> CountPlan:
    """Change a plan's schedule, people or tolerances; deactivate it with is_active=False."""
    require_manager(by)
    plan = CountPlan.objects.select_for_update().get(pk=plan.pk, company_id=by.company_id)
    before = {f: str(getattr(plan, f)) for f in PLAN_FIELDS}
    for field, value in changes.items():
        if field not in PLAN_FIELDS:
            raise ValidationFailed(field=field, reason=_("cannot be changed"))
        if value is None:
            continue
        if field in ("tolerance_rate", "tolerance_value", "tolerance_quantity"):
            value = tolerance(value, field)
        if field == "every_days" and not 1 <= int(value) <= 3660:
            raise ValidationFailed(field="every_days", reason=_("must be between 1 and 3660"))
        setattr(plan, field, value)
    plan.save()
    if assignees is not None:
        plan.assignees.set(users_of(plan.company, assignees))
    after = {f: str(getattr(plan, f)) for f in PLAN_FIELDS}
    record_event(company=plan.company_id, topic="count_plan.updated", by=by, obj=plan, payload=after)
    record_audit(company=plan.company_id, action="update", obj=plan, by=by, before=before, after=after)
    return plan



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
        tolerance_value=plan.tolerance_value, tolerance_quantity=plan.tolerance_quantity, due_on=clock.today(plan.company.time_zone), assignees=people,
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
