"""Virtual locations (suppliers, customers, write-off, ...) and the in-transit warehouse of a company."""

from __future__ import annotations

from django.utils.translation import gettext as _

from openjxc.core.errors import DomainError
from openjxc.core.sql import fetch_objects
from openjxc.stock.models import STOCKED_KINDS, Location, LocationKind, Warehouse, WarehouseKind

VIRTUAL_CODES: dict[str, str] = {
    LocationKind.SUPPLIER: "V-SUPPLIER",
    LocationKind.CUSTOMER: "V-CUSTOMER",
    LocationKind.SCRAP: "V-SCRAP",
    LocationKind.GAIN: "V-GAIN",
    LocationKind.COUNT: "V-COUNT",
    LocationKind.PRODUCTION: "V-PRODUCTION",
    LocationKind.OPENING: "V-OPENING",
    LocationKind.OTHER: "V-OTHER",
    LocationKind.ADJUSTMENT: "V-ADJUST",
}
TRANSIT_WAREHOUSE_CODE = "TRANSIT"
TRANSIT_LOCATION_CODE = "V-TRANSIT"


def ensure_company_locations(company) -> None:
    """Create the virtual locations and the in-transit warehouse a new company needs (idempotent)."""
    for kind, code in VIRTUAL_CODES.items():
        Location.objects.get_or_create(
            company=company, code=code, defaults={"name": str(LocationKind(kind).label), "kind": kind}
        )
    transit, _created = Warehouse.objects.get_or_create(
        company=company, code=TRANSIT_WAREHOUSE_CODE,
        defaults={"name": _("In transit"), "kind": WarehouseKind.TRANSIT},
    )
    Location.objects.get_or_create(
        company=company, code=TRANSIT_LOCATION_CODE,
        defaults={"name": _("In transit"), "kind": LocationKind.TRANSIT, "warehouse": transit},
    )


def virtual_location(company_id: int, kind: str) -> Location:
    """The company's virtual location of `kind` (suppliers, customers, write-off, ...)."""
    if kind == LocationKind.TRANSIT:
        return Location.objects.select_related("warehouse").get(company_id=company_id, code=TRANSIT_LOCATION_CODE)
    return Location.objects.get(company_id=company_id, code=VIRTUAL_CODES[kind])


def company_locations(company_id: int) -> dict[str, Location]:
    """All virtual locations and the transit location of a company, by kind, in one query."""
    rows = Location.objects.select_related("warehouse").filter(
        company_id=company_id, code__in=[*VIRTUAL_CODES.values(), TRANSIT_LOCATION_CODE]
    )
    return {loc.kind: loc for loc in rows}


def default_location(warehouse: Warehouse) -> Location:
    loc = (
        Location.objects.select_related("warehouse")
        .filter(warehouse=warehouse, kind__in=STOCKED_KINDS, is_active=True)
        .order_by("-is_default", "id")
        .first()
    )
    if loc is None:
        raise DomainError(
            "warehouse.no_location", _("Warehouse %(warehouse)s has no storage location."), warehouse=warehouse
        )
    return loc


# Virtual locations never change once a company exists; keyed by the company's id and creation time so a
# reused id (a test database rolled back) can never hit an old entry.
_virtual_cache: dict[tuple[int, str], dict[str, Location]] = {}


def virtual_locations(company) -> dict[str, Location]:
    """The company's virtual locations and its transit location, by kind (cached per process)."""
    key = (company.pk, company.created_at.isoformat())
    found = _virtual_cache.get(key)
    if found is None:
        found = company_locations(company.pk)
        if len(found) == len(VIRTUAL_CODES) + 1:
            _virtual_cache[key] = found
    return found


def places_for(company, warehouses: dict[int, Warehouse]) -> tuple[dict[str, Location], dict[int, Location]]:
    """The company's virtual locations by kind, and each given warehouse's default storage location
    (the active stocked location marked default, else the lowest id), read as plain rows with the
    already loaded warehouse attached: this runs for every posted document."""
    defaults: dict[int, Location] = {}
    if warehouses:
        kinds = sorted(STOCKED_KINDS)
        rows = fetch_objects(
            Location,
            f"warehouse_id IN ({', '.join(['%s'] * len(warehouses))}) "
            f"AND kind IN ({', '.join(['%s'] * len(kinds))}) AND is_active = %s",
            [*warehouses, *kinds, True], order_by="is_default DESC, id",
        )
        for loc in rows:
            if loc.warehouse_id not in defaults:
                loc.warehouse = warehouses[loc.warehouse_id]
                defaults[loc.warehouse_id] = loc
    return virtual_locations(company), defaults
