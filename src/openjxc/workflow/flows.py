"""Approval flows: defining them (versioned), validating their steps, and choosing the one for a document.

A flow applies to one document kind (and optionally some warehouses); editing its steps makes a new
version, used by documents submitted from then on. Only administrators and managers define flows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Role, User
from openjxc.core.permissions import company_id_of, is_person
from openjxc.core.quantities import parse_decimal
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import Document
from openjxc.stock.models import Warehouse
from openjxc.workflow import conditions
from openjxc.workflow.models import Flow, FlowVersion, Mode

MAX_STEPS = 20
MAX_REMINDERS = 3
APPROVER_TYPES = {"role", "user", "superior", "warehouse_manager"}
ESCALATION_RULES = {"superior", "deputy", "auto_approve", "auto_reject"}
STEP_KEYS = {"name", "approvers", "mode", "n", "condition", "time_limit_hours", "reminders", "escalation",
             "post_on_approve"}
MANAGERS = {Role.ADMIN, Role.MANAGER}


def require_manage(by) -> None:
    """Only administrators and managers define flows, calendars and presets."""
    if by is None or not (by.is_superuser or by.has_role(*MANAGERS)):
        raise PermissionDenied(action=_("manage approval flows"))



def check_steps(company_id: int, steps) -> list[dict]:
    """Validate a flow's steps and return them normalised; refuse naming the bad step and field."""
    if not isinstance(steps, list) or not steps:
        raise ValidationFailed(field="steps", reason=_("must be a non-empty list"))
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(field="steps", reason=_("has too many steps (at most 20)"))
    # people only: a terminal's user is never named as an approver
    users = {u.pk for u in User.objects.filter(company_id=company_id, is_active=True) if is_person(u)}
    out = []
    for n, step in enumerate(steps, start=1):
        where = f"steps[{n}]"
        if not isinstance(step, dict):
            raise ValidationFailed(field=where, reason=_("must be an object"))
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise ValidationFailed(field=f"{where}.{sorted(unknown)[0]}", reason=_("is not a step setting"))
        name = str(step.get("name") or "").strip()
        if not name or len(name) > 100:
            raise ValidationFailed(field=f"{where}.name", reason=_("is required (at most 100 characters)"))
        approvers = _check_approvers(step.get("approvers"), f"{where}.approvers", users)
        mode = step.get("mode") or Mode.ANY
        if not isinstance(mode, str) or mode not in Mode.values:
            raise ValidationFailed(field=f"{where}.mode", reason=_("must be any, all or n_of_m"))
        n_required = None
        if mode == Mode.N_OF_M:
            n_required = step.get("n")
            if not isinstance(n_required, int) or isinstance(n_required, bool) or n_required < 1:
                raise ValidationFailed(field=f"{where}.n", reason=_("must be a whole number of at least 1"))
            named = [a for a in approvers if a["type"] == "user"]
            if len(named) == len(approvers) and n_required > len(named):
                raise ValidationFailed(field=f"{where}.n", reason=_("is more than the approvers named"))
        conditions.validate(step.get("condition"), f"{where}.condition")
        limit = step.get("time_limit_hours")
        if limit in ("", None):
            limit = None
        else:
            limit = _positive(limit, f"{where}.time_limit_hours", maximum=Decimal(2000))
        reminders = step.get("reminders") or []
        if not isinstance(reminders, list) or len(reminders) > MAX_REMINDERS:
            raise ValidationFailed(field=f"{where}.reminders", reason=_("must be a list of at most 3 offsets"))
        if reminders and limit is None:
            raise ValidationFailed(field=f"{where}.reminders", reason=_("need a time limit"))
        clean_reminders = []
        for r, offset in enumerate(reminders):
            minutes = _int(offset, f"{where}.reminders[{r}]")
            if limit is not None and Decimal(limit) * 60 + minutes <= 0:
                raise ValidationFailed(field=f"{where}.reminders[{r}]", reason=_("falls before the step starts"))
            clean_reminders.append(minutes)
        escalation = _check_escalation(step.get("escalation"), f"{where}.escalation", users, limit, clean_reminders)
        post = step.get("post_on_approve", False)
        if not isinstance(post, bool):
            raise ValidationFailed(field=f"{where}.post_on_approve", reason=_("must be true or false"))
        out.append({
            "name": name, "approvers": approvers, "mode": mode, "n": n_required,
            "condition": step.get("condition") or None, "time_limit_hours": limit,
            "reminders": sorted(clean_reminders), "escalation": escalation,
            **({"post_on_approve": True} if post else {}),  # absent when off: older versions compare equal
        })
    return out


