"""Imports from .xlsx: items, partners, opening stock — through the catalog, partners and documents services.

Every row goes through the same service a person's form uses, in a savepoint of one transaction, so a bad
row is refused with the service's own DomainError (row number, column, message) and the good rows see each
other (a barcode used twice in the file is caught by the service). The check (dry run) and the real import
are the same run: the check always rolls back; the import commits only when not one row was refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Category, Tracking, Unit
from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.documents import services as documents
from openjxc.documents.kinds import get_kind
from openjxc.documents.services import MAX_LINES, LineInput
from openjxc.partners import services as partners
from openjxc.partners.models import PartnerKind, Region
from openjxc.stock.models import Warehouse
from openjxc.web.excel import Field, Sheet, convert

F = Field
ITEM_FIELDS = [
    F("code", gettext_lazy("Item code"), required=True, hint=gettext_lazy("Unique within the company")),
    F("name", gettext_lazy("Item name"), required=True, width=24),
    F("spec", gettext_lazy("Specification")),
    F("category", gettext_lazy("Category"), hint=gettext_lazy("Code or name; a new one is created")),
    F("base_unit", gettext_lazy("Base unit"), required=True, hint=gettext_lazy("Code or name; a new one is created")),
    F("units", gettext_lazy("Other units"), hint=gettext_lazy("Unit=factor, separated by ;  e.g. 箱=12; 盒=6"),
      width=18),
    F("barcodes", gettext_lazy("Barcodes"), hint=gettext_lazy("Several separated by ;"), width=18),
    F("purchase_price", gettext_lazy("Purchase price"), kind="decimal"),
    F("sale_price", gettext_lazy("Sale price"), kind="decimal"),
    F("tax_rate", gettext_lazy("Tax rate"), kind="decimal", hint=gettext_lazy("A fraction, e.g. 0.13; empty: 0.13")),
    F("tracking", gettext_lazy("Tracking"), kind="choice", choices=tuple(Tracking.choices)),
    F("shelf_life_days", gettext_lazy("Shelf life (days)"), kind="int"),
    F("is_active", gettext_lazy("Active"), kind="bool"),
]
PARTNER_FIELDS = [
    F("code", gettext_lazy("Partner code"), required=True, hint=gettext_lazy("Unique within the company")),
    F("name", gettext_lazy("Partner name"), required=True, width=24),
    F("kind", gettext_lazy("Partner kind"), kind="choice", required=True, choices=tuple(PartnerKind.choices)),
    F("region", gettext_lazy("Region"), hint=gettext_lazy("Code or name; a new one is created")),
    F("contact", gettext_lazy("Contact")),
    F("phone", gettext_lazy("Phone")),
    F("email", gettext_lazy("Email"), width=20),
    F("address", gettext_lazy("Address"), width=24),
    F("tax_number", gettext_lazy("Tax number"), width=20),
    F("credit_limit", gettext_lazy("Credit limit"), kind="decimal"),
    F("is_active", gettext_lazy("Active"), kind="bool"),
]
OPENING_FIELDS = [
    F("warehouse", gettext_lazy("Warehouse"), required=True, hint=gettext_lazy("Code or name")),
    F("location", gettext_lazy("Location"), hint=gettext_lazy("Location code; empty: the warehouse's default")),
    F("item", gettext_lazy("Item code"), required=True),
    F("unit", gettext_lazy("Unit"), hint=gettext_lazy("Empty: the item's base unit")),
    F("lot", gettext_lazy("Lot"), hint=gettext_lazy("Required for items tracked by lot")),
    F("produced_on", gettext_lazy("Production date"), kind="date"),
    F("expires_on", gettext_lazy("Expiry date"), kind="date"),
    F("quantity", gettext_lazy("Quantity"), kind="decimal", required=True),
    F("unit_cost", gettext_lazy("Unit cost"), kind="decimal", hint=gettext_lazy("Empty: the item's purchase price")),
]


@dataclass
class RowError:
    row: int
    column: str  # the header as written in the file ("" for the whole row)
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # opening: the numbers of the posted documents


class _Rollback(Exception):
    """Raised inside a savepoint to undo a row that was only being checked."""


class Importer:
    name: str
    title: object
    fields: list[Field]
    # a service's field (ValidationFailed.field) or noun (NotFound.what) -> our column key
    error_columns: dict[str, str] = {}
    example: list[dict] = []

    def __init__(self, by, sheet: Sheet):
        self.by, self.sheet = by, sheet
        self.keys_seen: dict[object, int] = {}

    def require(self):
        permissions.require(self.by, "masterdata.edit")

    def duplicate_key(self, values: dict):
        return values.get("code")

    def import_row(self, values: dict, row: int) -> None:
        raise NotImplementedError

    def finish(self, outcome: Outcome) -> None:
        """After every row passed: whatever is done for the file as a whole."""

    # -- shared

    def column_of(self, err: DomainError) -> str:
        if err.code.endswith(".code_taken"):
            return self.sheet.columns.get("code", "")
        raw = str(err.data.get("field") or err.data.get("what") or err.code.split(".")[0])
        key = re.sub(r"^lines\[\d+\]\.?", "", raw) or raw
        key = self.error_columns.get(key, key)
        return self.sheet.columns.get(key, "")

    def values_of(self, raw: dict, row: int) -> dict:
        out = {}
        for f in self.fields:
            out[f.key] = convert(f, raw.get(f.key))
        return out


def _lookup_or_create(cache: dict, model, by, text: str, create: Callable):
    """A unit / category / region by code or name, created through its service when the company lacks it."""
    if not cache:
        for obj in model.objects.filter(company_id=by.company_id):
            cache.setdefault(obj.code.lower(), obj)
            cache.setdefault(obj.name.lower(), obj)
    found = cache.get(text.lower())
    if found is None:
        found = create(text)
        cache[found.code.lower()] = found
        cache.setdefault(found.name.lower(), found)
    return found


class ItemImporter(Importer):
    name = "items"
    title = gettext_lazy("Items")
    fields = ITEM_FIELDS
    error_columns = {"unit": "base_unit", "barcode": "barcodes", "factor": "units", "category": "category"}
    example = [
        {"code": "A1001", "name": "矿泉水 550ml", "spec": "550ml", "category": "饮料", "base_unit": "瓶",
         "units": "箱=24", "barcodes": "6900000000017", "purchase_price": 1.2, "sale_price": 2,
         "tax_rate": 0.13, "tracking": str(Tracking.NONE.label), "is_active": 1},
    ]

    def __init__(self, by, sheet):
        super().__init__(by, sheet)
        self.units: dict = {}
        self.categories: dict = {}

    def unit(self, text: str) -> Unit:
        return _lookup_or_create(self.units, Unit, self.by, text,
                                 lambda t: catalog.create_unit(by=self.by, code=t[:16], name=t[:32]))

    def import_row(self, values: dict, row: int) -> None:
        units = []
        for part in re.split(r"[;；,，\n]+", values["units"] or ""):
            if not part.strip():
                continue
            name, sep, factor = part.replace("＝", "=").partition("=")
            try:
                assert sep and name.strip()
                units.append((self.unit(name.strip()), Decimal(factor.strip())))
            except (AssertionError, ArithmeticError, ValueError):
                raise ValidationFailed(field="units", reason=_("must look like 箱=12; 盒=6")) from None
        category = None
        if values["category"]:
            category = _lookup_or_create(
                self.categories, Category, self.by, values["category"],
                lambda t: catalog.create_category(by=self.by, code=t[:32], name=t[:100]))
        extra = {k: values[k] for k in ("spec", "purchase_price", "sale_price", "tax_rate", "tracking",
                                        "shelf_life_days", "is_active") if values[k] is not None}
        barcodes = [b for b in re.split(r"[;；,，\s]+", values["barcodes"] or "") if b]
        catalog.create_item(by=self.by, code=values["code"], name=values["name"],
                            base_unit=self.unit(values["base_unit"]), category=category, barcodes=barcodes,
                            units=units, **extra)


class PartnerImporter(Importer):
    name = "partners"
    title = gettext_lazy("Partners")
    fields = PARTNER_FIELDS
    example = [
        {"code": "S001", "name": "华东面粉厂", "kind": str(PartnerKind.SUPPLIER.label), "region": "华东",
         "contact": "王经理", "phone": "021-5555 0101", "credit_limit": None, "is_active": 1},
        {"code": "C001", "name": "好运超市", "kind": str(PartnerKind.CUSTOMER.label), "region": "华东",
         "contact": "李店长", "phone": "138 0000 0000", "credit_limit": 50000, "is_active": 1},
    ]

    def __init__(self, by, sheet):
        super().__init__(by, sheet)
        self.regions: dict = {}

    def import_row(self, values: dict, row: int) -> None:
        region = None
        if values["region"]:
            region = _lookup_or_create(
                self.regions, Region, self.by, values["region"],
                lambda t: partners.create_region(by=self.by, code=t[:32], name=t[:100]))
        extra = {k: values[k] for k in ("contact", "phone", "email", "address", "tax_number", "credit_limit",
                                        "is_active") if values[k] is not None}
        partners.create_partner(by=self.by, code=values["code"], name=values["name"], kind=values["kind"],
                                region=region, **extra)


class OpeningImporter(Importer):
    """Opening stock: each row is checked as a one-line opening document (then undone); when all pass, one
    opening document per warehouse (per 10,000 lines) is created and posted through the ledger."""

    name = "opening"
    title = gettext_lazy("Opening stock")
    fields = OPENING_FIELDS
    error_columns = {"unit_price": "unit_cost", "lot_code": "lot", "lot": "lot", "to_warehouse": "warehouse"}
    example = [
        {"warehouse": "WH1", "location": "", "item": "A1001", "quantity": 120, "unit_cost": 1.2},
    ]

    def __init__(self, by, sheet):
        super().__init__(by, sheet)
        self.warehouses = {}
        for wh in Warehouse.objects.filter(company_id=by.company_id):
            self.warehouses.setdefault(wh.code.lower(), wh)
            self.warehouses.setdefault(wh.name.lower(), wh)
        self.lines: dict[int, list[tuple[int, LineInput]]] = {}  # warehouse id -> [(row, line)]

    def require(self):
        """Opening stock is posted at once: the importer must be allowed to create, approve and post it."""
        permissions.require(self.by, "document.create", roles=set(get_kind("opening").create_roles))
        permissions.require(self.by, "document.approve")
        permissions.require(self.by, "document.post")

    def duplicate_key(self, values: dict):
        return (str(values["warehouse"]).lower(), str(values["location"] or "").lower(), str(values["item"]),
                str(values["lot"] or ""))

    def import_row(self, values: dict, row: int) -> None:
        wh = self.warehouses.get(values["warehouse"].lower())
        line = LineInput(item=values["item"], quantity=values["quantity"], unit=values["unit"],
                         unit_price=values["unit_cost"], lot_code=values["lot"] or "",
                         produced_on=values["produced_on"], expires_on=values["expires_on"],
                         location=values["location"])
        try:
            with transaction.atomic():  # the service checks the row as a line; nothing of it is kept
                documents.create_document(by=self.by, kind="opening", warehouse=wh or values["warehouse"],
                                          lines=[line])
                raise _Rollback
        except _Rollback:
            pass
        self.lines.setdefault(wh.pk, []).append((row, line))

    def finish(self, outcome: Outcome) -> None:
        for wh_id, rows in self.lines.items():
            for start in range(0, len(rows), MAX_LINES):
                chunk = rows[start:start + MAX_LINES]
                try:
                    doc = documents.create_document(
                        by=self.by, kind="opening", warehouse=wh_id, lines=[ln for _r, ln in chunk],
                        advance_to="posted", memo=_("Imported from Excel"))
                except DomainError as err:
                    n = re.match(r"lines\[(\d+)\]", str(err.data.get("field", "")))
                    row = chunk[int(n.group(1)) - 1][0] if n else 0
                    outcome.errors.append(RowError(row, self.column_of(err), err.code, err.render_message()))
                    return
                outcome.documents.append(doc.number)


IMPORTERS: dict[str, type[Importer]] = {i.name: i for i in (ItemImporter, PartnerImporter, OpeningImporter)}


def run_import(importer: Importer, *, commit: bool, progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Check every row (and with `commit`, keep them if and only if not one row was refused)."""
    rows = importer.sheet.rows
    outcome = Outcome(rows=len(rows))
    importer.require()
    with transaction.atomic():
        for i, (number, raw) in enumerate(rows, start=1):
            try:
                values = importer.values_of(raw, number)
                key = importer.duplicate_key(values)
                first = importer.keys_seen.get(key)
                if first is not None:
                    raise DomainError("import.duplicate", _("This row repeats row %(first)s of the file."),
                                      http_status=422, first=first, field="code" if importer.name != "opening"
                                      else "item")
                importer.keys_seen[key] = number
                with transaction.atomic():
                    importer.import_row(values, number)
                outcome.created += 1
            except DomainError as err:
                column = importer.column_of(err)
                if column and "field" in err.data:  # "sale_price is not a number" reads "销售价 不是有效数字"
                    err.display["field"] = column
                outcome.errors.append(RowError(number, column, err.code, err.render_message()))
            if progress is not None:
                progress(i, len(rows))
        if not outcome.errors:
            importer.finish(outcome)
        if outcome.errors or not commit:
            transaction.set_rollback(True)
            outcome.documents = []
            if outcome.errors:
                outcome.created = 0
    return outcome
