"""Report pages as Excel workbooks, laid out as on the page: the KPI cards, then each table on its own sheet; a
pivot with its two header rows (merged cells over each column value) and its subtotal rows styled.

A cell keeps the exact figure the page shows in its `data-value` (a percentage as 39.6078 with a % format), a
masked cost is "***", a missing figure stays empty.
"""

from __future__ import annotations

import functools
import io
import re
from decimal import Decimal
from types import SimpleNamespace

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from openjxc.core.display import EXCEL_MONEY
from openjxc.web.excel import FORMULA_START, XLSX_TYPE

FORMATS = {"money": EXCEL_MONEY, "price": "#,##0.00##", "percent": '0.00"%"', "days": "#,##0.0", "hours": "#,##0.0",
           "times": "0.00", "qty": "#,##0.####", "count": "#,##0"}


@functools.cache
def styles() -> SimpleNamespace:
    """The workbooks' fonts, fills and borders. openpyxl is imported on the first export, not with the module:
    ~21 MB that a server process which makes no workbook need not hold (issue 15: server RSS)."""
    from openpyxl.styles import Border, Font, PatternFill, Side

    thin = Side(style="thin", color="D0D5DD")
    return SimpleNamespace(
        head=Font(bold=True), title=Font(bold=True, size=13), head_fill=PatternFill("solid", fgColor="E8EEF9"),
        subtotal_fill=PatternFill("solid", fgColor="F3F4F6"), total_fill=PatternFill("solid", fgColor="E5E7EB"),
        box=Border(left=thin, right=thin, top=thin, bottom=thin),
    )
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
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    st = styles()
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = _sheet_name(title, taken)
    ws.cell(row=1, column=1, value=_text(title)).font = st.title
    ws.cell(row=2, column=1, value=period)
    if cards:
        for col, text in enumerate((_("Figure"), _("Value"), _("Formula")), start=1):
            c = ws.cell(row=4, column=col, value=text)
            c.font, c.fill = st.head, st.head_fill
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
            c.font, c.fill, c.border = st.head, st.head_fill, st.box
            sheet.column_dimensions[get_column_letter(col)].width = 28 if col == 1 else 14
        for n, line in enumerate(table.lines, start=2):
            put(sheet, n, 1, line.label).border = st.box
            for col, c in enumerate(table.cols, start=2):
                put(sheet, n, col, line.values.get(c.key), c.unit, c.masked).border = st.box
            if line.total:
                for col in range(1, len(heads) + 1):
                    sheet.cell(row=n, column=col).font = st.head
                    sheet.cell(row=n, column=col).fill = st.total_fill
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pivot_workbook(title: str, pivot, period: str = "", progress=None) -> bytes:
    """A pivot laid out as on the page: row dimensions down the left (merged over their two header rows), each
    column value merged over its measures, subtotal and total rows in bold on grey."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    st = styles()
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(title, set())
    ws.cell(row=1, column=1, value=_text(title)).font = st.title
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
            c.font, c.fill, c.border = st.head, st.head_fill, st.box
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, line in enumerate(pivot.lines, start=top + 2):
        for col, text in enumerate(line.heads, start=1):
            put(ws, n, col, text).border = st.box
        for i, cell in enumerate(line.cells):
            m = pivot.measures[i % span]
            put(ws, n, n_rows + 1 + i, cell.value, m.unit, m.masked).border = st.box
        if line.kind != "detail":
            for col in range(1, width + 1):
                c = ws.cell(row=n, column=col)
                c.font, c.fill = st.head, st.total_fill if line.kind == "total" else st.subtotal_fill
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
