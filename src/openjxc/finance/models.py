"""The partner ledger (应收 / 应付), receipts and payments (收款单 / 付款单), their allocation to documents.

`PartnerEntry` and `Allocation` are append-only (database triggers, migration 0002): a correction is a
row that points at the row it reverses, exactly as in the stock ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import MONEY
from openjxc.core.models import Company
from openjxc.documents.models import Document
from openjxc.partners.models import Partner


class Book(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable")
    PAYABLE = "payable", _("Payable")


class SettlementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")  # money given back to a customer at the counter for a return


class SettlementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")
    CANCELLED = "cancelled", _("Cancelled")


class PartnerTerms(models.Model):
    """Payment terms of one partner: documents fall due `payment_terms_days` after their business date."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    partner = models.OneToOneField(Partner, on_delete=models.PROTECT, related_name="+")
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=0)

    class Meta:
        verbose_name = _("payment terms")


class Settlement(models.Model):
    """A receipt from a customer (收款单) or a payment to a supplier (付款单): money, not goods."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=SettlementKind.choices)
    number = models.CharField(_("number"), max_length=40)
    status = models.CharField(
        _("status"), max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.DRAFT
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    business_on = models.DateField(_("business date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=32, blank=True)  # cash, bank, wechat, alipay, ...
    reference = models.CharField(_("reference"), max_length=100, blank=True)  # bank slip, cheque number
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    # taken at the counter with this document (a paid sale, a refunded return): it follows the document's
    # posting and voiding (finance/counter.py); `till` is the terminal code of a till sale
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    till = models.CharField(_("till"), max_length=32, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("void reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("receipt or payment")
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="uniq_settlement_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="settlement_amount_positive"),
        ]
        indexes = [models.Index(fields=["company", "partner", "kind", "status"]),
                   models.Index(fields=["company", "method", "business_on"])]

    def __str__(self):
        return self.number

    @property
    def book(self) -> str:
        return Book.PAYABLE if self.kind == SettlementKind.PAYMENT else Book.RECEIVABLE

    @property
    def sign(self) -> int:
        """How the posted settlement changes its book: a refund raises what the customer is owed back (+)."""
        return +1 if self.kind == SettlementKind.REFUND else -1


class PartnerEntry(models.Model):
    """One change of what a partner owes us (receivable) or we owe them (payable). Append-only.

    Positive amounts increase the debt (a delivery, a supplier's receipt); negative ones decrease it
    (a return, a receipt of money, a payment). Exactly one of document / settlement is set.
    """

    # read through the Meta index, which starts with the company; nothing reads it by creator (decision 0032)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    book = models.CharField(_("book"), max_length=16, choices=Book.choices)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)
    business_on = models.DateField(_("business date"))
    due_on = models.DateField(_("due date"))
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("partner ledger entry")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(document__isnull=False, settlement__isnull=True)
                | models.Q(document__isnull=True, settlement__isnull=False),
                name="partnerentry_one_source",
            ),
        ]
        indexes = [models.Index(fields=["company", "partner", "book", "business_on"])]


class Allocation(models.Model):
    """Money (a receipt or payment) or a credit (a return) applied to a document that is owed. Append-only.

    A positive amount applies the credit; a reversal has the opposite amount and points at the original.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    book = models.CharField(_("book"), max_length=16, choices=Book.choices)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")  # what is paid
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    credit_document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # a return whose credit pays part of the document
    amount = models.DecimalField(_("amount"), **MONEY)
    business_on = models.DateField(_("business date"))
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("allocation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(settlement__isnull=False, credit_document__isnull=True)
                | models.Q(settlement__isnull=True, credit_document__isnull=False),
                name="allocation_one_credit",
            ),
        ]
        indexes = [models.Index(fields=["company", "partner", "book"])]
