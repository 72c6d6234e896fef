"""Reads for the 待办 inbox, the approval timeline of a document, and the flow list. Never writes."""

from __future__ import annotations

from django.db.models import Prefetch

from openjxc.core import clock
from openjxc.core.models import User
from openjxc.documents.models import Document
from openjxc.workflow.calendar import calendar_of, working_minutes_between
from openjxc.workflow.engine import delegates_for, holders_of, pending_approval, undecided
from openjxc.workflow.models import (
    Approval,
    ApprovalState,
    ApprovalStep,
    Decision,
    Delegation,
    Flow,
    StepApprover,
    StepState,
)

# to-dos of apps above workflow shown in the inbox (alerts registers "alerts": a user's open alerts)
_todos: dict = {}


def register_todo(name: str, rows_for) -> None:
    """Show `rows_for(user)` (a queryset) in the inbox's tab `name`."""
    _todos[name] = rows_for


def todo(user, name: str):
    """The user's rows of the registered to-do `name`, or None when no app registered it."""
    rows_for = _todos.get(name)
    return rows_for(user) if rows_for is not None else None


def _doc(doc: Document) -> dict:
    return {"id": doc.pk, "number": doc.number, "kind": doc.kind, "status": doc.status,
            "warehouse": str(doc.warehouse) if doc.warehouse_id else None,
            "partner": str(doc.partner) if doc.partner_id else None, "amount": str(doc.amount),
            "created_by": str(doc.created_by)}


def _user_names(ids) -> list[dict]:
    users = {u.pk: u for u in User.objects.filter(pk__in=list(ids))}
    return [{"id": i, "name": str(users[i])} for i in ids if i in users]


def _with_deciders(qs):
    """Steps with their approvers and decisions read in two queries whatever their number (for undecided())."""
    return qs.prefetch_related(Prefetch("approvers", queryset=StepApprover.objects.order_by("pk")),
                               Prefetch("decisions", queryset=Decision.objects.order_by("pk")))


def waiting_for(user, *, limit: int = 200) -> list[dict]:
    """Steps waiting for `user`'s decision, as an approver or as the delegate of one (on_behalf_of).

    A constant number of queries however many documents wait (the inbox and its menu badge)."""
    now = clock.now()
    delegations = list(Delegation.objects.filter(company_id=user.company_id, delegate=user, starts_at__lte=now,
                                                 ends_at__gt=now, cancelled_at=None).values_list("user_id", flat=True))
    people = [user.pk, *delegations]
    steps = _with_deciders(
        ApprovalStep.objects.filter(company_id=user.company_id, state=StepState.ACTIVE,
                                    approvers__user_id__in=people)
        .select_related("approval__document__warehouse", "approval__document__partner",
                        "approval__document__created_by", "approval__requester")
        .distinct().order_by("due_at", "started_at", "pk")[:limit])
    found = []
    for step in steps:
        waiting = undecided(step)
        if user.pk in waiting:
            principals = []
        else:
            principals = [p for p in delegations if p in waiting]
            if not principals:
                continue  # already decided (or the principal has)
        found.append((step, principals))
    names = _names_by_id({p for _s, principals in found for p in principals})
    out = []
    for step, principals in found:
        doc = step.approval.document
        out.append({"document": _doc(doc), "step": step.name, "position": step.position, "mode": step.mode,
                    "started_at": step.started_at, "due_at": step.due_at,
                    "overdue": bool(step.due_at and step.due_at < now), "requester": str(step.approval.requester),
                    "on_behalf_of": [{"id": p, "name": names[p]} for p in principals if p in names]})
    return out


def _names_by_id(ids) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=list(ids))} if ids else {}


def submitted_by(user, *, limit: int = 100) -> list[dict]:
    """Approvals `user` started, newest first, with where each one is now (constant queries)."""
    now = clock.now()
    active = _with_deciders(ApprovalStep.objects.filter(state=StepState.ACTIVE).order_by("position"))
    rows = list(Approval.objects.filter(company_id=user.company_id, requester=user)
                .select_related("document__warehouse", "document__partner", "document__created_by")
                .prefetch_related(Prefetch("steps", queryset=active, to_attr="active_steps"))
                .order_by("-started_at", "-pk")[:limit])
    waiting = {}
    for a in rows:
        current = a.active_steps[0] if a.state == ApprovalState.PENDING and a.active_steps else None
        waiting[a.pk] = (current, undecided(current) if current else [])
    everyone = {u for _c, w in waiting.values() for u in w}
    delegates = delegates_for(user.company_id, everyone, now) if everyone else {}
    holders = {pk: list(dict.fromkeys([*w, *(d for p in w for d in delegates.get(p, []))]))
               for pk, (_c, w) in waiting.items()}
    names = _names_by_id({u for h in holders.values() for u in h})
    out = []
    for a in rows:
        current = waiting[a.pk][0]
        out.append({"document": _doc(a.document), "state": a.state, "started_at": a.started_at,
                    "finished_at": a.finished_at, "reason": a.reason,
                    "current_step": current.name if current else None,
                    "held_by": [{"id": u, "name": names[u]} for u in holders[a.pk] if u in names],
                    "due_at": current.due_at if current else None})
    return out


