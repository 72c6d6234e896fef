"""Units, categories, items, barcodes and per-warehouse stock levels; barcode lookup with GS1 parsing."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Barcode, Category, Item, ItemUnit, ItemWarehouse, Unit
from openjxc.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from openjxc.core.masterdata import apply_changes, save_master, snapshot

ITEM_FIELDS = ["code", "name", "spec", "category", "base_unit", "tracking", "shelf_life_days", "purchase_price",
               "sale_price", "tax_rate", "is_active"]


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
    save_master(item, by=by, fields=ITEM_FIELDS, action="create", topic="item.created")
    for code_ in barcodes:
        add_barcode(item, by=by, code=code_)
    for unit, factor in units:
        add_item_unit(item, by=by, unit=unit, factor=factor)
    return item


def update_item(item: Item, *, by, **changes) -> Item:
    before = snapshot(item, ITEM_FIELDS)
    apply_changes(item, changes, ITEM_FIELDS)
    return save_master(item, by=by, fields=ITEM_FIELDS, action="update", topic="item.updated", before=before)


def add_barcode(item: Item, *, by, code: str, unit: Unit | None = None) -> Barcode:
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed(field="barcode", reason=_("must be 1 to 64 characters"))
    existing = Barcode.objects.filter(company_id=item.company_id, code=code).select_related("item").first()
    if existing is not None:
        raise Conflict("barcode.taken", _("Barcode %(code)s already belongs to %(item)s."), code=code, item=existing.item)
    bc = Barcode(company_id=item.company_id, code=code, item=item, unit=unit)
    return save_master(bc, by=by, fields=["code", "item", "unit"], action="create", topic="item.barcode_added")


def add_item_unit(item: Item, *, by, unit: Unit, factor) -> ItemUnit:
    factor = Decimal(str(factor))
    if factor <= 0:
        raise ValidationFailed(field="factor", reason=_("must be greater than zero"))
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
