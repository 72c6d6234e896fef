"""Workflow services: flows (versioned), the approval engine, delegations, the working calendar, timers.

Every service takes the acting user (`by`, None only for the timers), runs in the caller's or its own
transaction, writes outbox events and audit records there, and refuses bad input with a DomainError
before writing. The document's status changes only through documents.services.transition().
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Role, User
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import Document, Status
from openjxc.workflow import conditions
from openjxc.workflow.calendar import add_working_minutes, calendar_of, check_hours
from openjxc.workflow.models import (
    Approval,
    ApprovalState,
    ApprovalStep,
    Decision,
    Delegation,
    Flow,
    FlowVersion,
    Holiday,
    Mode,
    StepApprover,
    StepState,
    Timer,
    TimerKind,
    TimerState,
    WorkCalendar,
)

MAX_STEPS = 20
MAX_REMINDERS = 3
MAX_ESCALATIONS = 10  # a chain longer than this stops and tells the administrators
LATE_GRACE_SECONDS = 120  # the scan runs every minute: later than this, the worker was not running
APPROVER_TYPES = {"role", "user", "superior", "warehouse_manager"}
ESCALATION_RULES = {"superior", "deputy", "auto_approve", "auto_reject"}
STEP_KEYS = {"name", "approvers", "mode", "n", "condition", "time_limit_hours", "reminders", "escalation"}
MANAGERS = {Role.ADMIN, Role.MANAGER}


class NotApprover(DomainError):
    code = "workflow.not_approver"
    http_status = 403
    message = _("You may not decide step \"%(step)s\" of %(number)s. It waits for: %(approvers)s.")


def require_manage(by) -> None:
    """Only administrators and managers define flows, calendars and presets."""
    if by is None or not (by.is_superuser or by.has_role(*MANAGERS)):
        raise PermissionDenied(action=_("manage approval flows"))


def _company_id(by) -> int:
    if by.company_id is None:
        raise DomainError("user.no_company", _("Your account is not attached to a company."), http_status=403)
    return by.company_id


# ---------------------------------------------------------------- flows


def check_steps(company_id: int, steps) -> list[dict]:
    """Validate a flow's steps and return them normalised; refuse naming the bad step and field."""
    if not isinstance(steps, list) or not steps:
        raise ValidationFailed(field="steps", reason=_("must be a non-empty list"))
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(field="steps", reason=_("has too many steps (at most 20)"))
    users = set(User.objects.filter(company_id=company_id, is_active=True).values_list("pk", flat=True))
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
        out.append({
            "name": name, "approvers": approvers, "mode": mode, "n": n_required,
            "condition": step.get("condition") or None, "time_limit_hours": limit,
            "reminders": sorted(clean_reminders), "escalation": escalation,
        })
    return out


def _positive(value, field: str, *, maximum: Decimal) -> str:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    if not d.is_finite() or d <= 0 or d > maximum or isinstance(value, bool):
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
    from openjxc.stock.models import Warehouse

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
           "warehouses": sorted(w.pk for w in flow.warehouses.all())}
    if version is not None:
        out.update(version=version.number, steps=version.steps)
    return out


@transaction.atomic
def create_flow(*, by, name: str, kind: str, steps: list, warehouses=(), priority: int = 0, note: str = "",
                preset: str = "") -> Flow:
    """Define an approval flow for a document kind (optionally some warehouses); its steps become version 1."""
    require_manage(by)
    company_id = _company_id(by)
    name, whs = _check_flow_header(company_id, name=name, kind=kind, warehouses=warehouses)
    clean = check_steps(company_id, steps)
    if Flow.objects.filter(company_id=company_id, name=name).exists():
        raise Conflict("workflow.flow_name_taken", _("A flow named %(name)s already exists."), name=name)
    now = clock.now()
    flow = Flow.objects.create(company_id=company_id, name=name, kind=kind, priority=int(priority or 0),
                               preset=preset, created_at=now, updated_at=now)
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
                note: str = "") -> Flow:
    """Edit a flow: new steps make a new version, used by documents submitted from now on."""
    require_manage(by)
    company_id = _company_id(by)
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


# ---------------------------------------------------------------- the engine


def pending_approval(doc: Document | int) -> Approval | None:
    pk = doc.pk if isinstance(doc, Document) else doc
    return Approval.objects.filter(document_id=pk, state=ApprovalState.PENDING).select_related("version").first()


