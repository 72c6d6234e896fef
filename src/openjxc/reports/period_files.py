"""The weekly / monthly report as files: a PDF (reportlab, the printing app's CJK font, charts drawn as vector
images with reportlab.graphics) and an XLSX workbook (openpyxl: a summary sheet, one sheet per section with its
chart's data, one per top-movers table; no row caps; text guarded against formula injection like every export).
Both render the one `PeriodReport` the page shows.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from openjxc.printing.fonts import pdf_font
from openjxc.reports.export import MASK, _sheet_name, _text, put, styles
from openjxc.reports.period_report import PeriodReport
from openjxc.reports.templatetags.reportfig import fig

PALETTE = (colors.HexColor("#2563eb"), colors.HexColor("#9ca3af"))
GRID = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#eef1f4")
MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN


def slug(report: PeriodReport) -> str:
    return f"{report.period.kind}ly-report-{report.period.start:%Y%m%d}"


def _change(f) -> str:
    if f.masked:
        return MASK
    if f.change is None:
        return "—"
    text = ("+" if f.change > 0 else "") + fig(f.change, f.unit).replace("%", "")
    if f.unit == "percent":
        text += " pt"
    if f.change_pct is not None:
        text += f" ({'+' if f.change_pct > 0 else ''}{f.change_pct}%)"
    return text


def _value(value, unit: str, masked: bool) -> str:
    return MASK if masked else fig(value, unit)


# ---------------------------------------------------------------- PDF


def _chart(payload: dict, font: str) -> Drawing:
    """A chart payload of the page (period_report: this period against the previous) as grouped bars."""
    height = 58 * mm
    d = Drawing(WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 14 * mm, 14 * mm, WIDTH - 20 * mm, height - 24 * mm
    chart.data = [[0 if v is None else v for v in s["data"]] for s in payload["series"]]
    chart.categoryAxis.categoryNames = list(payload["categories"])
    many = len(payload["categories"]) > 8
    chart.categoryAxis.labelAxisMode = "low"  # the day labels below the chart, clear of bars under zero
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 5 if many else 7
    chart.categoryAxis.labels.angle = 90 if many else 0
    chart.categoryAxis.labels.boxAnchor = "e" if many else "n"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.forceZero = True
    chart.barSpacing = 0.5
    chart.groupSpacing = 2
    for i, colour in enumerate(PALETTE[:len(chart.data)]):
        chart.bars[i].fillColor = colour
        chart.bars[i].strokeColor = None
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = WIDTH - 60 * mm, height - 4 * mm
    legend.fontName, legend.fontSize = font, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(PALETTE[i], s["name"]) for i, s in enumerate(payload["series"][:2])]
    d.add(legend)
    d.add(String(0, height - 4 * mm, payload["title"], fontName=font, fontSize=8))
    return d


def _grid(rows: list[list], widths: list[float], font: str) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def pdf(report: PeriodReport) -> bytes:
    """The report as an A4 PDF: title, summary, each section's figures and chart, the top movers."""
    font = pdf_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=20, spaceAfter=4)
    head = ParagraphStyle("h", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=report.title, author=report.company)
    story: list = [Paragraph(f"{report.company} · {report.title}", title),
                   Paragraph(_("%(period)s, compared with %(previous)s")
                             % {"period": report.period.label(), "previous": report.previous.label()}, body),
                   Paragraph(_("What changed most"), head)]
    story += [Paragraph("• " + line, body) for line in report.summary_in(get_language())]
    heads = [_("Figure"), _("This period"), _("Previous period"), _("Change")]
    for section in report.sections:
        rows = [heads] + [[Paragraph(f.label, body), _value(f.value, f.unit, f.masked),
                           _value(f.previous, f.unit, f.masked), _change(f)] for f in section.figures]
        block = [Paragraph(section.title, head), _grid(rows, [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2],
                                                       font)]
        if section.chart:
            block += [Spacer(1, 3 * mm), _chart(section.chart, font)]
        story.append(KeepTogether(block))
    for table in report.movers:
        rows = [[_("Name"), _("This period"), _("Previous period"), _("Change")]]
        rows += [[Paragraph(m.label, body), fig(m.value, table.unit), fig(m.previous, table.unit),
                  fig(m.change, table.unit)] for m in table.rows]
        story.append(KeepTogether([Paragraph(table.title, head),
                                   _grid(rows, [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2], font)]))
    doc.build(story)
    return out.getvalue()


# ---------------------------------------------------------------- XLSX


def xlsx(report: PeriodReport) -> bytes:
    """The report as a workbook: the summary, one sheet per section (figures, then its chart's data), one per
    top-movers table."""
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = _sheet_name(_("Summary"), taken)
    st = styles()
    ws.cell(row=1, column=1, value=_text(f"{report.company} · {report.title}")).font = st.title
    ws.cell(row=2, column=1, value=_text(_("%(period)s, compared with %(previous)s")
                                         % {"period": report.period.label(), "previous": report.previous.label()}))
    row = 4
    for lang in ("zh", "en"):
        for line in report.summary[lang]:
            put(ws, row, 1, line)
            row += 1
        row += 1
    ws.column_dimensions["A"].width = 90
    heads = [_("Figure"), _("This period"), _("Previous period"), _("Change"), _("Change %"), _("Formula")]
    for section in report.sections:
        sheet = wb.create_sheet(_sheet_name(section.title, taken))
        for col, text in enumerate(heads, start=1):
            c = sheet.cell(row=1, column=col, value=_text(text))
            c.font, c.fill = st.head, st.head_fill
        for n, f in enumerate(section.figures, start=2):
            put(sheet, n, 1, f.label)
            put(sheet, n, 2, f.value, f.unit, f.masked)
            put(sheet, n, 3, f.previous, f.unit, f.masked)
            put(sheet, n, 4, f.change, f.unit, f.masked)
            put(sheet, n, 5, f.change_pct, "percent", f.masked)
            put(sheet, n, 6, f.formula)
        sheet.column_dimensions["A"].width, sheet.column_dimensions["F"].width = 36, 80
        for col in "BCDE":
            sheet.column_dimensions[col].width = 16
        if section.chart:
            top = len(section.figures) + 3
            chart = section.chart
            put(sheet, top, 1, chart["title"]).font = st.head
            for col, s in enumerate(chart["series"], start=2):
                put(sheet, top + 1, col, s["name"]).font = st.head
            for i, category in enumerate(chart["categories"]):
                put(sheet, top + 2 + i, 1, category)
                for col, s in enumerate(chart["series"], start=2):
                    value = s["data"][i]
                    put(sheet, top + 2 + i, col, None if value is None else Decimal(str(value)), chart["unit"])
    for table in report.movers:
        sheet = wb.create_sheet(_sheet_name(table.title, taken))
        for col, text in enumerate((_("Name"), _("This period"), _("Previous period"), _("Change")), start=1):
            c = sheet.cell(row=1, column=col, value=_text(text))
            c.font, c.fill = st.head, st.head_fill
        for n, m in enumerate(table.rows, start=2):
            put(sheet, n, 1, m.label)
            put(sheet, n, 2, m.value, table.unit)
            put(sheet, n, 3, m.previous, table.unit)
            put(sheet, n, 4, m.change, table.unit)
        sheet.column_dimensions["A"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
