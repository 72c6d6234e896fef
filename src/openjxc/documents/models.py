"""One Document table and one DocumentLine table for every kind (see documents/kinds/)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import MONEY, PRICE, QTY, Item, Unit
from openjxc.core.models import Company
from openjxc.partners.models import Partner
from openjxc.stock.models import Location, Lot, Warehouse


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")  # an order closed short: nothing more is received or delivered against it


# stock documents without a selling price: their amount is their value at cost (documents/valuation.py)
VALUED_AT_COST = frozenset({"write_off", "gain", "transfer_out", "transfer_in", "other_in", "other_out", "stock_count"})


class Document(models.Model):
    # not a column: the lines create_document wrote, on the instance it returns (the API answers from them
    # without reading them back); None once posting wrote lines of its own (a line split by lot)
    held_lines: list | None = None

    # no index of their own on the company (the Meta indexes and the number's constraint start with it) nor on
    # who created, approved, posted, voided or closed it (nothing reads documents by that): decision 0032
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    number = models.CharField(_("number"), max_length=40)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived")
    business_on = models.DateField(_("business date"))
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    total_quantity = models.DecimalField(**QTY, default=Decimal("0"))
    total_amount = models.DecimalField(**MONEY, default=Decimal("0"))  # excluding tax
    tax_total = models.DecimalField(_("tax"), **MONEY, default=Decimal("0"))
    total_with_tax = models.DecimalField(_("total with tax"), **MONEY, default=Decimal("0"))
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    # the value at cost of the goods it moves: estimated while draft / submitted, the moves' value once posted
    cost_total = models.DecimalField(_("amount at cost"), **MONEY, null=True, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False,
                                   related_name="+")
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    void_reason = models.CharField(_("void reason"), max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    close_reason = models.CharField(_("close reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("document")
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="uniq_document_number")]
        indexes = [
            models.Index(fields=["company", "kind", "status"]),
            models.Index(fields=["company", "business_on"]),
            # the home page's recent documents (newest change first) and its "posted today" count: index range
            # reads instead of a sort or a scan of every document of the company (issue 15)
            models.Index(fields=["company", "updated_at", "id"], name="doc_company_updated"),
            models.Index(fields=["company", "posted_at"], name="doc_company_posted"),
        ]

    def __str__(self):
        return self.number

    @property
    def amount(self) -> Decimal:
        """What the document is worth in lists, exports, prints and approval conditions: its total with tax,
        or for a stock document valued at cost (VALUED_AT_COST) its amount at cost."""
        if self.kind in VALUED_AT_COST and self.cost_total is not None:
            return self.cost_total
        return self.total_with_tax


class DocumentLine(models.Model):
    # read through the (document, line_no) constraint's index: decision 0032
    document = models.ForeignKey(Document, on_delete=models.CASCADE, db_index=False, related_name="lines")
    line_no = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    unit_quantity = models.DecimalField(_("quantity"), **QTY)
    factor = models.DecimalField(**QTY, default=Decimal("1"))
    quantity = models.DecimalField(_("base quantity"), **QTY)  # in the item's base unit
    unit_price = models.DecimalField(_("unit price"), **PRICE, default=Decimal("0"))
    amount = models.DecimalField(_("amount"), **MONEY, default=Decimal("0"))  # excluding tax
    discount_rate = models.DecimalField(_("discount"), max_digits=5, decimal_places=4, default=Decimal("0"))
    discount_amount = models.DecimalField(_("discount amount"), **MONEY, default=Decimal("0"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0"))
    tax_amount = models.DecimalField(_("tax"), **MONEY, default=Decimal("0"))
    amount_with_tax = models.DecimalField(_("amount with tax"), **MONEY, default=Decimal("0"))
    # orders: the promised (purchase) or requested (sales, request) delivery date of the line
    promised_on = models.DateField(_("promised date"), null=True, blank=True)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lot_code = models.CharField(_("lot"), max_length=64, blank=True)
    produced_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_line = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived")
    cost_amount = models.DecimalField(**MONEY, null=True, blank=True)  # value moved, set when posted
    memo = models.CharField(_("memo"), max_length=300, blank=True)

    class Meta:
        ordering = ["line_no"]
        constraints = [
            models.UniqueConstraint(fields=["document", "line_no"], name="uniq_line_no"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="line_quantity_positive"),
        ]


class DocumentTransition(models.Model):
    """One row per change of a document's status (and its creation), appended in the change's transaction.

    The log behind process cycle times (reports/cycle_times.py). `age` (time since the document was
    created) and `waited` (time since its previous transition) are stored with the row, so the report
    reads one row per measured interval instead of pairing rows up.
    """

    # company and document are read through the Meta indexes that start with them; nothing reads by `by`
    # (decision 0032)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, db_index=False, related_name="transitions")
    kind = models.CharField(max_length=32)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=16)  # create, submit, approve, reject, post, void, cancel, close, …
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           db_index=False, related_name="+")
    step = models.PositiveSmallIntegerField(null=True, blank=True)  # the approval step (1, 2, …) it decided
    age = models.DurationField()  # at - the document's creation
    waited = models.DurationField()  # at - the document's previous transition

    class Meta:
        indexes = [
            # the report's: rows of one action come grouped by kind and sorted by age (no sort before the
            # percentiles); covering on PostgreSQL (the report reads the index only), plain elsewhere
            models.Index(fields=["company", "action", "kind", "age"], name="doctrans_report",
                         include=["at", "warehouse", "document", "by", "step", "waited"]),
            models.Index(fields=["document", "at"], name="doctrans_document_at"),
        ]


class DocumentSearch(models.Model):
    """The archive search's terms of one document (documents/search.py); indexed per database engine."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    tokens = models.TextField(blank=True)