def _active_people(company_id: int) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(company_id=company_id, is_active=True).order_by("pk")}


def _resolve(company_id: int, spec: dict, doc: Document, requester: User,
             people: dict[int, User] | None = None) -> dict[int, str]:
    """The users a step's approver entries stand for in this document now, with how each was found.

    `people`: the company's active users by id (read once when resolving many steps)."""
    if people is None:
        people = _active_people(company_id)
    found: dict[int, str] = {}
    for a in spec["approvers"]:
        if a["type"] == "role":
            for u in people.values():
                if a["role"] in (u.roles or []):
                    found.setdefault(u.pk, f"role:{a['role']}")
        elif a["type"] == "user":
            if a["user"] in people:
                found.setdefault(a["user"], "user")
        elif a["type"] == "superior":
            if requester.superior_id in people:
                found.setdefault(requester.superior_id, "superior")
        elif a["type"] == "warehouse_manager":
            mgr = doc.warehouse.manager_id if doc.warehouse_id else None
            if mgr in people:
                found.setdefault(mgr, "warehouse_manager")
    return found


def resync_approvers(company_id: int, *, step_ids=None, warehouse_id: int | None = None) -> int:
    """Bring the active steps' approvers up to date with the company's people as they are now.

    A step's approvers come from its frozen spec (roles, named users, the requester's superior, the
    warehouse manager), resolved against today's roles: someone given the role joins the step, someone
    who lost it (or was deactivated) leaves it unless they already decided. People added by an
    escalation stay. In an "all" step (not escalated) everyone current must approve, so `required`
    follows the set. Called on role / superior / warehouse-manager changes and before every decision.
    Returns how many approver rows were added or removed."""
    qs = ApprovalStep.objects.filter(company_id=company_id, state=StepState.ACTIVE)
    if step_ids is not None:
        qs = qs.filter(pk__in=list(step_ids))
    if warehouse_id is not None:
        qs = qs.filter(approval__document__warehouse_id=warehouse_id)
    steps = list(qs.select_related("approval__requester", "approval__document__warehouse"))
    if not steps:
        return 0
    people = _active_people(company_id)
    rows: dict[int, list[StepApprover]] = {}
    for r in StepApprover.objects.filter(step__in=steps).order_by("pk"):
        rows.setdefault(r.step_id, []).append(r)
    decided: dict[int, set[int]] = {}
    for step_id, user_id, behalf in (Decision.objects.filter(step__in=steps).exclude(user=None)
                                     .values_list("step_id", "user_id", "on_behalf_of_id")):
        decided.setdefault(step_id, set()).add(behalf or user_id)
    drop, add, changed = [], [], 0
    for step in steps:
        if not step.spec.get("approvers"):
            continue
        desired = _resolve(company_id, step.spec, step.approval.document, step.approval.requester, people)
        mine = rows.get(step.pk, [])
        have = {r.user_id for r in mine}
        gone = [r for r in mine if r.via != "escalation" and r.user_id not in desired
                and r.user_id not in decided.get(step.pk, set())]
        new = [uid for uid in desired if uid not in have]
        if not gone and not new:
            continue
        drop += [r.pk for r in gone]
        add += [StepApprover(company_id=company_id, step=step, user_id=uid, via=desired[uid]) for uid in new]
        changed += len(gone) + len(new)
        if step.mode == Mode.ALL and step.escalated_at is None:
            required = max(len(have) - len(gone) + len(new), 1)
            if required != step.required:
                step.required = required
                step.save(update_fields=["required"])
    StepApprover.objects.filter(pk__in=drop).delete()
    StepApprover.objects.bulk_create(add, ignore_conflicts=True)
    return changed


