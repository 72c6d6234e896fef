"""The approval engine: starting a flow on submit, who may decide a step (roles as they are now, delegates),
deciding it (any / all / N of M), passing to the next step or approving, rejecting, withdrawing, ending.

It is the documents' approval gate (workflow/gate.py): the document services call it through
documents/hooks.py, and it moves the document only through documents/lifecycle.transition, in the
document's transaction and batched with the document's own changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, notices, permissions
from openjxc.core.errors import Conflict, DomainError, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User
from openjxc.documents.lifecycle import Changes, transition
from openjxc.documents.models import Document
from openjxc.documents.posting import post_locked
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.workflow import conditions
from openjxc.workflow.approvers import Resolved, active_people, resolve, separate
from openjxc.workflow.calendar import add_working_minutes, calendar_of
from openjxc.workflow.flows import applicable_flow, latest_version
from openjxc.workflow.models import (
    Approval,
    ApprovalState,
    ApprovalStep,
    Decision,
    Delegation,
    Mode,
    StepApprover,
    StepState,
    Timer,
    TimerKind,
    TimerState,
)


class NotApprover(DomainError):
    code = "workflow.not_approver"
    http_status = 403
    message = _("You may not decide step \"%(step)s\" of %(number)s. It waits for: %(approvers)s.")



class NoApprover(DomainError):
    code = "workflow.no_approver"
    http_status = 422
    message = _("Step \"%(step)s\" of flow %(flow)s has no approver for this document; ask an administrator "
                "to fix the flow (or set your superior / the warehouse manager).")


class NoOtherApprover(DomainError):
    code = "workflow.no_other_approver"
    http_status = 422
    message = _("Step \"%(step)s\" of flow %(flow)s has nobody left to decide it: its approvers submitted the "
                "document or decided an earlier step, and there is no superior or deputy to stand in. Set a "
                "superior, or ask an administrator to change the flow.")


class OwnDocument(DomainError):
    code = "workflow.own_document"
    http_status = 403
    message = _("You submitted %(number)s: you may not approve or reject it yourself.")


# what the system writes on the timeline when someone stands in (workflow/messages.py re-translates it)
SUBSTITUTED_OWN = gettext_noop("%(left_out)s submitted the document and may not approve it: %(who)s decides this step instead.")
SUBSTITUTED_EARLIER = gettext_noop("%(left_out)s decided an earlier step: %(who)s decides this step instead.")


def pending_approval(doc: Document | int) -> Approval | None:
    pk = doc.pk if isinstance(doc, Document) else doc
    return (Approval.objects.filter(document_id=pk, state=ApprovalState.PENDING)
            .select_related("version__flow").first())


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
    steps = list(qs.select_related("approval__requester", "approval__document__warehouse",
                                   "approval__version__flow"))
    if not steps:
        return 0
    people = active_people(company_id)
    earlier = earlier_deciders(steps)
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
        a = step.approval
        desired = separate(resolve(company_id, step.spec, a.document, a.requester, people), step.spec,
                           flow=a.version.flow, requester=a.requester, earlier_deciders=earlier.get(step.pk, set()),
                           people=people).users
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


def earlier_deciders(steps) -> dict[int, set[int]]:
    """Per step: who approved or rejected an earlier step of its approval (themself or on whose behalf)."""
    out: dict[int, set[int]] = {step.pk: set() for step in steps}
    rows = (Decision.objects.filter(approval_id__in={s.approval_id for s in steps},
                                    decision__in=[Decision.Kind.APPROVE, Decision.Kind.REJECT])
            .exclude(user=None).values_list("approval_id", "step__position", "user_id", "on_behalf_of_id"))
    for approval_id, position, user_id, behalf in rows:
        for step in steps:
            if step.approval_id == approval_id and position is not None and position < step.position:
                out[step.pk] |= {user_id, behalf} - {None}
    return out


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
    people = active_people(doc.company_id)
    for spec in chosen:
        found = resolve(doc.company_id, spec, doc, requester, people)
        separated = separate(found, spec, flow=flow, requester=requester, earlier_deciders=set(), people=people)
        users = separated.users
        if not users:
            raise NoApprover(step=spec["name"], flow=flow.name) if not found else NoOtherApprover(
                step=spec["name"], flow=flow.name)
        required = {Mode.ANY: 1, Mode.ALL: len(users)}.get(spec["mode"], spec.get("n") or 1)
        if required > len(users):
            raise DomainError(
                "workflow.too_few_approvers",
                _("Step \"%(step)s\" needs %(required)s approvals but only %(found)s people may approve."),
                http_status=422, step=spec["name"], required=required, found=len(users),
            )
        resolved.append((spec, users, required, separated))
    approval = Approval.objects.create(company_id=doc.company_id, document=doc, version=version,
                                       requester=requester, started_at=now)
    steps = []
    substituted = []
    for position, (spec, users, required, separated) in enumerate(resolved):
        step = ApprovalStep.objects.create(
            company_id=doc.company_id, approval=approval, position=position, name=spec["name"], spec=spec,
            mode=spec["mode"], required=required,
        )
        StepApprover.objects.bulk_create([
            StepApprover(company_id=doc.company_id, step=step, user_id=uid, via=via) for uid, via in users.items()
        ])
        steps.append(step)
        if separated.substitutes:
            substituted.append((step, separated))
    payload = {"document": doc.pk, "number": doc.number, "flow": flow.name, "version": version.number,
               "steps": [s.name for s in steps]}
    record_event(company=doc.company_id, topic="workflow.started", by=by, obj=approval, payload=payload)
    record_audit(company=doc.company_id, action="start", obj=approval, by=by, after=payload)
    for step, separated in substituted:
        note_substitution(approval, step, doc, separated, now=now)
    _activate(approval, steps[0], doc, now, by=by)
    return approval


def note_substitution(approval: Approval, step: ApprovalStep, doc: Document, separated: Resolved, *,
                      now: dt.datetime) -> None:
    """Say on the timeline who stands in for whom, and why (a system decision of kind "reassign")."""
    own = approval.requester_id in separated.left_out
    template = SUBSTITUTED_OWN if own else SUBSTITUTED_EARLIER
    comment = gettext(template) % {"left_out": names_of(separated.left_out), "who": names_of(separated.substitutes)}
    record_decision(approval, step, doc, by=None, behalf=None, kind=Decision.Kind.REASSIGN, comment=comment, now=now)


def _activate(approval: Approval, step: ApprovalStep, doc: Document, now: dt.datetime, *, by) -> None:
    """Make `step` the current one: due time and timers from the calendar; tell its approvers."""
    step.state = StepState.ACTIVE
    step.started_at = now
    approval.current = step.position
    approval.save(update_fields=["current"])
    timers = schedule(step, doc, now, level=1)
    step.sla_due_at = step.due_at
    step.save(update_fields=["state", "started_at", "due_at", "sla_due_at"])
    if step.position > 0:
        _separate_later_step(approval, step, doc, now)
    Timer.objects.bulk_create(timers)
    holders = holders_of(step, now)
    notify_people(doc, holders, "workflow.waiting", by=by, data={"step": step.name, "due_at": iso(step.due_at)})


def _separate_later_step(approval: Approval, step: ApprovalStep, doc: Document, now: dt.datetime) -> None:
    """A later step starts: whoever decided an earlier one leaves it (unless the flow allows), a substitute
    stands in when nobody is left; with nobody at all, the decision that got here is refused."""
    flow = approval.version.flow
    if flow.allow_same_approver:
        return
    people = active_people(doc.company_id)
    earlier = earlier_deciders([step])[step.pk]
    found = resolve(doc.company_id, step.spec, doc, approval.requester, people)
    separated = separate(found, step.spec, flow=flow, requester=approval.requester, earlier_deciders=earlier,
                         people=people)
    if not separated.users:
        raise NoOtherApprover(step=step.name, flow=flow.name)
    have = set(step.approvers.values_list("user_id", flat=True))
    StepApprover.objects.filter(step=step).exclude(user_id__in=list(separated.users)).delete()
    StepApprover.objects.bulk_create([StepApprover(company_id=doc.company_id, step=step, user_id=u, via=via)
                                      for u, via in separated.users.items() if u not in have])
    if step.mode == Mode.ALL and step.required != len(separated.users):
        step.required = len(separated.users)
        step.save(update_fields=["required"])
    if separated.substitutes:
        note_substitution(approval, step, doc, separated, now=now)


def schedule(step: ApprovalStep, doc: Document, now: dt.datetime, *, level: int) -> list[Timer]:
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


def iso(value):
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


def names_of(user_ids) -> str:
    users = {u.pk: u for u in User.objects.filter(pk__in=list(user_ids))}
    return "、".join(str(users[i]) for i in user_ids if i in users) or "—"


def decide(doc: Document, *, by, approve: bool, comment: str = "", changes=None) -> Document:
    """Record `by`'s decision on the current step of the locked `doc`'s pending approval.

    Approval passes the step when enough approvers agreed (any / all / N of M) and approves the
    document after the last step; a rejection (with a reason) returns it to draft.
    """
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
        raise NotApprover(step=step.name, number=doc.number, approvers=names_of(holders_of(step, now)))
    refuse_separated(approval, step, doc, by=by, behalf=behalf)
    own = changes is None
    changes = changes or Changes(doc)
    kind = Decision.Kind.APPROVE if approve else Decision.Kind.REJECT
    record_decision(approval, step, doc, by=by, behalf=behalf, kind=kind, comment=comment, now=now)
    if approve:
        if approvals_on(step) >= step.required:
            pass_step(approval, step, doc, by=by, now=now, changes=changes)
    else:
        reject_step(approval, step, doc, by=by, reason=comment, now=now, changes=changes)
    return changes.flush() if own else doc


def refuse_separated(approval: Approval, step: ApprovalStep, doc: Document, *, by, behalf: int | None) -> None:
    """Nobody decides their own document, nor two steps of one document, unless the flow allows it (this also
    catches the requester standing in as someone's delegate)."""
    flow = approval.version.flow
    people = {by.pk, behalf} - {None}
    if not flow.allow_self_approval and approval.requester_id in people:
        raise OwnDocument(number=doc.number)
    if not flow.allow_same_approver and people & earlier_deciders([step])[step.pk]:
        raise Conflict("workflow.same_approver",
                       _("You decided an earlier step of %(number)s; the flow lets nobody decide two of its steps."),
                       number=doc.number)


def approvals_on(step: ApprovalStep) -> int:
    rows = Decision.objects.filter(step=step, decision__in=[Decision.Kind.APPROVE]).values_list(
        "user_id", "on_behalf_of_id")
    return len({behalf or user for user, behalf in rows})


def record_decision(approval, step, doc, *, by, behalf, kind, comment, now) -> Decision:
    d = Decision.objects.create(company_id=doc.company_id, approval=approval, step=step, user=by,
                                on_behalf_of_id=behalf, decision=kind, comment=comment[:500], at=now)
    payload = {"document": doc.pk, "number": doc.number, "step": step.name if step else None,
               "decision": kind, "user": by.pk if by else None, "on_behalf_of": behalf, "comment": comment[:500]}
    record_event(company=doc.company_id, topic="workflow.decided", by=by, obj=approval, payload=payload)
    record_audit(company=doc.company_id, action=f"decide.{kind}", obj=approval, by=by, after=payload)
    return d


def _cancel_timers(step: ApprovalStep) -> None:
    Timer.objects.filter(step=step, state=TimerState.PENDING).update(state=TimerState.CANCELLED)


def pass_step(approval, step, doc, *, by, now, changes) -> None:
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
    posted = post_on_approval(step, doc, by=by, changes=changes)
    record_event(company=doc.company_id, topic="workflow.approved", by=by, obj=approval,
                 payload={"document": doc.pk, "number": doc.number, "posted": posted})
    notify_people(doc, [approval.requester_id], "workflow.approved", by=by)


def may_post(user, doc: Document) -> bool:
    """Whether `user` may post `doc`: the posting permission of their role, in one of their warehouses."""
    if user is None or not permissions.allowed(user, "document.post"):
        return False
    scope = scoped_warehouse_ids(user)
    return scope is None or doc.warehouse_id in scope


def post_on_approval(step: ApprovalStep, doc: Document, *, by, changes: Changes) -> bool:
    """"Approve and post" (issue 13, item 15): the step that completes the approval carries the option, so the
    approver's approval also posts the document, in the same transaction and with the approver's own right to
    post (decision 0013). A posting refusal (stock, a closed month) refuses the approval with it; an approver
    who may not post, or a timer, leaves the document approved, waiting in the posting to-do."""
    if not step.spec.get("post_on_approve") or not may_post(by, doc):
        return False
    post_locked(doc, by, changes)
    return True


def reject_step(approval, step, doc, *, by, reason, now, changes) -> None:
    step.state, step.finished_at = StepState.REJECTED, now
    step.save(update_fields=["state", "finished_at"])
    _cancel_timers(step)
    approval.steps.filter(state=StepState.WAITING).update(state=StepState.CANCELLED)
    approval.state, approval.finished_at, approval.reason = ApprovalState.REJECTED, now, reason[:500]
    approval.save(update_fields=["state", "finished_at", "reason"])
    transition(doc, "reject", by=by, reason=reason, changes=changes, step=step.position)
    notify_people(doc, [approval.requester_id], "workflow.rejected", by=by, data={"reason": reason})


def _end(approval: Approval, state: str, reason: str, now: dt.datetime) -> None:
    """Close the approval: its open steps are cancelled, their timers with them."""
    for step in approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]):
        _cancel_timers(step)
    approval.steps.filter(state__in=[StepState.ACTIVE, StepState.WAITING]).update(
        state=StepState.CANCELLED, finished_at=now)
    approval.state, approval.finished_at, approval.reason = state, now, reason[:500]
    approval.save(update_fields=["state", "finished_at", "reason"])