def _positive(value, field: str, *, maximum: Decimal) -> str:
    d = parse_decimal(value, field, negative=True)
    if d <= 0 or d > maximum:
        raise ValidationFailed(field=field, reason=_("must be greater than zero and at most %(max)s")
                               % {"max": maximum})
    return format(d.normalize(), "f")


def _int(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationFailed(field=field, reason=_("must be a whole number of minutes"))
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field=field, reason=_("must be a whole number of minutes")) from None
    if not d.is_finite() or d != d.to_integral() or abs(d) > 100_000:
        raise ValidationFailed(field=field, reason=_("must be a whole number of minutes"))
    return int(d)


def _check_approvers(approvers, where: str, users: set[int]) -> list[dict]:
    if not isinstance(approvers, list) or not approvers:
        raise ValidationFailed(field=where, reason=_("must name at least one approver"))
    out = []
    for n, a in enumerate(approvers):
        field = f"{where}[{n}]"
        if not isinstance(a, dict) or not isinstance(a.get("type"), str) or a["type"] not in APPROVER_TYPES:
            raise ValidationFailed(field=f"{field}.type",
                                   reason=_("must be role, user, superior or warehouse_manager"))
        if a["type"] == "role":
            if not isinstance(a.get("role"), str) or a["role"] not in Role.values:
                raise ValidationFailed(field=f"{field}.role", reason=_("is not a role"))
            out.append({"type": "role", "role": a["role"]})
        elif a["type"] == "user":
            uid = a.get("user")
            if not isinstance(uid, int) or isinstance(uid, bool) or uid not in users:
                raise ValidationFailed(field=f"{field}.user", reason=_("is not an active user of this company"))
            out.append({"type": "user", "user": uid})
        else:
            out.append({"type": a["type"]})
    return out


def _check_escalation(esc, where: str, users: set[int], limit, reminders: list[int]) -> dict | None:
    if esc in (None, {}):
        return None
    if not isinstance(esc, dict) or not isinstance(esc.get("rule"), str) or esc["rule"] not in ESCALATION_RULES:
        raise ValidationFailed(field=f"{where}.rule",
                               reason=_("must be superior, deputy, auto_approve or auto_reject"))
    if limit is None:
        raise ValidationFailed(field=where, reason=_("needs a time limit"))
    unknown = set(esc) - {"rule", "deputy", "after_minutes"}
    if unknown:
        raise ValidationFailed(field=f"{where}.{sorted(unknown)[0]}", reason=_("is not an escalation setting"))
    after = _int(esc.get("after_minutes") or 0, f"{where}.after_minutes")
    if after < 0:
        raise ValidationFailed(field=f"{where}.after_minutes", reason=_("must not be negative"))
    if reminders and max(reminders) > after:
        raise ValidationFailed(field=f"{where}.after_minutes", reason=_("must come after the last reminder"))
    out = {"rule": esc["rule"], "after_minutes": after}
    if esc["rule"] == "deputy":
        deputy = esc.get("deputy")
        if not isinstance(deputy, int) or isinstance(deputy, bool) or deputy not in users:
            raise ValidationFailed(field=f"{where}.deputy", reason=_("is not an active user of this company"))
        out["deputy"] = deputy
    return out


def _check_flow_header(company_id: int, *, name, kind, warehouses):
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is required (at most 100 characters)"))
    if kind not in KINDS:
        raise ValidationFailed(field="kind", reason=_("is not a document kind"))
    whs = []
    for ref in warehouses or []:
        wh = Warehouse.objects.filter(company_id=company_id, pk=ref).first() if isinstance(ref, int) else \
            Warehouse.objects.filter(company_id=company_id, code=ref).first()
        if wh is None:
            raise NotFound("warehouse", ref)
        whs.append(wh)
    return name, whs


def _flow_snapshot(flow: Flow, version: FlowVersion | None = None) -> dict:
    out = {"name": flow.name, "kind": flow.kind, "priority": flow.priority, "is_active": flow.is_active,
           "warehouses": sorted(w.pk for w in flow.warehouses.all()),
           "allow_self_approval": flow.allow_self_approval, "allow_same_approver": flow.allow_same_approver}
    if version is not None:
        out.update(version=version.number, steps=version.steps)
    return out