def start_approval(doc: Document, *, by) -> Approval | None:
    """On submit (doc locked, already SUBMITTED in memory): start the applicable flow, or None for the
    single approval of old. Steps whose condition fails are left out; approvers are resolved now."""
    flow = applicable_flow(doc)
    if flow is None:
        return None
    version = latest_version(flow)
    facts = conditions.facts_of(doc)
    chosen = [s for s in version.steps if conditions.evaluate(s.get("condition"), facts)]
    if not chosen:
        return None
    requester = by
    now = clock.now()
    resolved = []
    people = _active_people(doc.company_id)
    for spec in chosen:
        users = _resolve(doc.company_id, spec, doc, requester, people)
        if not users:
            raise DomainError(
                "workflow.no_approver",
                _("Step \"%(step)s\" of flow %(flow)s has no approver for this document; ask an administrator "
                  "to fix the flow (or set your superior / the warehouse manager)."),
                http_status=422, step=spec["name"], flow=flow.name,
            )
        required = {Mode.ANY: 1, Mode.ALL: len(users)}.get(spec["mode"], spec.get("n") or 1)
        if required > len(users):
            raise DomainError(
                "workflow.too_few_approvers",
                _("Step \"%(step)s\" needs %(required)s approvals but only %(found)s people may approve."),
                http_status=422, step=spec["name"], required=required, found=len(users),
            )
        resolved.append((spec, users, required))
    approval = Approval.objects.create(company_id=doc.company_id, document=doc, version=version,
                                       requester=requester, started_at=now)
    steps = []
    for position, (spec, users, required) in enumerate(resolved):
        step = ApprovalStep.objects.create(
            company_id=doc.company_id, approval=approval, position=position, name=spec["name"], spec=spec,
            mode=spec["mode"], required=required,
        )
        StepApprover.objects.bulk_create([
            StepApprover(company_id=doc.company_id, step=step, user_id=uid, via=via) for uid, via in users.items()
        ])
        steps.append(step)
    payload = {"document": doc.pk, "number": doc.number, "flow": flow.name, "version": version.number,
               "steps": [s.name for s in steps]}
    record_event(company=doc.company_id, topic="workflow.started", by=by, obj=approval, payload=payload)
    record_audit(company=doc.company_id, action="start", obj=approval, by=by, after=payload)
    _activate(approval, steps[0], doc, now, by=by)
    return approval


def _activate(approval: Approval, step: ApprovalStep, doc: Document, now: dt.datetime, *, by) -> None:
    """Make `step` the current one: due time and timers from the calendar; tell its approvers."""
    step.state = StepState.ACTIVE
    step.started_at = now
    approval.current = step.position
    approval.save(update_fields=["current"])
    timers = _schedule(step, doc, now, level=1)
    step.sla_due_at = step.due_at
    step.save(update_fields=["state", "started_at", "due_at", "sla_due_at"])
    Timer.objects.bulk_create(timers)
    holders = holders_of(step, now)
    _notify(doc, holders, "workflow.waiting", by=by, data={"step": step.name, "due_at": _iso(step.due_at)})


def _schedule(step: ApprovalStep, doc: Document, now: dt.datetime, *, level: int) -> list[Timer]:
    """The step's time limit from `now` in working time (sets step.due_at, unsaved) and its timers:
    the reminders before / after it and the escalation (`level`: 1 for the step's start, n + 1 after
    the n-th escalation gave the step a fresh limit)."""
    spec = step.spec
    if not spec.get("time_limit_hours"):
        return []
    cal = calendar_of(doc.company)
    limit = float(Decimal(spec["time_limit_hours"]) * 60)
    step.due_at = add_working_minutes(cal, now, limit)
    timers = [Timer(company_id=doc.company_id, step=step, document=doc, kind=TimerKind.REMINDER, seq=seq,
                    due_at=add_working_minutes(cal, now, limit + offset))
              for seq, offset in enumerate(spec.get("reminders") or [], start=1)]
    esc = spec.get("escalation")
    if esc:
        timers.append(Timer(company_id=doc.company_id, step=step, document=doc, kind=TimerKind.ESCALATION,
                            seq=level, due_at=add_working_minutes(cal, now, limit + esc.get("after_minutes", 0))))
    return timers


def _iso(value):
    return value.isoformat() if value else None


def undecided(step: ApprovalStep) -> list[int]:
    """Approvers of the step who have not decided it yet (from prefetched `approvers` and `decisions`
    when the caller prefetched them, as the inbox does; otherwise two queries)."""
    done = {d.on_behalf_of_id or d.user_id for d in step.decisions.all() if d.user_id is not None}
    rows = sorted(step.approvers.all(), key=lambda r: r.pk)
    return [r.user_id for r in rows if r.user_id not in done]