def withdraw_approval(doc: Document, *, by, reason: str = "") -> None:
    """The requester took the locked `doc` back to draft (documents.transitions.withdraw_document): its
    approval ends, recorded as their decision, and whoever still had to decide is told."""
    approval = pending_approval(doc)
    if approval is None:
        return
    now = clock.now()
    current = approval.steps.filter(state=StepState.ACTIVE).first()
    _end(approval, ApprovalState.WITHDRAWN, reason, now)
    record_decision(approval, current, doc, by=by, behalf=None, kind=Decision.Kind.WITHDRAW, comment=reason, now=now)
    if current is not None:
        notify_people(doc, undecided(current), "workflow.withdrawn", by=by, data={"reason": reason})


def end_approval(doc: Document, *, by, reason: str = "") -> None:
    """The locked document is cancelled while in approval: the approval ends, its timers with it."""
    approval = pending_approval(doc)
    if approval is None:
        return
    _end(approval, ApprovalState.CANCELLED, reason or "", clock.now())
    record_event(company=doc.company_id, topic="workflow.cancelled", by=by, obj=approval,
                 payload={"document": doc.pk, "number": doc.number, "reason": (reason or "")[:500]})


def notify_people(doc: Document, recipients, topic: str, *, data=None, by=None) -> None:
    """Tell `recipients` (user ids) about `doc` (core/notices.py): the text is rendered from the topic and data
    in each reader's language (workflow/messages.py)."""
    users = list(User.objects.filter(pk__in=[r for r in recipients if r], is_active=True))
    if not users:
        return
    notices.notify(company=doc.company, recipients=users, topic=topic, link=f"/documents/{doc.pk}/",
                   data={"document": doc.pk, "number": doc.number, **(data or {})}, by=by)
