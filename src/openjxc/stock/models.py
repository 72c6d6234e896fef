"""Warehouses, locations (real and virtual), lots, the append-only ledger and the balances it feeds."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import MONEY, PRICE, QTY, Item
from openjxc.core.models import Company


class WarehouseKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")
    TRANSIT = "transit", _("In transit")


class Warehouse(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=WarehouseKind.choices, default=WarehouseKind.WAREHOUSE)
    address = models.CharField(_("address"), max_length=300, blank=True)
    allow_negative = models.BooleanField(_("allow negative stock"), default=False)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Users scoped to this warehouse (a store cashier sees only their store). A user with no
    # warehouses at all is not scoped and sees every warehouse of the company.
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="warehouses")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_warehouse_code")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name a person reads: the company's in-transit warehouse by its kind, in the reader's language (its
        stored name is in the language of whoever created the company); any other by its own name."""
        return str(WarehouseKind.TRANSIT.label) if self.kind == WarehouseKind.TRANSIT else self.name


class LocationKind(models.TextChoices):
    INTERNAL = "internal", _("Storage location")
    TRANSIT = "transit", _("In transit")
    SUPPLIER = "supplier", _("Suppliers")
    CUSTOMER = "customer", _("Customers")
    SCRAP = "scrap", _("Write-off")
    GAIN = "gain", _("Stock gain")
    COUNT = "count", _("Count difference")
    PRODUCTION = "production", _("Production")
    OPENING = "opening", _("Opening balance")
    OTHER = "other", _("Other in/out")
    ADJUSTMENT = "adjustment", _("Cost adjustment")


# Locations that hold real goods and so carry balances; the rest are the ledger's counterparts.
STOCKED_KINDS = {LocationKind.INTERNAL, LocationKind.TRANSIT}


class Location(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="locations")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices, default=LocationKind.INTERNAL)
    allow_negative = models.BooleanField(_("allow negative stock"), default=False)
    is_default = models.BooleanField(_("default location of its warehouse"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_location_code")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name a person reads: a virtual location (suppliers, customers, write-off, in transit, …) by its kind,
        in the reader's language; a storage location by its own name."""
        return self.name if self.kind == LocationKind.INTERNAL else str(LocationKind(self.kind).label)

    @property
    def is_stocked(self) -> bool:
        return self.kind in STOCKED_KINDS


class Lot(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(_("lot"), max_length=64)
    produced_on = models.DateField(_("production date"), null=True, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="uniq_lot_code")]

    def __str__(self):
        return self.code


class StockMove(models.Model):
    """One line of the append-only stock ledger: `quantity` of `item` from one location to another.

    Never updated or deleted (database triggers refuse it). `value` travels with the move; a move
    with quantity 0 carries a cost adjustment only. A correction is a new move with `reverses` set.
    """

    # no index of its own on the company (move_item_day and move_company_day start with it) nor on who posted
    # it (nothing reads moves by that): decision 0032
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**PRICE)
    value = models.DecimalField(**MONEY)
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    line = models.ForeignKey("documents.DocumentLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A cost-only move (quantity 0) that corrects the value of an earlier move: re-costing after a
    # back-dated entry (stock/recost.py), or the revaluation posted with it (negative stock repaired,
    # rounding residue cleared). It carries the business date, document and line of the move it corrects.
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    is_adjustment = models.BooleanField(default=False)
    business_on = models.DateField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False,
                                  related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="move_quantity_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(from_location=models.F("to_location")), name="move_between_two_locations"
            ),
        ]
        indexes = [
            # an item's moves by day, covering the locations on PostgreSQL: the dead-stock rule asks "any move of
            # this item in or out of this warehouse since …" once per item and warehouse on hand, from the index
            # alone (issue 15: 1.6–2.8 s → 1.0 s at 10 M moves)
            models.Index(fields=["company", "item", "business_on"], name="move_item_day",
                         include=["from_location", "to_location"]),
            # a range of days of the whole company: the home page's moves per day, the slow-mover and dead-stock
            # rules, balances as of a recent date (issue 15); covering the locations on PostgreSQL (the home
            # page's counts read the index only), plain elsewhere
            models.Index(fields=["company", "business_on"], name="move_company_day",
                         include=["from_location", "to_location"]),
            # (the document's moves: read through the foreign key's own index; a second index on the same
            # column was dropped by decision 0032)
            # partial indexes: few moves are corrections, fewer still were issued at zero cost
            models.Index(fields=["corrects"], condition=models.Q(corrects__isnull=False), name="move_corrects"),
            models.Index(fields=["company", "item"], condition=models.Q(unit_cost=0, quantity__gt=0),
                         name="move_zero_cost"),
        ]


