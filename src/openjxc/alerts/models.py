"""Models of the alerts app: notifications (in-app inbox), channels and the delivery log.

Alert rules (issue 7) live here too, below the notification models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company


class Notification(models.Model):
    """One message in one user's in-app inbox (unread until `read_at` is set)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    topic = models.CharField(_("topic"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at", "id"])]

    def __str__(self):
        return self.title


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    FEISHU = "feishu", _("Feishu custom bot")
    WEBHOOK = "webhook", _("Signed webhook")


class Channel(models.Model):
    """An external way to reach people (in-app is always on and needs no channel)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    config = models.JSONField(_("configuration"), default=dict, blank=True)  # holds secrets: masked on read
    topics = models.JSONField(_("topics"), default=list, blank=True)  # topic prefixes; empty = every topic
    is_failing = models.BooleanField(_("failing"), default=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="uniq_alerts_channel_name")]

    def __str__(self):
        return self.name

    def matches(self, topic: str) -> bool:
        """Whether this channel takes messages of `topic` (prefix match; no topics = all)."""
        return not self.topics or any(topic.startswith(t) for t in self.topics)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to send through one channel (to one address for email); the delivery log."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    address = models.CharField(_("address"), max_length=254, blank=True)  # email address for email deliveries
    topic = models.CharField(_("topic"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_test = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    locked_until = models.DateTimeField(null=True, blank=True)  # a sender's claim; expires if it dies
    last_error = models.TextField(_("last error"), blank=True)
    response = models.TextField(_("response"), blank=True)  # the platform's answer, shortened
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["channel", "id"]),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.title}"


class DeliveryAttempt(models.Model):
    """One call to a platform. Counting recent attempts per channel enforces its rate limit across processes."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="attempts")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField(null=True)  # None while the call is under way
    error = models.TextField(blank=True)
    response = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "at"])]


# Alert rules and alerts (issue 7) live in their own module; imported here so Django registers them.
from openjxc.alerts.rule_models import (  # noqa: E402,F401
    Alert,
    AlertCursor,
    AlertHistory,
    AlertRule,
)
