"""Opening stock from .xlsx (import page and API), posted as opening documents."""

from __future__ import annotations

import re
from functools import cached_property

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.core.models import User
from openjxc.documents import services as documents
from openjxc.documents.kinds import get_kind
from openjxc.documents.services import MAX_LINES, LineInput
from openjxc.stock.models import Warehouse
from openjxc.web.excel import Field
from openjxc.web.imports import Importer, Outcome, Rollback, RowError

F = Field
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

    def __init__(self, by: User, sheet):
        super().__init__(by, sheet)
        self.lines: dict[int, list[tuple[int, LineInput]]] = {}  # warehouse id -> [(row, line)]

    @cached_property
    def warehouses(self) -> dict[str, Warehouse]:
        """The company's warehouses by code and by name, read at the first row (not to ask who may import)."""
        out: dict[str, Warehouse] = {}
        for wh in Warehouse.objects.filter(company_id=self.by.company_id):
            out.setdefault(wh.code.lower(), wh)
            out.setdefault(wh.name.lower(), wh)
        return out

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
                raise Rollback
        except Rollback:
            pass
        assert wh is not None  # an unknown warehouse was refused by the service above
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
