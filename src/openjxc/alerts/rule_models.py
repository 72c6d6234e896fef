"""Alert rules and the alerts they raise (imported by alerts/models.py).

A rule says what to watch (kind + scope + parameters), who hears about it and how often. An alert is
one open condition of one rule on one subject (an item in a warehouse, a lot, a channel …): at most one
open alert per rule and subject, re-notified only after the rule's cool-down or when it gets worse, and
closed by the engine when the condition clears. Every step of an alert's life is an AlertHistory row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company


class AlertKind(models.TextChoices):
    LOW_STOCK = "low_stock", _("Low stock")
    NEGATIVE_STOCK = "negative_stock", _("Negative stock")
    OVER_MAX = "over_max", _("Stock above maximum")
    EXPIRING = "expiring", _("Lot expiring soon")
    EXPIRED = "expired", _("Expired lot on hand")
    SLOW_MOVER = "slow_mover", _("Slow mover")
    DEAD_STOCK = "dead_stock", _("No movement")
    COUNT_VARIANCE = "count_variance", _("Count variance beyond tolerance")
    APPROVAL_OVERDUE = "approval_overdue", _("Approval overdue")
    TERMINAL = "terminal", _("Terminal silent or refusing operations")
    CHANNEL_FAILING = "channel_failing", _("Notification channel failing")
    ZERO_COST = "zero_cost", _("Item costed at zero")
    KPI_THRESHOLD = "kpi_threshold", _("KPI threshold")


class AlertRule(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    # scope: all empty = the whole company
    warehouse = models.ForeignKey("stock.Warehouse", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("warehouse"))
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"))
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("item"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    recipient_roles = models.JSONField(_("recipient roles"), default=list, blank=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        verbose_name=_("recipients"))
    # the group channels and e-mail it goes to; none chosen: every enabled channel carrying its topic
    channels = models.ManyToManyField("alerts.Channel", blank=True, related_name="+", verbose_name=_("channels"))
    cooldown_hours = models.PositiveIntegerField(_("cool-down (hours)"), default=24)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        indexes = [models.Index(fields=["company", "kind"])]

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        return rule_display_name(self.kind, self.name)


def rule_display_name(kind: str, name: str) -> str:
    """A rule's name as a reader sees it: a default name (its kind's label, in the language of whoever created
    the rule, `jxc init` included) follows the reader's language; a name someone chose stays as it is."""
    label = AlertKind(kind).label if kind in AlertKind.values else None
    if label is None:
        return name
    defaults = set()
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            defaults.add(str(label))
    return str(label) if name in defaults else name


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Needs attention")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

# most urgent first: what stops selling or is already wrong, then what will go wrong, then what is slow
SEVERITY = [AlertKind.NEGATIVE_STOCK, AlertKind.EXPIRED, AlertKind.LOW_STOCK, AlertKind.CHANNEL_FAILING,
            AlertKind.ZERO_COST, AlertKind.TERMINAL, AlertKind.APPROVAL_OVERDUE, AlertKind.COUNT_VARIANCE,
            AlertKind.KPI_THRESHOLD, AlertKind.EXPIRING, AlertKind.OVER_MAX, AlertKind.SLOW_MOVER, AlertKind.DEAD_STOCK]


def by_severity():
    """An ORDER BY expression: the most urgent kinds first."""
    return models.Case(*[models.When(kind=k, then=n) for n, k in enumerate(SEVERITY)], default=len(SEVERITY),
                       output_field=models.IntegerField())


class Alert(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    subject = models.CharField(max_length=128)  # e.g. "iw:12:3" (item 12 in warehouse 3)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    warehouse = models.ForeignKey("stock.Warehouse", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lot = models.ForeignKey("stock.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    measure = models.DecimalField(max_digits=18, decimal_places=4, default=0)  # how bad; larger is worse
    notified_measure = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notify_count = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        constraints = [
            # one open alert per rule and subject: a re-evaluation updates it instead of adding another
            models.UniqueConstraint(fields=["rule", "subject"], condition=models.Q(status__in=["open", "acknowledged"]),
                                    name="uniq_open_alert"),
        ]
        indexes = [models.Index(fields=["company", "status", "kind"]), models.Index(fields=["rule", "status"])]

    def __str__(self):
        return f"{self.kind} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def title(self) -> str:
        """The one-line description in the active language (alerts/engine.py TITLES)."""
        from .engine import render_title

        return render_title(self.kind, self.data)


class AlertAction(models.TextChoices):
    RAISED = "raised", _("Raised")
    NOTIFIED = "notified", _("Notified")
    WORSENED = "worsened", _("Got worse")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


class AlertHistory(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    action = models.CharField(max_length=16, choices=AlertAction.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class AlertCursor(models.Model):
    """How far the alerts engine has read the outbox of one company (the change feed's cursor)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    cursor = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
