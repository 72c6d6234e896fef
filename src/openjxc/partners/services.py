"""Suppliers, customers and regions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import ValidationFailed
from openjxc.core.masterdata import apply_changes, save_master, snapshot
from openjxc.partners.models import Partner, Region

PARTNER_FIELDS = ["code", "name", "kind", "region", "contact", "phone", "email", "address", "tax_number",
                  "credit_limit", "is_active", "is_walk_in"]


def create_region(*, by, code: str, name: str, parent: Region | None = None) -> Region:
    region = Region(company_id=by.company_id, code=code, name=name, parent=parent)
    return save_master(region, by=by, fields=["code", "name", "parent"], action="create", topic="region.created")


REGION_FIELDS = ["code", "name", "parent"]


def update_region(region: Region, *, by, **changes) -> Region:
    """Rename a region, change its code or its parent region."""
    parent = changes.get("parent")
    if parent is not None and (parent.company_id != region.company_id or parent.pk == region.pk):
        raise ValidationFailed(field="parent", reason=_("must be another region of this company"))
    before = snapshot(region, REGION_FIELDS)
    apply_changes(region, changes, REGION_FIELDS)
    return save_master(region, by=by, fields=REGION_FIELDS, action="update", topic="region.updated", before=before)


def create_partner(*, by, code: str, name: str, kind: str, **fields) -> Partner:
    """Create a supplier, a customer, or a partner who is both."""
    partner = Partner(company_id=by.company_id, code=code, name=name, kind=kind)
    apply_changes(partner, fields, PARTNER_FIELDS)
    return save_master(partner, by=by, fields=PARTNER_FIELDS, action="create", topic="partner.created")


def update_partner(partner: Partner, *, by, **changes) -> Partner:
    before = snapshot(partner, PARTNER_FIELDS)
    apply_changes(partner, changes, PARTNER_FIELDS)
    return save_master(partner, by=by, fields=PARTNER_FIELDS, action="update", topic="partner.updated",
                       before=before)