def delegates_for(company_id: int, user_ids, at: dt.datetime) -> dict[int, list[int]]:
    """Per principal: the delegates acting for them at `at`."""
    out: dict[int, list[int]] = {}
    for principal, delegate in Delegation.objects.filter(
        company_id=company_id, user_id__in=list(user_ids), starts_at__lte=at, ends_at__gt=at, cancelled_at=None,
    ).order_by("pk").values_list("user_id", "delegate_id"):
        out.setdefault(principal, []).append(delegate)
    return out


def holders_of(step: ApprovalStep, at: dt.datetime) -> list[int]:
    """Who holds the step now: its undecided approvers and their delegates."""
    waiting = undecided(step)
    extra = [d for ds in delegates_for(step.company_id, waiting, at).values() for d in ds]
    return list(dict.fromkeys([*waiting, *extra]))


def _principal_for(step: ApprovalStep, user, at: dt.datetime) -> tuple[bool, int | None]:
    """(eligible, on_behalf_of): the user themself, or as the delegate of an undecided approver."""
    waiting = undecided(step)
    if user.pk in waiting:
        return True, None
    for principal, delegates in delegates_for(step.company_id, waiting, at).items():
        if user.pk in delegates:
            return True, principal
    return False, None


def _names(user_ids) -> str:
    users = {u.pk: u for u in User.objects.filter(pk__in=list(user_ids))}
    return "、".join(str(users[i]) for i in user_ids if i in users) or "—"


def _lock(doc: Document | int, company_id: int) -> Document:
    pk = doc.pk if isinstance(doc, Document) else doc
    try:
        return (Document.objects.select_for_update(of=("self",))
                .select_related("company", "warehouse", "to_warehouse", "partner").get(pk=pk, company_id=company_id))
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFound("document", pk) from None


def decide(doc: Document, *, by, approve: bool, comment: str = "", changes=None) -> Document:
    """Record `by`'s decision on the current step of the locked `doc`'s pending approval.

    Approval passes the step when enough approvers agreed (any / all / N of M) and approves the
    document after the last step; a rejection (with a reason) returns it to draft.
    """
    from openjxc.documents.services import _Changes

    approval = pending_approval(doc)
    if approval is None:
        raise DomainError("workflow.no_approval", _("%(number)s is not waiting in an approval flow."),
                          http_status=409, number=doc.number)
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationFailed(field="comment", reason=_("is longer than 500 characters"))
    if not approve and not comment:
        raise ValidationFailed(field="comment", reason=_("is required to reject: tell the requester why"))
    # roles may have changed since the step started: who may decide is who holds them now
    current = approval.steps.only("pk").get(position=approval.current)
    resync_approvers(doc.company_id, step_ids=[current.pk])
    step = approval.steps.get(pk=current.pk)
    now = clock.now()
    eligible, behalf = _principal_for(step, by, now)
    if not eligible:
        already = Decision.objects.filter(step=step, user=by).exists()
        if already:
            raise Conflict("workflow.already_decided", _("You have already decided step \"%(step)s\" of %(number)s."),
                           step=step.name, number=doc.number)
        raise NotApprover(step=step.name, number=doc.number, approvers=_names(holders_of(step, now)))
    own = changes is None
    changes = changes or _Changes(doc)
    kind = Decision.Kind.APPROVE if approve else Decision.Kind.REJECT
    _record_decision(approval, step, doc, by=by, behalf=behalf, kind=kind, comment=comment, now=now)
    if approve:
        if _approvals_on(step) >= step.required:
            _pass_step(approval, step, doc, by=by, now=now, changes=changes)
    else:
        _reject(approval, step, doc, by=by, reason=comment, now=now, changes=changes)
    return changes.flush() if own else doc


def _approvals_on(step: ApprovalStep) -> int:
    rows = Decision.objects.filter(step=step, decision__in=[Decision.Kind.APPROVE]).values_list(
        "user_id", "on_behalf_of_id")
    return len({behalf or user for user, behalf in rows})


def _record_decision(approval, step, doc, *, by, behalf, kind, comment, now) -> Decision:
    d = Decision.objects.create(company_id=doc.company_id, approval=approval, step=step, user=by,
                                on_behalf_of_id=behalf, decision=kind, comment=comment[:500], at=now)
    payload = {"document": doc.pk, "number": doc.number, "step": step.name if step else None,
               "decision": kind, "user": by.pk if by else None, "on_behalf_of": behalf, "comment": comment[:500]}
    record_event(company=doc.company_id, topic="workflow.decided", by=by, obj=approval, payload=payload)
    record_audit(company=doc.company_id, action=f"decide.{kind}", obj=approval, by=by, after=payload)
    return d


