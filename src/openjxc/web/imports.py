"""Imports from .xlsx: the shared run of an import, whatever it imports; the apps register their importers.

Every row goes through the same service a person's form uses, in a savepoint of one transaction, so a bad
row is refused with the service's own DomainError (row number, column, message) and the good rows see each
other (a barcode used twice in the file is caught by the service). The check (dry run) and the real import
are the same run: the check always rolls back; the import commits only when not one row was refused.
The importers: items (catalog/imports.py), partners (partners/imports.py), opening stock (documents/imports.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.web.excel import Field, Sheet, convert


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


class Rollback(Exception):
    """Raised inside a savepoint to undo a row that was only being checked."""


class Importer:
    """One kind of import: its columns (`fields`), a row through the service a form uses (`import_row`), and
    what is done once every row passed (`finish`). An app registers its importers with `register_importer`."""

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


def lookup_or_create(cache: dict, model, by, text: str, create: Callable):
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


# the imports a person may choose from, by name, in the order the apps registered them
IMPORTERS: dict[str, type[Importer]] = {}


def register_importer(importer: type[Importer]) -> None:
    IMPORTERS[importer.name] = importer


def field_label(fields: list[Field], key: str):
    """The header of column `key` (an export with the import's headers imports again as is)."""
    return next(f.label for f in fields if f.key == key)


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