@transaction.atomic
def create_flow(*, by, name: str, kind: str, steps: list, warehouses=(), priority: int = 0, note: str = "",
                preset: str = "", allow_self_approval: bool = False, allow_same_approver: bool = False) -> Flow:
    """Define an approval flow for a document kind (optionally some warehouses); its steps become version 1."""
    require_manage(by)
    company_id = company_id_of(by)
    name, whs = _check_flow_header(company_id, name=name, kind=kind, warehouses=warehouses)
    clean = check_steps(company_id, steps)
    if Flow.objects.filter(company_id=company_id, name=name).exists():
        raise Conflict("workflow.flow_name_taken", _("A flow named %(name)s already exists."), name=name)
    now = clock.now()
    flow = Flow.objects.create(company_id=company_id, name=name, kind=kind, priority=int(priority or 0),
                               preset=preset, created_at=now, updated_at=now,
                               allow_self_approval=bool(allow_self_approval),
                               allow_same_approver=bool(allow_same_approver))
    flow.warehouses.set(whs)
    version = FlowVersion.objects.create(company_id=company_id, flow=flow, number=1, steps=clean,
                                         note=(note or "")[:300], created_at=now, created_by=by)
    snap = _flow_snapshot(flow, version)
    record_event(company=company_id, topic="workflow.flow_created", by=by, obj=flow, payload=snap)
    record_audit(company=company_id, action="create", obj=flow, by=by, after=snap)
    return flow


@transaction.atomic
def update_flow(flow: Flow | int, *, by, steps: list | None = None, name: str | None = None,
                warehouses=None, priority: int | None = None, is_active: bool | None = None,
                note: str = "", allow_self_approval: bool | None = None,
                allow_same_approver: bool | None = None) -> Flow:
    """Edit a flow: new steps make a new version, used by documents submitted from now on."""
    require_manage(by)
    company_id = company_id_of(by)
    pk = flow.pk if isinstance(flow, Flow) else flow
    flow = Flow.objects.select_for_update().filter(company_id=company_id, pk=pk).first()
    if flow is None:
        raise NotFound("flow", pk)
    latest = flow.versions.order_by("-number").first()
    before = _flow_snapshot(flow, latest)
    new_name, whs = _check_flow_header(company_id, name=flow.name if name is None else name, kind=flow.kind,
                                       warehouses=warehouses or [])
    if new_name != flow.name and Flow.objects.filter(company_id=company_id, name=new_name).exists():
        raise Conflict("workflow.flow_name_taken", _("A flow named %(name)s already exists."), name=new_name)
    clean = check_steps(company_id, steps) if steps is not None else None
    now = clock.now()
    flow.name = new_name
    if priority is not None:
        flow.priority = int(priority)
    if is_active is not None:
        flow.is_active = bool(is_active)
    if allow_self_approval is not None:
        flow.allow_self_approval = bool(allow_self_approval)
    if allow_same_approver is not None:
        flow.allow_same_approver = bool(allow_same_approver)
    flow.updated_at = now
    flow.save()
    if warehouses is not None:
        flow.warehouses.set(whs)
    version = latest
    if clean is not None and clean != latest.steps:
        version = FlowVersion.objects.create(company_id=company_id, flow=flow, number=latest.number + 1,
                                             steps=clean, note=(note or "")[:300], created_at=now, created_by=by)
    after = _flow_snapshot(flow, version)
    record_event(company=company_id, topic="workflow.flow_updated", by=by, obj=flow, payload=after)
    record_audit(company=company_id, action="update", obj=flow, by=by, before=before, after=after)
    return flow


def latest_version(flow: Flow) -> FlowVersion:
    return flow.versions.order_by("-number").first()


def applicable_flow(doc: Document) -> Flow | None:
    """The active flow for the document's kind and warehouse: a warehouse-specific one before a general one."""
    flows = list(Flow.objects.filter(company_id=doc.company_id, kind=doc.kind, is_active=True)
                 .prefetch_related("warehouses"))
    fitting = []
    for f in flows:
        whs = {w.pk for w in f.warehouses.all()}
        if not whs or doc.warehouse_id in whs:
            fitting.append((-f.priority, 0 if whs else 1, f.pk, f))
    return min(fitting)[3] if fitting else None
