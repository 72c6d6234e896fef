"""Items and what describes them: units and conversions, categories, barcodes, per-warehouse levels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company

# DecimalField arguments shared by every quantity, money and price column
QTY: dict[str, Any] = dict(max_digits=18, decimal_places=4)
MONEY: dict[str, Any] = dict(max_digits=18, decimal_places=2)
PRICE: dict[str, Any] = dict(max_digits=18, decimal_places=6)


class Unit(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=32)

    class Meta:
        verbose_name = _("unit")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_unit_code")]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A node in the category tree; `path` holds the ancestors' ids for subtree queries."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_category_code")]
        # the tree order of the categories page, paged by keyset on (company, path)
        indexes = [models.Index(fields=["company", "path"], name="category_company_path")]

    def __str__(self):
        return self.name


class Tracking(models.TextChoices):
    NONE = "none", _("No lots")
    LOT = "lot", _("Lots")
    LOT_EXPIRY = "lot_expiry", _("Lots with expiry")


class Item(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    spec = models.CharField(_("specification"), max_length=200, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="items")
    base_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    tracking = models.CharField(_("tracking"), max_length=16, choices=Tracking.choices, default=Tracking.NONE)
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    purchase_price = models.DecimalField(_("purchase price"), **PRICE, default=Decimal("0"))
    # what an issue is costed at while the item has no cost history (before the purchase price)
    standard_cost = models.DecimalField(_("standard cost"), **PRICE, null=True, blank=True)
    sale_price = models.DecimalField(_("sale price"), **PRICE, default=Decimal("0"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0.13"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # the name's full pinyin and initials (可口可乐 → "kekoukele kkkl"): catalog/search_keys.py, set on every save
    search_key = models.CharField(max_length=1000, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("item")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_item_code")]
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def tracks_lots(self) -> bool:
        return self.tracking != Tracking.NONE


class ItemUnit(models.Model):
    """An alternative unit of an item: 1 `unit` = `factor` base units (箱 = 12 瓶)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    factor = models.DecimalField(**QTY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "unit"], name="uniq_item_unit"),
            models.CheckConstraint(condition=models.Q(factor__gt=0), name="item_unit_factor_positive"),
        ]


class Barcode(models.Model):
    """One of an item's barcodes; a barcode may stand for a pack (`unit`) rather than the base unit."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("barcode"), max_length=64)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="barcodes")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_barcode")]

    def __str__(self):
        return self.code


class ItemWarehouse(models.Model):
    """Per-warehouse stock levels of an item: safety stock, reorder point, maximum."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="levels")
    warehouse = models.ForeignKey("stock.Warehouse", on_delete=models.CASCADE, related_name="+")
    safety_stock = models.DecimalField(_("safety stock"), **QTY, default=Decimal("0"))
    reorder_point = models.DecimalField(_("reorder point"), **QTY, default=Decimal("0"))
    max_stock = models.DecimalField(_("maximum stock"), **QTY, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "warehouse"], name="uniq_item_warehouse")]


class CustomerGroup(models.Model):
    """Customers priced alike (批发客户, 会员): price lists may be given to a group instead of one customer."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField("partners.Partner", related_name="customer_groups", blank=True)

    class Meta:
        verbose_name = _("customer group")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_customer_group_code")]

    def __str__(self):
        return self.name


class PriceList(models.Model):
    """Sale prices for one customer, one customer group, or everyone (neither set), valid for a period."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    customer_group = models.ForeignKey(CustomerGroup, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="price_lists")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("price list")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(partner__isnull=True) | models.Q(customer_group__isnull=True),
                name="price_list_partner_or_group",
            ),
        ]

    def __str__(self):
        return self.name


class PriceListItem(models.Model):
    """One price of a list: for `item` in `unit`, from `min_quantity` (quantity breaks) upwards."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    min_quantity = models.DecimalField(_("minimum quantity"), **QTY, default=Decimal("0"))
    price = models.DecimalField(_("price"), **PRICE)
    tax_inclusive = models.BooleanField(_("price includes tax"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "item", "unit", "min_quantity"], name="uniq_price_break"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_list_price_non_negative"),
            models.CheckConstraint(condition=models.Q(min_quantity__gte=0), name="price_list_min_qty_non_negative"),
        ]
