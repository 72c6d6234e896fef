"""Suppliers and customers (one table: a partner can be both), with regions and credit limits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company


class Region(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    class Meta:
        verbose_name = _("region")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_region_code")]

    def __str__(self):
        return self.name


class PartnerKind(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    CUSTOMER = "customer", _("Customer")
    BOTH = "both", _("Supplier and customer")


class Partner(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="partners")
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=50, blank=True)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=18, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # the store's walk-in customer (门店散客): pays at the counter, never carries a balance (finance/counter.py)
    is_walk_in = models.BooleanField(_("walk-in customer"), default=False)

    class Meta:
        verbose_name = _("partner")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="uniq_partner_code")]

    def __str__(self):
        return self.name

    def plays(self, role: str) -> bool:
        return self.kind == PartnerKind.BOTH or self.kind == role
