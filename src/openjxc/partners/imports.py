"""Partners from .xlsx (import page and API): a region named in the file is created when missing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from openjxc.partners import services as partners
from openjxc.partners.models import PartnerKind, Region
from openjxc.web.excel import Field
from openjxc.web.imports import Importer, lookup_or_create

F = Field
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
            region = lookup_or_create(
                self.regions, Region, self.by, values["region"],
                lambda t: partners.create_region(by=self.by, code=t[:32], name=t[:100]))
        extra = {k: values[k] for k in ("contact", "phone", "email", "address", "tax_number", "credit_limit",
                                        "is_active") if values[k] is not None}
        partners.create_partner(by=self.by, code=values["code"], name=values["name"], kind=values["kind"],
                                region=region, **extra)