class StockBalance(models.Model):
    """Quantity and value of an item at a stocked location, per lot. Equal to the ledger's sum."""

    # company and item are read through the index and the constraint that start with them (decision 0032)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, db_index=False, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # 0 when there is no lot: keeps one unique key on every database (NULLs are distinct in indexes)
    lot_key = models.BigIntegerField(default=0)
    quantity = models.DecimalField(**QTY, default=Decimal("0"))
    value = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "location", "lot_key"], name="uniq_balance")]
        indexes = [models.Index(fields=["company", "location", "item"])]


class ItemValuation(models.Model):
    """Moving weighted average per item per warehouse: on-hand quantity and value, and the last cost.

    The row is also the lock that serialises postings of one item in one warehouse.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, db_index=False, related_name="+")  # uniq_valuation
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY, default=Decimal("0"))
    value = models.DecimalField(**MONEY, default=Decimal("0"))
    last_cost = models.DecimalField(**PRICE, default=Decimal("0"))
    # the latest business date of a move here: a posting dated before it is back-dated and re-costs
    last_move_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "warehouse"], name="uniq_valuation")]


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Not closed")
    CLOSED = "closed", _("Month closed")


class Period(models.Model):
    """A month of the books (会计期间). Closed (月末结账): nothing dated in it may be posted or voided."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # its first day
    status = models.CharField(max_length=8, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    reopen_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("period")
        constraints = [models.UniqueConstraint(fields=["company", "month"], name="uniq_period_month")]


class PeriodSnapshot(models.Model):
    """Quantity and value of an item in a warehouse at the end of a closed month (reports read it)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="snapshot")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)
    value = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "item", "warehouse"], name="uniq_period_snapshot")]
        indexes = [models.Index(fields=["company", "item"])]


class LedgerCheckpoint(models.Model):
    """How far the ledger check's replay (stock/ledger.py, step 4) has verified a company's ledger.

    Every move with an id up to `last_move_id` was replayed in business-date order and found right, so the
    nightly check replays only the (item, warehouse) pairs with moves above it, from the earliest business
    date among those (docs/decisions/0019-ledger-check-follows-the-days-postings.md). Written only by a
    replay that found no difference; `full_at` is the last replay of the whole history (`check-ledger --full`).
    """

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="+")
    last_move_id = models.BigIntegerField(default=0)
    checked_at = models.DateTimeField()
    full_at = models.DateTimeField(null=True, blank=True)


class MonthEndBalance(models.Model):
    """Quantity and value of an item at a stocked location, per lot, at the end of a month: the checkpoint that
    stock as of a date starts from (stock/checkpoints.py). Holds exactly the moves with an id up to the company's
    `MonthEndBalances.moves_through` dated up to `month_end`; rows of zero are left out."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    month_end = models.DateField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lot_key = models.BigIntegerField(default=0)
    quantity = models.DecimalField(**QTY)
    value = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month_end", "item", "location", "lot_key"],
                                               name="uniq_month_end_balance")]


class MonthEndBalances(models.Model):
    """Which month-end checkpoints a company has (every month end from `first` to `last`), and up to which move
    id they hold the ledger: a move above `moves_through` dated on or before a month end is not in it yet."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="+")
    first = models.DateField()
    last = models.DateField()
    moves_through = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()
