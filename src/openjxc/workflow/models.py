"""Approval flows (versioned), approval instances with their steps and decisions, timers, delegations, calendars.

A Flow is what an administrator edits; every edit writes a new FlowVersion whose `steps` are frozen
data. A submitted document gets an Approval that points at the version it started with, and one
ApprovalStep per step whose condition held, so later edits never change documents in flight.
Reminders and escalations are Timer rows scanned by a periodic task (workflow/tasks.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company


class Flow(models.Model):
    """An approval flow for one document kind, optionally limited to some warehouses."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("document kind"), max_length=32)
    # empty: every warehouse; otherwise only documents whose warehouse is in the set
    warehouses = models.ManyToManyField("stock.Warehouse", blank=True, related_name="+")
    priority = models.IntegerField(_("priority"), default=0)  # the highest applicable flow wins
    is_active = models.BooleanField(_("active"), default=True)
    preset = models.CharField(max_length=32, blank=True)  # which preset installed it, if any
    # separation of duties (workflow/approvers.py): off by default, nobody approves their own document and
    # nobody decides two steps of one document
    allow_self_approval = models.BooleanField(_("the requester may approve their own document"), default=False)
    allow_same_approver = models.BooleanField(_("one person may decide several steps"), default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("approval flow")
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="uniq_flow_name")]
        indexes = [models.Index(fields=["company", "kind", "is_active"])]

    def __str__(self):
        return self.name


class FlowVersion(models.Model):
    """One frozen version of a flow's steps; never changed once written."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    steps = models.JSONField(default=list)  # [{name, approvers, mode, n, condition, time_limit_hours, ...}]
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="uniq_flow_version")]

    def __str__(self):
        return f"{self.flow_id} v{self.number}"


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("In approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")  # the document was cancelled while in approval


class Approval(models.Model):
    """One run of a flow version over one submission of a document."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="approvals")
    version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="approvals")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    current = models.PositiveIntegerField(default=0)  # position of the active step
    reason = models.CharField(max_length=500, blank=True)  # of a rejection or withdrawal
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        indexes = [
            models.Index(fields=["company", "state"]),
            models.Index(fields=["company", "requester", "state"]),
        ]
        constraints = [
            # one approval in progress per document
            models.UniqueConstraint(fields=["document"], condition=models.Q(state="pending"),
                                    name="uniq_pending_approval"),
        ]


class StepState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Mode(models.TextChoices):
    ANY = "any", _("Any one")
    ALL = "all", _("All")
    N_OF_M = "n_of_m", _("N of M")


class ApprovalStep(models.Model):
    """A step of one approval, with its approvers resolved when the document was submitted."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    spec = models.JSONField(default=dict)  # the step as frozen in the flow version
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ANY)
    required = models.PositiveIntegerField(default=1)  # approvals needed to pass
    state = models.CharField(max_length=16, choices=StepState.choices, default=StepState.WAITING)
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)  # the time limit now (escalation gives a fresh one)
    # the step's first time limit, kept when escalation moves due_at: what the SLA report measures against
    sla_due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["approval", "position"], name="uniq_step_position")]
        indexes = [models.Index(fields=["company", "state"])]


class StepApprover(models.Model):
    """A user who may decide a step: resolved from the flow when the document was submitted, or added by escalation."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="approvers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=32, blank=True)  # "role:manager", "user", "superior", "escalation", ...

    class Meta:
        constraints = [models.UniqueConstraint(fields=["step", "user"], name="uniq_step_approver")]
        indexes = [models.Index(fields=["company", "user"])]


class Decision(models.Model):
    """Every decision on an approval: who, on whose behalf, what, with which comment, when."""

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        WITHDRAW = "withdraw", _("Withdrawn")
        ESCALATE = "escalate", _("Escalated")
        AUTO_APPROVE = "auto_approve", _("Approved automatically")
        AUTO_REJECT = "auto_reject", _("Rejected automatically")
        REASSIGN = "reassign", _("Passed to a substitute")  # separation of duties (workflow/approvers.py)

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="decisions")
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, null=True, blank=True, related_name="decisions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")  # None: the system (a timer)
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    decision = models.CharField(max_length=16, choices=Kind.choices)
    comment = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["company", "user", "decision"])]


class TimerKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    ESCALATION = "escalation", _("Escalation")


class TimerState(models.TextChoices):
    PENDING = "pending", _("Pending")
    FIRED = "fired", _("Fired")
    CANCELLED = "cancelled", _("Cancelled")


class Timer(models.Model):
    """A reminder or escalation due at a time; fired exactly once by whichever worker claims it first."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="timers")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=TimerKind.choices)
    seq = models.PositiveSmallIntegerField(default=1)  # reminder 1..3
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=TimerState.choices, default=TimerState.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    late_seconds = models.PositiveIntegerField(null=True, blank=True)  # how late it fired (worker down)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"])]


class Delegation(models.Model):
    """While `user` is out of office (from–to), `delegate` may decide in their place."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delegation")
        indexes = [models.Index(fields=["company", "delegate", "ends_at"])]


class WorkCalendar(models.Model):
    """Working hours per weekday of one company (its time zone); default Mon–Fri 09:00–18:00."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="+")
    # {"0": [["09:00", "12:00"], ["13:00", "18:00"]], ...}: Monday is "0"; a missing day is a day off
    hours = models.JSONField(default=dict)
    updated_at = models.DateTimeField()


class Holiday(models.Model):
    """A day off on a working weekday, or (is_workday) a weekend made a working day (调休)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    name = models.CharField(max_length=100, blank=True)
    is_workday = models.BooleanField(default=False)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["company", "day"], name="uniq_holiday_day")]
