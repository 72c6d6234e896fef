"""Warehouses and locations."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import ValidationFailed
from openjxc.core.masterdata import apply_changes, save_master, snapshot
from openjxc.core.models import User
from openjxc.stock.models import Location, LocationKind, Warehouse, WarehouseKind

WAREHOUSE_FIELDS = ["code", "name", "kind", "address", "allow_negative", "manager", "is_active"]
LOCATION_FIELDS = ["code", "name", "warehouse", "allow_negative", "is_default", "is_active"]


@transaction.atomic
def create_warehouse(*, by: User, code: str, name: str, kind: str = WarehouseKind.WAREHOUSE, address: str = "",
                     allow_negative: bool = False, manager=None) -> Warehouse:
    """Create a warehouse or store with its default storage location."""
    if kind not in (WarehouseKind.WAREHOUSE, WarehouseKind.STORE):
        raise ValidationFailed(field="kind", reason=_("must be warehouse or store"))
    company_id = permissions.company_id_of(by)
    wh = Warehouse(company_id=company_id, code=code, name=name, kind=kind, address=address,
                   allow_negative=allow_negative, manager=manager)
    save_master(wh, by=by, fields=WAREHOUSE_FIELDS, action="create", topic="warehouse.created")
    loc = Location(company_id=company_id, warehouse=wh, code=f"{code}-01", name=name,
                   kind=LocationKind.INTERNAL, is_default=True)
    save_master(loc, by=by, fields=LOCATION_FIELDS, action="create", topic="location.created")
    return wh


def update_warehouse(wh: Warehouse, *, by: User, **changes) -> Warehouse:
    before = snapshot(wh, WAREHOUSE_FIELDS)
    if changes.get("kind") not in (None, WarehouseKind.WAREHOUSE, WarehouseKind.STORE):
        raise ValidationFailed(field="kind", reason=_("must be warehouse or store"))
    apply_changes(wh, changes, WAREHOUSE_FIELDS)
    return save_master(wh, by=by, fields=WAREHOUSE_FIELDS, action="update", topic="warehouse.updated", before=before)


def create_location(*, by: User, warehouse: Warehouse, code: str, name: str, allow_negative: bool = False) -> Location:
    """Add a storage location (bin) to a warehouse."""
    if warehouse.company_id != by.company_id or warehouse.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field="warehouse", reason=_("is not a warehouse of your company"))
    loc = Location(company_id=permissions.company_id_of(by), warehouse=warehouse, code=code, name=name,
                   kind=LocationKind.INTERNAL, allow_negative=allow_negative)
    return save_master(loc, by=by, fields=LOCATION_FIELDS, action="create", topic="location.created")


def update_location(loc: Location, *, by: User, **changes) -> Location:
    before = snapshot(loc, LOCATION_FIELDS)
    apply_changes(loc, changes, ["name", "allow_negative", "is_active"])
    return save_master(loc, by=by, fields=LOCATION_FIELDS, action="update", topic="location.updated", before=before)