def _cancel_timers(step: ApprovalStep) -> None:
    Timer.objects.filter(step=step, state=TimerState.PENDING).update(state=TimerState.CANCELLED)


def _pass_step(approval, step, doc, *, by, now, changes) -> None:
    from openjxc.documents.services import transition

    step.state, step.finished_at = StepState.APPROVED, now
    step.save(update_fields=["state", "finished_at"])
    _cancel_timers(step)
    following = approval.steps.filter(position__gt=step.position).order_by("position").first()
    if following is not None:
        _activate(approval, following, doc, now, by=by)
        return
    approval.state, approval.finished_at = ApprovalState.APPROVED, now
    approval.save(update_fields=["state", "finished_at"])
    transition(doc, "approve", by=by, changes=changes, step=step.position)
    record_event(company=doc.company_id, topic="workflow.approved", by=by, obj=approval,
                 payload={"document": doc.pk, "number": doc.number})
    _notify(doc, [approval.requester_id], "workflow.approved", by=by)


def _reject(approval, step, doc, *, by, reason, now, changes) -> None:
    from openjxc.documents.services import transition

    step.state, step.finished_at = StepState.REJECTED, now
    step.save(update_fields=["state", "finished_at"])
    _cancel_timers(step)
    approval.steps.filter(state=StepState.WAITING).update(state=StepState.CANCELLED)
    approval.state, approval.finished_at, approval.reason = ApprovalState.REJECTED, now, reason[:500]
    approval.save(update_fields=["state", "finished_at", "reason"])
    transition(doc, "reject", by=by, reason=reason, changes=changes, step=step.position)
    _notify(doc, [approval.requester_id], "workflow.rejected", by=by, data={"reason": reason})


def withdraw(doc: Document, *, by, reason: str = "", changes=None) -> Document:
    """The requester takes a submitted document back to draft (the locked `doc`); its approval ends."""
    from openjxc.documents.services import _Changes, transition

    approval = pending_approval(doc)
    requester = approval.requester_id if approval else doc.created_by_id
    if by.pk != requester:
        raise PermissionDenied(action=_("withdraw a document someone else submitted"))
    reason = (reason or "").strip()[:500]
    own = changes is None
    changes = changes or _Changes(doc)
    now = clock.now()
    if approval is not None:
        current = approval.steps.filter(state=StepState.ACTIVE).first()
        for step in approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]):
            _cancel_timers(step)
        approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]).update(
            state=StepState.CANCELLED, finished_at=now)
        approval.state, approval.finished_at, approval.reason = ApprovalState.WITHDRAWN, now, reason
        approval.save(update_fields=["state", "finished_at", "reason"])
        _record_decision(approval, current, doc, by=by, behalf=None, kind=Decision.Kind.WITHDRAW, comment=reason,
                         now=now)
        if current is not None:
            _notify(doc, undecided(current), "workflow.withdrawn", by=by, data={"reason": reason})
    transition(doc, "withdraw", by=by, reason=reason, changes=changes)
    return changes.flush() if own else doc


def end_approval(doc: Document, *, by, reason: str = "") -> None:
    """The locked document is cancelled while in approval: the approval ends, its timers with it."""
    approval = pending_approval(doc)
    if approval is None:
        return
    now = clock.now()
    for step in approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]):
        _cancel_timers(step)
    approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]).update(
        state=StepState.CANCELLED, finished_at=now)
    approval.state, approval.finished_at, approval.reason = ApprovalState.CANCELLED, now, (reason or "")[:500]
    approval.save(update_fields=["state", "finished_at", "reason"])
    record_event(company=doc.company_id, topic="workflow.cancelled", by=by, obj=approval,
                 payload={"document": doc.pk, "number": doc.number, "reason": (reason or "")[:500]})