def decided_by(user, *, limit: int = 100) -> list[dict]:
    """Decisions `user` made (also as a delegate), newest first."""
    rows = (Decision.objects.filter(company_id=user.company_id, user=user,
                                    decision__in=[Decision.Kind.APPROVE, Decision.Kind.REJECT])
            .select_related("approval__document__warehouse", "approval__document__partner",
                            "approval__document__created_by", "step", "on_behalf_of")
            .order_by("-at", "-pk")[:limit])
    return [{"document": _doc(d.approval.document), "step": d.step.name if d.step else None,
             "decision": d.decision, "comment": d.comment, "at": d.at,
             "on_behalf_of": str(d.on_behalf_of) if d.on_behalf_of_id else None} for d in rows]


def timeline(doc: Document) -> dict:
    """Every approval of the document, its steps (who, when, how long, who holds it now) and decisions."""
    now = clock.now()
    cal = calendar_of(doc.company)
    approvals = []
    for a in Approval.objects.filter(document=doc).select_related("version__flow", "requester").order_by("pk"):
        steps = []
        for s in a.steps.prefetch_related("approvers__user").order_by("position"):
            end = s.finished_at or (now if s.state == StepState.ACTIVE else None)
            took = (end - s.started_at).total_seconds() if (end and s.started_at) else None
            steps.append({
                "position": s.position, "name": s.name, "mode": s.mode, "required": s.required, "state": s.state,
                "started_at": s.started_at, "due_at": s.due_at, "finished_at": s.finished_at,
                "escalated_at": s.escalated_at, "seconds": took,
                "working_minutes": working_minutes_between(cal, s.started_at, end) if took is not None else None,
                # past the step's first time limit (an escalation's fresh limit does not excuse it)
                "overdue": bool((s.sla_due_at or s.due_at) and (s.finished_at or now) > (s.sla_due_at or s.due_at)),
                "approvers": [{"id": sa.user_id, "name": str(sa.user), "via": sa.via} for sa in s.approvers.all()],
                "held_by": _user_names(holders_of(s, now)) if s.state == StepState.ACTIVE else [],
                "decisions": [
                    {"decision": d.decision, "user": str(d.user) if d.user_id else None,
                     "on_behalf_of": str(d.on_behalf_of) if d.on_behalf_of_id else None, "comment": d.comment,
                     "at": d.at}
                    for d in s.decisions.select_related("user", "on_behalf_of").order_by("at", "pk")
                ],
            })
        approvals.append({"id": a.pk, "flow": a.version.flow.name, "version": a.version.number, "state": a.state,
                          "requester": str(a.requester), "started_at": a.started_at, "finished_at": a.finished_at,
                          "reason": a.reason, "steps": steps})
    return {"document": _doc(doc), "approvals": approvals}


def flows(company_id: int):
    return Flow.objects.filter(company_id=company_id).prefetch_related("warehouses", "versions").order_by("kind", "name")


def approvers_of(step: ApprovalStep) -> list[int]:
    return list(StepApprover.objects.filter(step=step).values_list("user_id", flat=True))


def is_waiting_for(user, doc: Document) -> bool:
    """True when `user` may decide the document's current step now (themself or as a delegate)."""
    a = Approval.objects.filter(document=doc, state=ApprovalState.PENDING).first()
    if a is None:
        return False
    step = a.steps.filter(state=StepState.ACTIVE).first()
    if step is None:
        return False
    waiting = undecided(step)
    if user.pk in waiting:
        return True
    return any(user.pk in ds for ds in delegates_for(doc.company_id, waiting, clock.now()).values())


__all__ = ["decided_by", "flows", "is_waiting_for", "submitted_by", "timeline", "waiting_for"]


def flow_decides(user, doc) -> bool | None:
    """In a running approval flow, whether `user` is among the current step's approvers (who approve or reject
    it whatever their role); None when no flow runs the document (documents' lifecycle buttons ask this)."""
    return is_waiting_for(user, doc) if pending_approval(doc) is not None else None
