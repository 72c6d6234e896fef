"""Units, categories, items, barcodes and per-warehouse stock levels; barcode lookup with GS1 parsing."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Barcode, Category, Item, ItemUnit, ItemWarehouse, Unit
from openjxc.catalog.search_keys import search_key
from openjxc.core import permissions
from openjxc.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.masterdata import apply_changes, save_master, snapshot
from openjxc.core.quantities import parse_decimal

ITEM_FIELDS = ["code", "name", "spec", "category", "base_unit", "tracking", "shelf_life_days", "purchase_price",
               "standard_cost", "sale_price", "tax_rate", "is_active"]


def create_unit(*, by, code: str, name: str) -> Unit:
    return save_master(Unit(company_id=by.company_id, code=code, name=name), by=by, fields=["code", "name"],
                       action="create", topic="unit.created")


def create_category(*, by, code: str, name: str, parent: Category | None = None) -> Category:
    """Add a node to the category tree."""
    if parent is not None and parent.company_id != by.company_id:
        raise NotFound("category", parent.pk)
    cat = Category(company_id=by.company_id, code=code, name=name, parent=parent)
    with transaction.atomic():
        save_master(cat, by=by, fields=["code", "name", "parent"], action="create", topic="category.created")
        cat.path = f"{parent.path}{cat.pk}/" if parent else f"/{cat.pk}/"
        cat.save(update_fields=["path"])
    return cat


UNIT_FIELDS = ["code", "name"]
CATEGORY_FIELDS = ["code", "name", "parent"]


def update_unit(unit: Unit, *, by, **changes) -> Unit:
    """Rename a unit or change its code."""
    before = snapshot(unit, UNIT_FIELDS)
    apply_changes(unit, changes, UNIT_FIELDS)
    return save_master(unit, by=by, fields=UNIT_FIELDS, action="update", topic="unit.updated", before=before)


def delete_unit(unit: Unit, *, by) -> None:
    """Delete a unit nothing uses; a unit of an item, a barcode, a price or a document line is refused."""
    permissions.require(by, "masterdata.edit")
    try:
        with transaction.atomic():
            record_event(company=unit.company_id, topic="unit.deleted", by=by, obj=unit,
                         payload=snapshot(unit, UNIT_FIELDS))
            record_audit(company=unit.company_id, action="delete", obj=unit, by=by, before=snapshot(unit, UNIT_FIELDS))
            unit.delete()
    except (ProtectedError, IntegrityError):
        raise Conflict("unit.in_use", _("Unit %(code)s is in use and cannot be deleted."), code=unit.code) from None


@transaction.atomic
def update_category(cat: Category, *, by, **changes) -> Category:
    """Rename a category, change its code, or move it (with its subtree) under another parent or to the top."""
    before = snapshot(cat, CATEGORY_FIELDS)
    old_path = cat.path
    if "parent" in changes:
        parent = changes["parent"]
        if parent is not None:
            if parent.company_id != cat.company_id:
                raise NotFound("category", parent.pk)
            if parent.pk == cat.pk or parent.path.startswith(old_path):
                raise ValidationFailed(field="parent", reason=_("cannot be the category itself or one below it"))
    apply_changes(cat, changes, CATEGORY_FIELDS)
    cat.path = f"{cat.parent.path}{cat.pk}/" if cat.parent_id else f"/{cat.pk}/"
    save_master(cat, by=by, fields=CATEGORY_FIELDS, action="update", topic="category.updated", before=before)
    if cat.path != old_path:
        below = list(Category.objects.filter(company_id=cat.company_id, path__startswith=old_path).exclude(pk=cat.pk))
        for c in below:
            c.path = cat.path + c.path[len(old_path):]
        Category.objects.bulk_update(below, ["path"])
    return cat


@transaction.atomic
def remove_item_unit(item: Item, *, by, unit: Unit) -> None:
    """Drop an alternative unit of an item (documents keep their base quantities)."""
    permissions.require(by, "masterdata.edit")
    deleted, _rows = ItemUnit.objects.filter(item=item, unit=unit).delete()
    if not deleted:
        raise NotFound("unit", unit.pk)
    record_event(company=item.company_id, topic="item.unit_removed", by=by, obj=item, payload={"unit": unit.code})
    record_audit(company=item.company_id, action="update", obj=item, by=by, before={"unit": unit.code})


@transaction.atomic
def create_item(*, by, code: str, name: str, base_unit: Unit, barcodes: list[str] = (),
                units: list[tuple[Unit, Decimal]] = (), **fields) -> Item:
    """Create an item with its barcodes and alternative units (箱 = 12 瓶)."""
    if base_unit.company_id != by.company_id:
        raise NotFound("unit", base_unit.pk)
    item = Item(company_id=by.company_id, code=code, name=name, base_unit=base_unit)
    apply_changes(item, fields, ITEM_FIELDS)
    if item.tax_rate is not None and not (Decimal(0) <= Decimal(item.tax_rate) <= Decimal(1)):
        raise ValidationFailed(field="tax_rate", reason=_("must be between 0 and 1 (e.g. 0.13)"))
    item.search_key = search_key(item.name)
    save_master(item, by=by, fields=ITEM_FIELDS, action="create", topic="item.created")
    for code_ in barcodes:
        add_barcode(item, by=by, code=code_)
    for unit, factor in units:
        add_item_unit(item, by=by, unit=unit, factor=factor)
    return item


def update_item(item: Item, *, by, **changes) -> Item:
    before = snapshot(item, ITEM_FIELDS)
    apply_changes(item, changes, ITEM_FIELDS)
    item.search_key = search_key(item.name)
    return save_master(item, by=by, fields=ITEM_FIELDS, action="update", topic="item.updated", before=before)


def add_barcode(item: Item, *, by, code: str, unit: Unit | None = None) -> Barcode:
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed(field="barcode", reason=_("must be 1 to 64 characters"))
    existing = Barcode.objects.filter(company_id=item.company_id, code=code).select_related("item").first()
    if existing is not None:
        raise Conflict("barcode.taken", _("Barcode %(code)s already belongs to %(item)s."), code=code, item=existing.item)
    if unit is not None and unit.pk != item.base_unit_id and not ItemUnit.objects.filter(item=item, unit=unit).exists():
        raise ValidationFailed(field="unit", reason=_("is not a unit of this item"))
    bc = Barcode(company_id=item.company_id, code=code, item=item, unit=unit)
    return save_master(bc, by=by, fields=["code", "item", "unit"], action="create", topic="item.barcode_added")


@transaction.atomic
def remove_barcode(item: Item, *, by, code: str) -> None:
    """Drop one of the item's barcodes (documents keep their lines; a scan of it is then unknown)."""
    permissions.require(by, "masterdata.edit")
    bc = Barcode.objects.filter(item=item, code=(code or "").strip()).select_related("unit").first()
    if bc is None:
        raise NotFound("barcode", code)
    before = {"barcode": bc.code, "unit": bc.unit.code if bc.unit else None}
    bc.delete()
    record_event(company=item.company_id, topic="item.barcode_removed", by=by, obj=item, payload=before)
    record_audit(company=item.company_id, action="update", obj=item, by=by, before=before)


