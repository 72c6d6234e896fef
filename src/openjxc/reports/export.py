"""Report pages as Excel workbooks, laid out as on the page: the KPI cards, then each table on its own sheet; a
pivot with its two header rows (merged cells over each column value) and its subtotal rows styled.

A cell keeps the exact figure the page shows in its `data-value` (a percentage as 39.6078 with a % format), a
masked cost is "***", a missing figure stays empty.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from openjxc.core.display import EXCEL_MONEY
from openjxc.web.excel import FORMULA_START, XLSX_TYPE

FORMATS = {"money": EXCEL_MONEY, "price": "#,##0.00##", "percent": '0.00"%"', "days": "#,##0.0", "hours": "#,##0.0",
           "times": "0.00", "qty": "#,##0.####", "count": "#,##0"}
HEAD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="E8EEF9")
SUBTOTAL_FILL = PatternFill("solid", fgColor="F3F4F6")
TOTAL_FILL = PatternFill("solid", fgColor="E5E7EB")
THIN = Side(style="thin", color="D0D5DD")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MASK = "***"


def _text(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def put(ws, row: int, col: int, value, unit: str = "text", masked: bool = False):
    cell = ws.cell(row=row, column=col)
    if masked:
        cell.value = MASK
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        cell.value = value
        cell.number_format = FORMATS.get(unit, "General")
    elif value is None:
        cell.value = None
    else:
        cell.value = _text(value)
    return cell


def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "Sheet"
    base, n = name, 2
    while name in taken:
        name, n = f"{base[:25]} {n}", n + 1
    taken.add(name)
    return name


def tables_workbook(title: str, tables, cards=(), period: str = "") -> bytes:
    """The page's KPI cards (with their formulas) and tables, one sheet each."""
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = _sheet_name(title, taken)
    ws.cell(row=1, column=1, value=_text(title)).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=period)
    if cards:
        for col, text in enumerate((_("Figure"), _("Value"), _("Formula")), start=1):
            c = ws.cell(row=4, column=col, value=text)
            c.font, c.fill = HEAD, HEAD_FILL
        for n, card in enumerate(cards, start=5):
            put(ws, n, 1, card.label)
            put(ws, n, 2, card.value, card.unit, card.masked)
            put(ws, n, 3, card.formula)
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 28, 16
        ws.column_dimensions["C"].width = 80
    for table in tables:
        sheet = wb.create_sheet(_sheet_name(table.title, taken))
        heads = [table.head] + [c.label for c in table.cols]
        for col, text in enumerate(heads, start=1):
            c = sheet.cell(row=1, column=col, value=_text(text))
            c.font, c.fill, c.border = HEAD, HEAD_FILL, BOX
            sheet.column_dimensions[get_column_letter(col)].width = 28 if col == 1 else 14
        for n, line in enumerate(table.lines, start=2):
            put(sheet, n, 1, line.label).border = BOX
            for col, c in enumerate(table.cols, start=2):
                put(sheet, n, col, line.values.get(c.key), c.unit, c.masked).border = BOX
            if line.total:
                for col in range(1, len(heads) + 1):
                    sheet.cell(row=n, column=col).font = HEAD
                    sheet.cell(row=n, column=col).fill = TOTAL_FILL
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pivot_workbook(title: str, pivot, period: str = "", progress=None) -> bytes:
    """A pivot laid out as on the page: row dimensions down the left (merged over their two header rows), each
    column value merged over its measures, subtotal and total rows in bold on grey."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(title, set())
    ws.cell(row=1, column=1, value=_text(title)).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=period)
    top = 4
    n_rows = len(pivot.row_heads)
    span = len(pivot.measures)
    for col, text in enumerate(pivot.row_heads, start=1):
        c = ws.cell(row=top, column=col, value=_text(text))
        ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
        ws.column_dimensions[get_column_letter(col)].width = 22
    for g, group in enumerate(pivot.groups):
        first = n_rows + 1 + g * span
        ws.cell(row=top, column=first, value=_text(group.label))
        if span > 1:
            ws.merge_cells(start_row=top, start_column=first, end_row=top, end_column=first + span - 1)
        for i, m in enumerate(pivot.measures):
            ws.cell(row=top + 1, column=first + i, value=_text(m.label))
            ws.column_dimensions[get_column_letter(first + i)].width = 14
    width = n_rows + len(pivot.groups) * span
    for r in (top, top + 1):
        for col in range(1, width + 1):
            c = ws.cell(row=r, column=col)
            c.font, c.fill, c.border = HEAD, HEAD_FILL, BOX
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, line in enumerate(pivot.lines, start=top + 2):
        for col, text in enumerate(line.heads, start=1):
            put(ws, n, col, text).border = BOX
        for i, cell in enumerate(line.cells):
            m = pivot.measures[i % span]
            put(ws, n, n_rows + 1 + i, cell.value, m.unit, m.masked).border = BOX
        if line.kind != "detail":
            for col in range(1, width + 1):
                c = ws.cell(row=n, column=col)
                c.font, c.fill = HEAD, TOTAL_FILL if line.kind == "total" else SUBTOTAL_FILL
        if progress is not None:
            progress(n - top - 1, len(pivot.lines))
    ws.freeze_panes = ws.cell(row=top + 2, column=n_rows + 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(slug: str) -> str:
    return f"{slug}-{timezone.localdate():%Y%m%d}.xlsx"


def download(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