@transaction.atomic
def act(doc: Document | int, *, by, action: str, comment: str = "") -> Document:
    """approve / reject / withdraw a document through the documents services (the API's one entry)."""
    from openjxc.documents import services as docs

    if action == "approve":
        return docs.approve_document(doc, by=by, comment=comment)
    if action == "reject":
        return docs.reject_document(doc, by=by, reason=comment)
    if action == "withdraw":
        return docs.withdraw_document(doc, by=by, reason=comment)
    raise ValidationFailed(field="action", reason=_("must be approve, reject or withdraw"))


# ---------------------------------------------------------------- timers


def fire_due_timers(*, limit: int = 500) -> list[dict]:
    """Fire every pending timer that is due; each in its own transaction, claimed by a conditional UPDATE
    so that several workers (and app servers) scanning at once fire each timer exactly once."""
    now = clock.now()
    due = list(Timer.objects.filter(state=TimerState.PENDING, due_at__lte=now).order_by("due_at", "pk")
               .values_list("pk", "document_id")[:limit])
    fired = []
    skip_locked = connection.features.has_select_for_update_skip_locked
    for timer_id, doc_id in due:
        with transaction.atomic():
            # lock order as in the decisions: the document first, then the timer (no deadlock with an approver)
            qs = Document.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            doc = qs.select_related("company", "warehouse", "partner").filter(pk=doc_id).first()
            if doc is None:
                continue  # another worker holds the document: the timer stays pending for the next scan
            claimed = Timer.objects.filter(pk=timer_id, state=TimerState.PENDING).update(
                state=TimerState.FIRED, fired_at=now)
            if not claimed:
                continue  # fired (or cancelled) by someone else
            timer = Timer.objects.select_related("step__approval").get(pk=timer_id)
            late = int((now - timer.due_at).total_seconds())
            timer.late_seconds = max(late, 0)
            timer.outcome = _fire(timer, doc, now)[:200]
            timer.save(update_fields=["late_seconds", "outcome"])
            fired.append({"timer": timer.pk, "kind": timer.kind, "seq": timer.seq, "document": doc.number,
                          "late_seconds": timer.late_seconds, "outcome": timer.outcome})
    return fired


def _fire(timer: Timer, doc: Document, now: dt.datetime) -> str:
    step = timer.step
    approval = step.approval
    if step.state != StepState.ACTIVE or approval.state != ApprovalState.PENDING:
        return "skipped: step no longer active"
    late = max(int((now - timer.due_at).total_seconds()), 0)
    is_late = late > LATE_GRACE_SECONDS
    if timer.kind == TimerKind.REMINDER:
        holders = holders_of(step, now)
        total = len(step.spec.get("reminders") or [])
        _notify(doc, holders, "workflow.reminder", by=None, data={
            "step": step.name, "seq": timer.seq, "total": total, "due_at": _iso(step.due_at), "late_seconds": late,
            "late": is_late})
        record_event(company=doc.company_id, topic="workflow.reminded", obj=approval,
                     payload={"document": doc.pk, "number": doc.number, "step": step.name, "seq": timer.seq,
                              "recipients": holders, "late_seconds": late})
        return f"reminded {len(holders)}" + (f", {late // 60} min late" if is_late else "")
    return _escalate(approval, step, doc, now, late=late, level=timer.seq)


