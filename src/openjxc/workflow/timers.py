"""Timers of approval steps: reminders before or after a step's time limit, and escalation when it runs out.

Timers are rows; `fire_due_timers` (the worker's periodic task) fires each due one exactly once, even with
several workers and app servers scanning at once.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils.translation import gettext

from openjxc.core import clock
from openjxc.core.events import record_event
from openjxc.core.models import Role, User
from openjxc.documents.lifecycle import Changes
from openjxc.documents.models import Document
from openjxc.workflow.approvers import excluded
from openjxc.workflow.engine import (
    approvals_on,
    earlier_deciders,
    holders_of,
    iso,
    names_of,
    notify_people,
    pass_step,
    record_decision,
    reject_step,
    schedule,
    undecided,
)
from openjxc.workflow.models import (
    Approval,
    ApprovalState,
    ApprovalStep,
    Decision,
    StepApprover,
    StepState,
    Timer,
    TimerKind,
    TimerState,
)

MAX_ESCALATIONS = 10  # a chain longer than this stops and tells the administrators
LATE_GRACE_SECONDS = 120  # the scan runs every minute: later than this, the worker was not running


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
        notify_people(doc, holders, "workflow.reminder", by=None, data={
            "step": step.name, "seq": timer.seq, "total": total, "due_at": iso(step.due_at), "late_seconds": late,
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
    rule = (step.spec.get("escalation") or {}).get("rule")
    step.escalated_at = now
    step.save(update_fields=["escalated_at"])
    payload = {"document": doc.pk, "number": doc.number, "step": step.name, "rule": rule, "late_seconds": late}
    if rule in ("auto_approve", "auto_reject"):
        changes = Changes(doc)
        comment = gettext("Step \"%(step)s\" ran out of time") % {"step": step.name}
        if rule == "auto_approve":
            record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.AUTO_APPROVE,
                             comment=comment, now=now)
            pass_step(approval, step, doc, by=None, now=now, changes=changes)
        else:
            record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.AUTO_REJECT,
                             comment=comment, now=now)
            reject_step(approval, step, doc, by=None, reason=comment, now=now, changes=changes)
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
    # separation of duties (workflow/approvers.py): never up to the requester or an earlier step's decider;
    # the chain skips them to their own superior
    barred = excluded(approval.version.flow, approval.requester_id, earlier_deciders([step])[step.pk])
    if barred & set(candidates):
        above = dict(User.objects.filter(pk__in=barred & set(candidates)).values_list("pk", "superior_id"))
        candidates = [above.get(c) if c in barred else c for c in candidates]
    active = set(User.objects.filter(pk__in=[c for c in candidates if c], company_id=doc.company_id,
                                     is_active=True).values_list("pk", flat=True))
    added = list(dict.fromkeys(u for u in candidates if u in active and u not in approvers and u not in barred))
    payload["level"] = level
    payload["to"] = added
    if not added or level >= MAX_ESCALATIONS:
        # the top of the chain: nobody left to escalate to; the administrators are told, no new timer
        admins = [u.pk for u in User.objects.filter(company_id=doc.company_id, is_active=True).order_by("pk")
                  if Role.ADMIN in (u.roles or [])]
        record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.ESCALATE,
                         comment=gettext("nobody left to escalate to; the administrators were told"), now=now)
        payload.update(to=[], exhausted=True, told=admins)
        record_event(company=doc.company_id, topic="workflow.escalated", obj=approval, payload=payload)
        notify_people(doc, admins, "workflow.escalation_exhausted", by=None, data={
            "step": step.name, "level": level, "late_seconds": late, "late": late > LATE_GRACE_SECONDS})
        return f"nobody to escalate to, told {len(admins)} admin(s)"
    StepApprover.objects.bulk_create([StepApprover(company_id=doc.company_id, step=step, user_id=u,
                                                   via="escalation") for u in added], ignore_conflicts=True)
    # whoever it was escalated to decides now: one more approval completes the step
    step.required = min(step.required, approvals_on(step) + 1)
    # a fresh time limit (same working-hours rule) with its reminders, and the next escalation
    timers = schedule(step, doc, now, level=level + 1)
    step.save(update_fields=["required", "due_at"])
    Timer.objects.bulk_create(timers)
    record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.ESCALATE,
                     comment=gettext("escalated to %(who)s") % {"who": names_of(added)}, now=now)
    record_event(company=doc.company_id, topic="workflow.escalated", obj=approval, payload=payload)
    notify_people(doc, added + [approval.requester_id], "workflow.escalated", by=None, data={
        "step": step.name, "due_at": iso(step.due_at), "late_seconds": late, "late": late > LATE_GRACE_SECONDS,
        "level": level})
    return f"escalated to {added}"