def add_item_unit(item: Item, *, by, unit: Unit, factor) -> ItemUnit:
    factor = parse_decimal(factor, "factor", zero=False)
    if unit.pk == item.base_unit_id:
        raise ValidationFailed(field="unit", reason=_("is already the base unit"))
    iu, _created = ItemUnit.objects.update_or_create(item=item, unit=unit, defaults={"factor": factor})
    return iu


def set_levels(item: Item, warehouse, *, by, safety_stock=None, reorder_point=None, max_stock=None) -> ItemWarehouse:
    """Safety stock, reorder point and maximum of an item in one warehouse."""
    lvl, _created = ItemWarehouse.objects.get_or_create(company_id=item.company_id, item=item, warehouse=warehouse)
    if safety_stock is not None:
        lvl.safety_stock = safety_stock
    if reorder_point is not None:
        lvl.reorder_point = reorder_point
    if max_stock is not None:
        lvl.max_stock = max_stock
    lvl.save()
    return lvl


def lookup_barcode(company_id: int, scanned: str) -> dict:
    """Resolve a scan: a plain barcode, or a GS1 element string (GTIN + lot + dates) parsed with biip."""
    scanned = (scanned or "").strip()
    if not scanned:
        raise ValidationFailed(field="barcode", reason=_("is empty"))
    bc = Barcode.objects.filter(company_id=company_id, code=scanned).select_related("item", "unit").first()
    if bc is not None:
        return {"item": bc.item, "unit": bc.unit, "lot": None, "expires_on": None, "produced_on": None, "gs1": False}
    gs1 = _parse_gs1(scanned)
    if gs1 is None:
        raise DomainError("barcode.unknown", _("Barcode %(code)s is not known."), http_status=404, code=scanned)
    gtin = gs1["gtin"]
    candidates = {gtin, gtin.lstrip("0"), gtin[1:] if len(gtin) == 14 else gtin}
    bc = Barcode.objects.filter(company_id=company_id, code__in=candidates).select_related("item", "unit").first()
    if bc is None:
        raise DomainError("barcode.unknown", _("Barcode %(code)s is not known."), http_status=404, code=gtin)
    return {"item": bc.item, "unit": bc.unit, "lot": gs1.get("lot"), "expires_on": gs1.get("expires_on"),
            "produced_on": gs1.get("produced_on"), "gs1": True}


def _parse_gs1(text: str) -> dict | None:
    import biip

    try:
        result = biip.parse(text, config=biip.ParseConfig(separator_chars=["\x1d", "|"]))
    except biip.BiipException:  # ParseError and friends: anything biip cannot read
        return None
    gs1 = result.gs1_message
    if gs1 is None:
        return None
    out: dict = {}
    for element in gs1.element_strings:
        ai = element.ai.ai
        if ai == "01":
            out["gtin"] = element.value
        elif ai == "10":
            out["lot"] = element.value
        elif ai == "17":
            out["expires_on"] = element.date
        elif ai == "11":
            out["produced_on"] = element.date
    return out if "gtin" in out else None
