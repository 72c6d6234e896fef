"""Spreadsheets: reading an uploaded .xlsx into rows, writing templates, and exporting any list to .xlsx.

A list view declares its columns once as a `ListExport` and calls `export_list(request, spec, rows)` when
`wants_export(request)`; small lists download at once, big querysets become a background job (web/jobs.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import display
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.web import sheet_reader

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200_000  # an import larger than this is refused before any work
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000  # a workbook has a few dozen parts
MAX_RATIO = 200  # real sheets compress 5-50 times; a bomb thousands of times
RATIO_FROM_BYTES = 1024 * 1024  # small parts (styles, a sheet of one repeated cell) may compress more
LANGUAGES = ("en", "zh-hans")


class UnreadableFile(DomainError):
    code = "import.unreadable"
    http_status = 400
    message = gettext_lazy("The file cannot be read as an Excel workbook (.xlsx): %(reason)s")


# ---------------------------------------------------------------- columns of an import


@dataclass(frozen=True)
class Field:
    """One column of an import template: its key, its label (in the user's language), how to read it."""

    key: str
    label: object  # lazy text
    kind: str = "text"  # text | decimal | int | date | bool
    required: bool = False
    hint: object = ""
    choices: tuple = ()  # accepted values (stored value, lazy label) for enumerations
    width: int = 14

    def header_names(self) -> set[str]:
        """Every header under which this column is recognised: its key and its label in each language."""
        names = {_norm(self.key)}
        for lang in LANGUAGES:
            with translation.override(lang):
                names.add(_norm(str(self.label)))
        return names


def _norm(text) -> str:
    return re.sub(r"[\s*＊:：()（）]+", "", str(text or "")).lower()


def choice_value(value: str, choices: tuple) -> str | None:
    """A stored choice from what a person typed: the value itself or its label in either language."""
    wanted = _norm(value)
    for stored, label in choices:
        names = {_norm(stored)}
        for lang in LANGUAGES:
            with translation.override(lang):
                names.add(_norm(str(label)))
        if wanted in names:
            return stored
    return None


# ---------------------------------------------------------------- reading


@dataclass
class Sheet:
    """The data of an uploaded workbook: which column holds which field, and the rows (with their numbers)."""

    columns: dict[str, str]  # field key -> header as written in the file
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (row number in Excel, {key: raw value})


def check_upload(data: bytes) -> None:
    """Refuse a file that is not an .xlsx, or would unpack to too much, from its zip directory alone: nothing is
    decompressed. An .xlsx is a zip; a decompression bomb (1 MB that unpacks to a 1 GB shared string) shows in the
    sizes its directory declares, and openpyxl's reader refuses a part larger than declared (zipfile checks)."""
    if not data:
        raise UnreadableFile(reason=_("the file is empty"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableFile(reason=_("the file is larger than 50 MB"))
    if not data.startswith(b"PK"):
        raise UnreadableFile(reason=_("it is not an .xlsx file (an old .xls, a CSV or another kind of file?)"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile(reason=exc.__class__.__name__) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnreadableFile(reason=_("it holds more than %(n)s parts") % {"n": MAX_ZIP_ENTRIES})
    total = sum(e.file_size for e in entries)
    limit = settings.JXC_IMPORT_MAX_UNPACKED_MB * 1024 * 1024
    if total > limit:
        raise DomainError("import.too_large", _("The file would unpack to %(size)s MB; at most %(max)s MB are "
                                                "accepted."), http_status=413,
                          size=total // (1024 * 1024), max=settings.JXC_IMPORT_MAX_UNPACKED_MB)
    for e in entries:
        if e.file_size > RATIO_FROM_BYTES and e.file_size > MAX_RATIO * max(e.compress_size, 1):
            raise DomainError("import.too_large", _("A part of the file is compressed %(ratio)s times: refused as "
                                                    "a decompression bomb."), http_status=413,
                              ratio=e.file_size // max(e.compress_size, 1), part=e.filename)


def _rows_here(data: bytes):
    """The non-empty rows, read in this process."""
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        yield from sheet_reader.iter_rows(data)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise UnreadableFile(reason=exc.__class__.__name__) from None


def _rows_in_child(data: bytes, memory_mb: int) -> list:
    """The non-empty rows, read by a child process capped at `memory_mb` (web/sheet_reader.py)."""
    answer = sheet_reader.rows_capped(data, memory_mb=memory_mb, max_rows=MAX_ROWS + 2)
    if answer[0] == "rows":
        return answer[1]
    if answer[0] == "memory":
        raise DomainError("import.memory_limit", _("Reading the file needed more than %(max)s MB of memory: it was "
                                                   "refused. Split it into smaller files."),
                          http_status=413, max=memory_mb)
    if answer[0] == "cell_too_long":
        raise DomainError("import.cell_too_long", _("Row %(row)s has a cell longer than %(max)s characters."),
                          http_status=422, row=answer[1], max=sheet_reader.MAX_CELL_CHARS)
    if answer[0] == "timeout":
        raise UnreadableFile(reason=_("reading it took too long"))
    raise UnreadableFile(reason=answer[1])


def read_sheet(data: bytes, fields: list[Field], *, memory_mb: int | None = None) -> Sheet:
    """The first sheet of an .xlsx: the first non-empty row is the header; a missing required column refuses.

    With `memory_mb` (the import worker: settings.JXC_IMPORT_MEMORY_MB) the file is parsed in a child process
    whose memory is capped at that much, so a crafted file fails alone (`import.memory_limit`)."""
    check_upload(data)
    rows = _rows_here(data) if memory_mb is None else _rows_in_child(data, memory_mb)
    by_name = {name: f for f in fields for name in f.header_names()}
    positions: dict[int, Field] = {}
    sheet: Sheet | None = None
    try:
        for number, values in rows:
            if sheet is None:
                for col, value in enumerate(values):
                    f = by_name.get(_norm(value))
                    if f is not None and f.key not in {p.key for p in positions.values()}:
                        positions[col] = f
                sheet = Sheet(columns={f.key: str(values[c]).strip() for c, f in positions.items()})
                missing = [f for f in fields if f.required and f.key not in sheet.columns]
                if missing:
                    raise DomainError(
                        "import.columns_missing",
                        _("The header row (row %(row)s) lacks the required columns: %(columns)s."),
                        http_status=422, row=number, columns=", ".join(str(f.label) for f in missing),
                    )
                continue
            if len(sheet.rows) >= MAX_ROWS:
                raise DomainError("import.too_many_rows", _("The file has more than %(max)s rows."),
                                  http_status=422, max=MAX_ROWS)
            sheet.rows.append((number, {positions[c].key: values[c] for c in positions if c < len(values)}))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise UnreadableFile(reason=exc.__class__.__name__) from None
    if sheet is None:
        raise DomainError("import.empty", _("The file holds no header row and no data."), http_status=422)
    return sheet


def cell_text(value) -> str:
    """A cell as text; numbers typed into text columns (codes, barcodes) lose Excel's ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value).strip()


def convert(f: Field, value):
    """A raw cell as the field's type; refuses with ValidationFailed (the services' own error) naming the column."""
    text = cell_text(value)
    if text == "":
        if f.required:
            raise ValidationFailed(field=f.key, reason=_("is required"))
        return None
    if f.kind == "text":
        return text
    if f.kind in ("decimal", "int"):
        try:
            d = Decimal(str(value)) if isinstance(value, int | float | Decimal) else Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValidationFailed(field=f.key, reason=_("is not a number")) from None
        if not d.is_finite():
            raise ValidationFailed(field=f.key, reason=_("is not a number"))
        if isinstance(value, float):  # 0.1 + 0.2 typed in Excel: keep what a person sees
            d = Decimal(repr(value))
        if f.kind == "int":
            if d != d.to_integral_value():
                raise ValidationFailed(field=f.key, reason=_("must be a whole number"))
            return int(d)
        return d
    if f.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValidationFailed(field=f.key, reason=_("is not a date (write 2026-11-24)"))
    if f.kind == "bool":
        low = text.lower()
        if low in ("1", "y", "yes", "true", "是", "启用", "有效", "x", "✓"):
            return True
        if low in ("0", "n", "no", "false", "否", "停用", "无效"):
            return False
        raise ValidationFailed(field=f.key, reason=_("must be yes or no"))
    if f.kind == "choice":
        stored = choice_value(text, f.choices)
        if stored is None:
            accepted = " / ".join(str(label) for _v, label in f.choices)
            raise ValidationFailed(field=f.key, reason=_("must be one of: %(accepted)s") % {"accepted": accepted})
        return stored
    raise AssertionError(f.kind)


# ---------------------------------------------------------------- templates


def template_workbook(title: str, fields: list[Field], example: list[dict] = ()) -> bytes:
    """A template: the header row in the active language (required columns marked *, a comment with the hint
    on each), an example row or two, and a second sheet explaining every column."""
    # openpyxl is imported here and in the other writers, not with the module: ~21 MB that a server process which
    # makes no workbook need not hold (issue 15: server RSS)
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    header_font = Font(bold=True)
    header_fill, required_fill = PatternFill("solid", fgColor="DDEBF7"), PatternFill("solid", fgColor="FCE4D6")
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for col, f in enumerate(fields, start=1):
        cell = ws.cell(row=1, column=col, value=f"{f.label}{' *' if f.required else ''}")
        cell.font = header_font
        cell.fill = required_fill if f.required else header_fill
        note = _hint(f)
        if note:
            cell.comment = Comment(note, "OpenJXC", width=260, height=110)
        ws.column_dimensions[get_column_letter(col)].width = max(f.width, len(str(f.label)) * 2 + 4)
        if f.choices:
            options = ",".join(str(label) for _v, label in f.choices)
            dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=not f.required)
            dv.add(f"{get_column_letter(col)}2:{get_column_letter(col)}{MAX_ROWS}")
            ws.add_data_validation(dv)
    for r, row in enumerate(example, start=2):
        for col, f in enumerate(fields, start=1):
            ws.cell(row=r, column=col, value=row.get(f.key))
    ws.freeze_panes = "A2"
    info = wb.create_sheet(_("Instructions")[:31])
    info.append([_("Column"), _("Required"), _("How to fill it in")])
    for c in info[1]:
        c.font = header_font
    for f in fields:
        info.append([str(f.label), _("yes") if f.required else "", _hint(f)])
    info.append([])
    info.append([_("Delete the example rows before importing. Headers may be in Chinese or English.")])
    info.column_dimensions["A"].width = 22
    info.column_dimensions["C"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _hint(f: Field) -> str:
    parts = [str(f.hint)] if f.hint else []
    if f.choices:
        parts.append(_("One of: %(values)s") % {"values": " / ".join(str(label) for _v, label in f.choices)})
    if f.kind == "date":
        parts.append(_("A date, e.g. 2026-11-24"))
    if f.kind == "bool":
        parts.append(_("Yes or no (1/0); empty means yes"))
    return "; ".join(parts)


# ---------------------------------------------------------------- exports


@dataclass(frozen=True)
class Column:
    """One column of an exported list: a header and where the value comes from ("item.code" or a function)."""

    label: object
    value: str | Callable
    kind: str = "text"  # text | number | quantity | money | price (a unit price or cost) | date | datetime
    width: int = 14
    permission: str = ""  # shown only to users allowed this action (e.g. "stock.cost" for values)

    def get(self, row):
        if callable(self.value):
            return self.value(row)
        obj = row
        for part in self.value.split("."):
            if obj is None:
                return None
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if callable(obj):  # get_status_display and friends
            obj = obj()
        return obj


EXPORTS: dict[str, ListExport] = {}


@dataclass(frozen=True)
class ListExport:
    """A list's columns, declared once; registered by name so a background job can rebuild the file."""

    name: str  # file name and registry key: "items"
    title: object  # sheet title
    columns: tuple[Column, ...]
    inline_limit: int = 5000  # bigger querysets are exported by a background job with progress
    prepare: Callable | None = None  # queryset -> queryset: select/prefetch what the columns read
    # exportable through the API (/api/excel/exports/<name>) when it says which rows a caller gets:
    # (user, filters with kind / status / warehouse) -> queryset, after the caller passed `api_permission`
    api_rows: Callable | None = None
    api_permission: str = "masterdata.view"

    def __post_init__(self):
        EXPORTS[self.name] = self

    def columns_for(self, user) -> tuple[Column, ...]:
        from openjxc.core import permissions

        return tuple(c for c in self.columns if not c.permission or permissions.allowed(user, c.permission))


# how a person reads the number (core/display.py); the cell keeps the exact value. Quantities and plain numbers
# use Excel's General format, which shows 12 and 1.5 without trailing zeros.
NUMBER_FORMATS = {"money": lambda value: display.EXCEL_MONEY, "price": display.excel_unit_amount_format}


def _cell(ws, col: Column, row, write_only_cell):
    value = col.get(row)
    if value is None:
        return None
    if isinstance(value, Decimal):
        if col.kind in NUMBER_FORMATS:
            cell = write_only_cell(ws, value=value)
            cell.number_format = NUMBER_FORMATS[col.kind](value)
            return cell
        return value  # openpyxl writes Decimal as a number
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, bool | int | float | dt.date):
        return value
    return str(value)


# a text starting with one of these is a formula (or becomes one when edited) in Excel, WPS and LibreOffice
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(ws, value):
    """A value someone typed (a name, a memo) as plain text, never a formula that runs when the file opens:
    stored as a string with Excel's quote prefix, so editing the cell keeps it text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def write_list(spec: ListExport, rows: Iterable, *, user, on_row: Callable[[int], None] | None = None) -> bytes:
    """The rows as an .xlsx (streamed: write-only worksheets keep memory flat on 100,000 rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    columns = spec.columns_for(user)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(spec.title)[:31])
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    ws.append([str(c.label) for c in columns])
    n = 0
    for row in rows:
        ws.append([as_text(ws, _cell(ws, c, row, WriteOnlyCell)) for c in columns])
        n += 1
        if on_row is not None:
            on_row(n)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_filename(spec: ListExport) -> str:
    return f"{spec.name}-{timezone.localdate():%Y%m%d}.xlsx"


def wants_export(request) -> bool:
    """The list page was asked for its rows as .xlsx (the Export button adds `export=xlsx`)."""
    return request.GET.get("export") == "xlsx"


def export_list(request, spec: ListExport, rows):
    """Answer a list's Export button: the .xlsx at once, or for a big queryset a background job with progress."""
    from django.db.models import QuerySet
    from django.http import HttpResponse
    from django.shortcuts import redirect

    from openjxc.web import jobs

    if isinstance(rows, QuerySet):
        if spec.prepare is not None:
            rows = spec.prepare(rows)
        if rows.count() > spec.inline_limit:
            job = jobs.start_export(by=request.user, spec=spec, queryset=rows)
            return redirect("web:job", pk=job.pk)
        rows = rows.iterator(chunk_size=2000)
    response = HttpResponse(write_list(spec, rows, user=request.user), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(spec)}"'
    return response