def _escalate(approval: Approval, step: ApprovalStep, doc: Document, now: dt.datetime, *, late: int,
              level: int = 1) -> str:
    """The step ran out of time (the `level`-th time): approve / reject automatically (final), or add the
    next people up the chain as approvers with a fresh time limit; at the top, tell the administrators."""
    from openjxc.documents.services import _Changes

    rule = (step.spec.get("escalation") or {}).get("rule")
    step.escalated_at = now
    step.save(update_fields=["escalated_at"])
    payload = {"document": doc.pk, "number": doc.number, "step": step.name, "rule": rule, "late_seconds": late}
    if rule in ("auto_approve", "auto_reject"):
        changes = _Changes(doc)
        comment = gettext("Step \"%(step)s\" ran out of time") % {"step": step.name}
        if rule == "auto_approve":
            _record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.AUTO_APPROVE,
                             comment=comment, now=now)
            _pass_step(approval, step, doc, by=None, now=now, changes=changes)
        else:
            _record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.AUTO_REJECT,
                             comment=comment, now=now)
            _reject(approval, step, doc, by=None, reason=comment, now=now, changes=changes)
        changes.flush()
        record_event(company=doc.company_id, topic="workflow.escalated", obj=approval, payload=payload)
        return rule
    waiting = undecided(step)
    approvers = set(step.approvers.values_list("user_id", flat=True))
    if rule == "deputy" and level == 1:
        candidates = [step.spec["escalation"]["deputy"]]
    else:
        # up the chain: the superiors of everyone still undecided (at the second overrun of a deputy
        # rule, the deputy's superior too); never someone who is already an approver of the step
        candidates = list(User.objects.filter(pk__in=waiting).values_list("superior_id", flat=True)
                          .order_by("superior_id").distinct())
    active = set(User.objects.filter(pk__in=[c for c in candidates if c], company_id=doc.company_id,
                                     is_active=True).values_list("pk", flat=True))
    added = list(dict.fromkeys(u for u in candidates if u in active and u not in approvers))
    payload["level"] = level
    payload["to"] = added
    if not added or level >= MAX_ESCALATIONS:
        # the top of the chain: nobody left to escalate to; the administrators are told, no new timer
        admins = [u.pk for u in User.objects.filter(company_id=doc.company_id, is_active=True).order_by("pk")
                  if Role.ADMIN in (u.roles or [])]
        _record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.ESCALATE,
                         comment=gettext("nobody left to escalate to; the administrators were told"), now=now)
        payload.update(to=[], exhausted=True, told=admins)
        record_event(company=doc.company_id, topic="workflow.escalated", obj=approval, payload=payload)
        _notify(doc, admins, "workflow.escalation_exhausted", by=None, data={
            "step": step.name, "level": level, "late_seconds": late, "late": late > LATE_GRACE_SECONDS})
        return f"nobody to escalate to, told {len(admins)} admin(s)"
    StepApprover.objects.bulk_create([StepApprover(company_id=doc.company_id, step=step, user_id=u,
                                                   via="escalation") for u in added], ignore_conflicts=True)
    # whoever it was escalated to decides now: one more approval completes the step
    step.required = min(step.required, _approvals_on(step) + 1)
    # a fresh time limit (same working-hours rule) with its reminders, and the next escalation
    timers = _schedule(step, doc, now, level=level + 1)
    step.save(update_fields=["required", "due_at"])
    Timer.objects.bulk_create(timers)
    _record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.ESCALATE,
                     comment=gettext("escalated to %(who)s") % {"who": _names(added)}, now=now)
    record_event(company=doc.company_id, topic="workflow.escalated", obj=approval, payload=payload)
    _notify(doc, added + [approval.requester_id], "workflow.escalated", by=None, data={
        "step": step.name, "due_at": _iso(step.due_at), "late_seconds": late, "late": late > LATE_GRACE_SECONDS,
        "level": level})
    return f"escalated to {added}"


def _notify(doc: Document, recipients, topic: str, *, data=None, by=None) -> None:
    """Tell `recipients` (user ids) about `doc`: the text is rendered from the topic and data in each reader's
    language (workflow/messages.py)."""
    from openjxc.alerts.notify import notify

    users = list(User.objects.filter(pk__in=[r for r in recipients if r], is_active=True))
    if not users:
        return
    notify(company=doc.company, recipients=users, topic=topic, link=f"/documents/{doc.pk}/",
           data={"document": doc.pk, "number": doc.number, **(data or {})}, by=by)


# ---------------------------------------------------------------- delegation


