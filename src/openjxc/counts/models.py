"""Stock counts (盘点): plans that create counts on a schedule, counts with their lines and the entries
counters make, and the reasons for differences. The adjustment itself is a `stock_count` document."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import MONEY, PRICE, QTY, Category, Item
from openjxc.core.models import Company
from openjxc.stock.models import Location, Lot, Warehouse

RATE = {"max_digits": 7, "decimal_places": 4}


class Scope(models.TextChoices):
    FULL = "full", _("Full count of the warehouse")
    LOCATION = "location", _("By location")
    CATEGORY = "category", _("By category")
    ABC = "abc", _("By ABC class")
    RANDOM = "random", _("Random sample")
    DISCREPANCY = "discrepancy", _("Items with recent discrepancies")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class CountPlan(models.Model):
    """What to count, how often, and who counts: the schedule creates a count when the plan is due."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.FULL)
    locations = models.ManyToManyField(Location, blank=True, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices, blank=True)
    sample_size = models.PositiveIntegerField(_("sample size"), default=0)
    every_days = models.PositiveIntegerField(_("every (days)"), default=30)
    next_due_on = models.DateField(_("next due on"), null=True, blank=True)
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    blind = models.BooleanField(_("blind count"), default=True)
    freeze = models.BooleanField(_("freeze the locations while counting"), default=False)
    tolerance_rate = models.DecimalField(_("quantity tolerance"), **RATE, default=Decimal("0.02"))
    tolerance_value = models.DecimalField(_("value tolerance"), **MONEY, default=Decimal("100"))
    # against a book of 0 a rate allows nothing: a difference up to this many base units passes there
    tolerance_quantity = models.DecimalField(_("tolerance against an empty book"), **QTY, default=Decimal("1"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("count plan")
        indexes = [models.Index(fields=["company", "is_active", "next_due_on"])]

    def __str__(self):
        return self.name


class CountStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    COUNTING = "counting", _("Counting")
    REVIEW = "review", _("In review")
    DOCUMENTED = "documented", _("Adjustment created")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class Count(models.Model):
    """One stock count of a warehouse (or part of it). Lines are snapshotted when it starts."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    name = models.CharField(_("name"), max_length=100, blank=True)
    plan = models.ForeignKey(CountPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="counts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.FULL)
    # the selection, resolved when the count is created: None = every item / every storage location
    item_ids = models.JSONField(null=True, blank=True)
    location_ids = models.JSONField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CountStatus.choices, default=CountStatus.OPEN)
    blind = models.BooleanField(_("blind count"), default=True)
    freeze = models.BooleanField(_("freeze the locations while counting"), default=False)
    tolerance_rate = models.DecimalField(_("quantity tolerance"), **RATE, default=Decimal("0.02"))
    tolerance_value = models.DecimalField(_("value tolerance"), **MONEY, default=Decimal("100"))
    # against a book of 0 a rate allows nothing: a difference up to this many base units passes there
    tolerance_quantity = models.DecimalField(_("tolerance against an empty book"), **QTY, default=Decimal("1"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock count")
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="uniq_count_number")]
        indexes = [models.Index(fields=["company", "status"]), models.Index(fields=["company", "finished_at"])]

    def __str__(self):
        return self.number


class Reason(models.TextChoices):
    DAMAGE = "damage", _("Damage")
    THEFT = "theft", _("Theft")
    ENTRY_ERROR = "entry_error", _("Entry error")
    UNRECORDED_RETURN = "unrecorded_return", _("Unrecorded return")
    OTHER = "other", _("Other")


class CountLine(models.Model):
    """One (item, location, lot) of a count: the book at the start, the book when it was counted, the count."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    count = models.ForeignKey(Count, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lot_key = models.BigIntegerField(default=0)
    snapshot_quantity = models.DecimalField(_("book at start"), **QTY, default=Decimal("0"))
    # the book when the line was (last) counted: snapshot plus the moves posted since
    expected_quantity = models.DecimalField(_("book when counted"), **QTY, null=True, blank=True)
    counted_quantity = models.DecimalField(_("counted"), **QTY, null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    unit_cost = models.DecimalField(_("unit cost"), **PRICE, default=Decimal("0"))
    round = models.PositiveSmallIntegerField(default=1)  # 2 once a recount was requested
    recount_requested = models.BooleanField(default=False)
    is_added = models.BooleanField(default=False)  # found on the shelf, not in the book
    not_counted = models.BooleanField(default=False)  # finished blank on purpose: no adjustment, listed
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    reason_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["count", "item", "location", "lot_key"],
                                               name="uniq_count_line")]
        indexes = [models.Index(fields=["company", "item"])]

    @property
    def difference(self) -> Decimal | None:
        if self.counted_quantity is None or self.expected_quantity is None:
            return None
        return self.counted_quantity - self.expected_quantity


class CountEntry(models.Model):
    """What one counter counted for a line in one round (a scan is an entry of 1). Kept, never edited."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(CountLine, on_delete=models.CASCADE, related_name="entries")
    round = models.PositiveSmallIntegerField(default=1)
    quantity = models.DecimalField(**QTY)  # may be negative: a counter taking back a wrong scan
    scanned = models.CharField(max_length=200, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["line", "round"])]
