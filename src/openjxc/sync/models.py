"""Models of the sync app: offline terminals, their one-time registration codes and their operations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse


class TerminalKind(models.TextChoices):
    POS = "pos", _("Store POS")
    PDA = "pda", _("Warehouse PDA")


class Terminal(models.Model):
    """A store till or warehouse handheld that works offline and pushes its operations when it can.

    It acts through its own user (no password, scoped to its warehouse) so every document and event
    it causes names it. Only the hash of its token is stored.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=TerminalKind.choices)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse"))
    customer = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("walk-in customer"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="terminal")
    # a browser terminal (a signed-in person's phone on the count page): its count entries are that person's
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="browser_terminals", verbose_name=_("operator"))
    token_prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    pull_cursor = models.CharField(max_length=64, blank=True)
    # what the terminal reported in its last push: queued operations and the oldest one's device time
    backlog_count = models.PositiveIntegerField(default=0)
    backlog_oldest_at = models.DateTimeField(null=True, blank=True)
    accepted_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(default=0)
    clock_skew_seconds = models.FloatField(null=True, blank=True)  # device clock minus server clock
    # alerts raised and not yet cleared (the periodic check raises each once, then again after it clears)
    silent_alerted_at = models.DateTimeField(null=True, blank=True)
    backlog_alerted_at = models.DateTimeField(null=True, blank=True)
    skew_alerted_at = models.DateTimeField(null=True, blank=True)
    client_version = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("terminal")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_terminal_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class RegistrationCode(models.Model):
    """A one-time code an administrator hands to a device so it can register itself."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=TerminalKind.choices)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+")


class OpStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    HELD = "held", _("Held for review")  # dated too long ago, in a closed month or ahead: TerminalReview


class TerminalOperation(models.Model):
    """One pushed operation, stored once per (company, op id) with the hash of its payload and its result.

    The row is written in the transaction that applies the operation, so "applied" and "remembered"
    commit together: a retry after a lost answer finds it and gets the first result back.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="operations")
    op_id = models.CharField(max_length=64)
    seq = models.BigIntegerField(null=True, blank=True)  # the device's own monotonic sequence
    type = models.CharField(max_length=32)
    payload_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=OpStatus.choices)
    result = models.JSONField(default=dict)
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    is_negative = models.BooleanField(default=False)  # took stock below zero (an offline sale is a fact)
    device_at = models.DateTimeField(null=True, blank=True)  # when the device says it happened
    received_at = models.DateTimeField()

    class Meta:
        # per company, not per terminal: a device reset and registered again as a new terminal still
        # finds its old operations (client ids are UUIDs) instead of applying them a second time
        constraints = [models.UniqueConstraint(fields=["company", "op_id"], name="uniq_company_terminal_op")]
        indexes = [models.Index(fields=["terminal", "status", "id"])]


class TillClosing(models.Model):
    """A till closing (交班 / 日结): the cash a till should hold since its previous closing, what was counted, and
    the difference with its reason. Written once, never changed (sync/closing.py)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="closings", verbose_name=_("till"))
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("cashier"))
    business_on = models.DateField(_("business date"))
    closed_at = models.DateTimeField(_("closed at"))
    # receipts and refunds of the till with after_settlement < id <= up_to_settlement belong to this closing
    after_settlement = models.BigIntegerField(default=0)
    up_to_settlement = models.BigIntegerField(default=0)
    opening_float = models.DecimalField(_("float"), max_digits=18, decimal_places=2)
    cash_sales = models.DecimalField(_("cash sales"), max_digits=18, decimal_places=2)
    cash_refunds = models.DecimalField(_("cash refunds"), max_digits=18, decimal_places=2)
    cash_voided = models.DecimalField(_("cash given back for voided sales"), max_digits=18, decimal_places=2)
    expected = models.DecimalField(_("expected cash"), max_digits=18, decimal_places=2)
    counted = models.DecimalField(_("counted cash"), max_digits=18, decimal_places=2)
    difference = models.DecimalField(_("difference"), max_digits=18, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    by_method = models.JSONField(_("takings by method"), default=dict)  # {"cash": "120.00", "wechat": …} net
    sales_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("till closing")
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="uniq_till_closing_number")]
        indexes = [models.Index(fields=["terminal", "-id"])]

    def __str__(self):
        return self.number


class StoreCustomer(models.Model):
    """A customer a store's tills may name: a customer with no row here may be named at every store, a customer
    with rows only at those stores (sync/customers.py)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "warehouse"], name="uniq_store_customer")]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    REDATED = "redated", _("Re-dated")
    REJECTED = "rejected", _("Rejected")


class ReviewReason(models.TextChoices):
    TOO_OLD = "too_old", _("Dated before the review window")
    CLOSED_PERIOD = "closed_period", _("Dated in a closed month")
    FUTURE = "future", _("Dated in the future")


class TerminalReview(models.Model):
    """A terminal operation held for a manager (sync/review.py): its business date (the till's clock corrected by
    its skew) is older than the company's window, in a closed month or ahead of the posting tolerance. The
    operation's payload is kept here until it is accepted (posted at its date), re-dated or rejected."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="reviews")
    operation = models.OneToOneField(TerminalOperation, on_delete=models.PROTECT, related_name="review")
    type = models.CharField(_("operation"), max_length=32)
    data = models.JSONField(default=dict)
    device_at = models.DateTimeField(null=True, blank=True)
    business_on = models.DateField(_("business date"))
    reason = models.CharField(_("reason held"), max_length=16, choices=ReviewReason.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    posted_on = models.DateField(null=True, blank=True)  # the date it was posted with (re-dated: the new one)
    note = models.CharField(_("reason"), max_length=500, blank=True)  # why re-dated or rejected
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")

    class Meta:
        verbose_name = _("terminal operation to review")
        indexes = [models.Index(fields=["company", "status", "id"]), models.Index(fields=["terminal", "id"])]