@transaction.atomic
def create_delegation(*, by, delegate, starts_at: dt.datetime, ends_at: dt.datetime, note: str = "",
                      user=None) -> Delegation:
    """Out of office from–to: `delegate` may decide `user`'s (default: by's) approvals meanwhile."""
    company_id = _company_id(by)
    principal = by if user is None else _user(company_id, user, "user")
    if principal.pk != by.pk:
        require_manage(by)
    deputy = _user(company_id, delegate, "delegate")
    if deputy.pk == principal.pk:
        raise ValidationFailed(field="delegate", reason=_("must be someone else"))
    if starts_at is None or ends_at is None:
        raise ValidationFailed(field="starts_at", reason=_("and ends_at are required"))
    # a time without a zone is read in the company's time zone (business time)
    tz = zoneinfo.ZoneInfo(by.company.time_zone or "Asia/Shanghai")
    starts_at, ends_at = (t if t.tzinfo else t.replace(tzinfo=tz) for t in (starts_at, ends_at))
    if ends_at <= starts_at:
        raise ValidationFailed(field="ends_at", reason=_("must be after the start"))
    if Delegation.objects.filter(company_id=company_id, user=principal, cancelled_at=None, starts_at__lt=ends_at,
                                 ends_at__gt=starts_at).exists():
        raise Conflict("workflow.delegation_overlap",
                       _("%(user)s already has a delegation in that period; cancel it first."), user=str(principal))
    now = clock.now()
    d = Delegation.objects.create(company_id=company_id, user=principal, delegate=deputy, starts_at=starts_at,
                                  ends_at=ends_at, note=(note or "")[:200], created_at=now)
    payload = {"user": principal.pk, "delegate": deputy.pk, "starts_at": starts_at.isoformat(),
               "ends_at": ends_at.isoformat()}
    record_event(company=company_id, topic="workflow.delegation_created", by=by, obj=d, payload=payload)
    record_audit(company=company_id, action="create", obj=d, by=by, after=payload)
    return d


@transaction.atomic
def cancel_delegation(delegation: Delegation | int, *, by) -> Delegation:
    """End a delegation now (its owner or a manager)."""
    company_id = _company_id(by)
    pk = delegation.pk if isinstance(delegation, Delegation) else delegation
    d = Delegation.objects.select_for_update().filter(company_id=company_id, pk=pk).first()
    if d is None:
        raise NotFound("delegation", pk)
    if d.user_id != by.pk:
        require_manage(by)
    if d.cancelled_at is None:
        d.cancelled_at = clock.now()
        d.save(update_fields=["cancelled_at"])
        record_event(company=company_id, topic="workflow.delegation_cancelled", by=by, obj=d, payload={"id": d.pk})
        record_audit(company=company_id, action="cancel", obj=d, by=by, after={"cancelled_at": str(d.cancelled_at)})
    return d


def _user(company_id: int, ref, field: str) -> User:
    pk = ref.pk if isinstance(ref, User) else ref
    u = User.objects.filter(company_id=company_id, pk=pk, is_active=True).first() if isinstance(pk, int) else None
    if u is None:
        raise ValidationFailed(field=field, reason=_("is not an active user of this company"))
    return u


# ---------------------------------------------------------------- calendar


@transaction.atomic
def set_calendar(*, by, hours: dict | None = None, holidays: list[dict] | None = None) -> WorkCalendar:
    """Set the company's working hours and/or replace its holidays ({day, name, is_workday})."""
    require_manage(by)
    company_id = _company_id(by)
    now = clock.now()
    cal, _created = WorkCalendar.objects.select_for_update().get_or_create(
        company_id=company_id, defaults={"hours": {}, "updated_at": now})
    before = {"hours": cal.hours}
    if hours is not None:
        cal.hours = check_hours(hours)
    cal.updated_at = now
    cal.save()
    if holidays is not None:
        rows, seen = [], set()
        for n, h in enumerate(holidays):
            try:
                day = h["day"] if isinstance(h["day"], dt.date) else dt.date.fromisoformat(str(h["day"]))
            except (KeyError, TypeError, ValueError):
                raise ValidationFailed(field=f"holidays[{n}].day", reason=_("must be a date YYYY-MM-DD")) from None
            if day in seen:
                raise ValidationFailed(field=f"holidays[{n}].day", reason=_("is listed twice"))
            seen.add(day)
            rows.append(Holiday(company_id=company_id, day=day, name=str(h.get("name") or "")[:100],
                                is_workday=bool(h.get("is_workday"))))
        Holiday.objects.filter(company_id=company_id).delete()
        Holiday.objects.bulk_create(rows)
    after = {"hours": cal.hours, "holidays": len(holidays) if holidays is not None else None}
    record_event(company=company_id, topic="workflow.calendar_updated", by=by, obj=cal, payload=after)
    record_audit(company=company_id, action="update", obj=cal, by=by, before=before, after=after)
    return cal


__all__ = [
    "Status", "act", "applicable_flow", "cancel_delegation", "check_steps", "create_delegation", "create_flow",
    "decide", "fire_due_timers", "pending_approval", "resync_approvers", "set_calendar", "start_approval",
    "update_flow", "withdraw",
]
