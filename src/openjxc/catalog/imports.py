"""Items from .xlsx (import page and API): a unit, a category named in the file is created when missing."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Category, Tracking, Unit
from openjxc.core.errors import ValidationFailed
from openjxc.web.excel import Field
from openjxc.web.imports import Importer, lookup_or_create

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
        return lookup_or_create(self.units, Unit, self.by, text,
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
            category = lookup_or_create(
                self.categories, Category, self.by, values["category"],
                lambda t: catalog.create_category(by=self.by, code=t[:32], name=t[:100]))
        extra = {k: values[k] for k in ("spec", "purchase_price", "sale_price", "tax_rate", "tracking",
                                        "shelf_life_days", "is_active") if values[k] is not None}
        barcodes = [b for b in re.split(r"[;；,，\s]+", values["barcodes"] or "") if b]
        catalog.create_item(by=self.by, code=values["code"], name=values["name"],
                            base_unit=self.unit(values["base_unit"]), category=category, barcodes=barcodes,
                            units=units, **extra)
