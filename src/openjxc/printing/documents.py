"""PDF layouts of a document: A4 (header with QR and Code128 on every page, page x of y) and 80 mm receipt."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Spacer, Table, TableStyle

from openjxc.printing.content import Printout
from openjxc.printing.fonts import pdf_font
from openjxc.printing.marks import CODE128, BarcodeFlowable, QRFlowable, draw_bars, draw_qr

A4_MARGIN = 12 * mm
A4_HEADER = 34 * mm
RECEIPT_WIDTH = 80 * mm
RECEIPT_MARGIN = 4 * mm
RECEIPT_MAX_HEIGHT = 2000 * mm  # one continuous page per receipt up to this length (PDF viewers cap ~5 m)
GRID = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#eef1f4")


def _fit(text: str, font: str, size: float, width: float) -> int:
    """How many leading characters of `text` fit in `width` (at least one)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid], font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def wrap_text(text: str, font: str, size: float, width: float, max_lines: int = 3) -> str:
    """Break `text` into lines that fit `width`, at spaces where it can and anywhere in CJK; '…' if cut short."""
    lines: list[str] = []
    for part in simpleSplit(text or "", font, size, width):
        while part:
            cut = _fit(part, font, size, width)
            lines.append(part[:cut])
            part = part[cut:]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return "\n".join(lines)





class _NumberedCanvas(pdfcanvas.Canvas):
    """Holds pages back until the end so each footer can say 'page x of y'."""

    footer_font = "Helvetica"
    footer_template = "%(page)s / %(pages)s"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(self.footer_font, 8)
            self.drawRightString(A4[0] - A4_MARGIN, 8 * mm,
                                 self.footer_template % {"page": self._pageNumber, "pages": total})
            super().showPage()
        super().save()


def _canvas_maker(font: str):
    class Numbered(_NumberedCanvas):
        footer_font = font
        footer_template = _("Page %(page)s of %(pages)s")

    return Numbered


def _a4_page(p: Printout, font: str):
    width, height = A4

    def draw(canvas, doc):
        canvas.saveState()
        top = height - A4_MARGIN
        qr_size = 24 * mm
        draw_qr(canvas, width - A4_MARGIN - qr_size, top - qr_size, qr_size, p.number)
        canvas.setFont(font, 13)
        canvas.drawString(A4_MARGIN, top - 5 * mm, p.company)
        canvas.setFont(font, 7.5)
        for i, extra in enumerate(p.company_lines[:2]):
            canvas.drawString(A4_MARGIN, top - 9.5 * mm - i * 3.2 * mm, extra)
        canvas.setFont(font, 18)
        canvas.drawString(A4_MARGIN, top - 22.5 * mm, p.title)
        canvas.setFont(font, 9)
        canvas.drawString(A4_MARGIN, top - 28 * mm, f"{_('Number')}: {p.number}    {_('Status')}: {p.status}")
        bar_w, bar_h = 62 * mm, 10 * mm
        bar_x = width - A4_MARGIN - qr_size - 3 * mm - bar_w
        draw_bars(canvas, bar_x, top - 16 * mm, bar_w, bar_h, CODE128, p.number, max_module=0.33 * mm)
        canvas.setFont(font, 8)
        canvas.drawCentredString(bar_x + bar_w / 2, top - 19.5 * mm, p.number)
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.8)
        canvas.line(A4_MARGIN, top - A4_HEADER + 3 * mm, width - A4_MARGIN, top - A4_HEADER + 3 * mm)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(A4_MARGIN, 8 * mm, f"{p.company} · {p.number} · {p.printed}")
        if not p.is_final:  # a draft or voided document must never pass for a real one
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.setFont(font, 72)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, p.status)
        canvas.restoreState()

    return draw


def _a4_lines_table(p: Printout, font: str, content_width: float) -> Table:
    fixed = {"no": 9 * mm, "code": 24 * mm, "lot": 28 * mm, "qty": 20 * mm, "unit": 12 * mm}
    cols = [("no", "#"), ("code", _("Code")), ("name", _("Item")), ("lot", _("Lot")),
            ("qty", _("Quantity")), ("unit", _("Unit"))]
    if p.show_prices:
        cols += [("price", _("Unit price")), ("amount", _("Amount"))]
        fixed |= {"price": 20 * mm, "amount": 24 * mm}
    if p.show_costs:
        cols.append(("cost", _("Cost")))
        fixed["cost"] = 22 * mm
    name_width = content_width - sum(fixed[k] for k, _label in cols if k in fixed)
    widths = [fixed.get(k, name_width) for k, _label in cols]
    size = 8.5
    pad = 2 * 2.5
    data = [[label for _key, label in cols]]
    for ln in p.lines:
        row = {
            "no": str(ln.no), "code": wrap_text(ln.code, font, size, fixed["code"] - pad, 2),
            "name": wrap_text(ln.name, font, size, name_width - pad), "lot": wrap_text(ln.lot, font, size, fixed["lot"] - pad, 2),
            "qty": ln.quantity, "unit": ln.unit, "price": ln.price, "amount": ln.amount, "cost": ln.cost,
        }
        data.append([row[k] for k, _label in cols])
    total = {"name": _("Total"), "qty": p.total_quantity, "amount": p.total_amount, "cost": p.total_cost}
    data.append([total.get(k, "") for k, _label in cols])
    keys = [k for k, _label in cols]
    right = [keys.index(k) for k in ("qty", "price", "amount", "cost") if k in keys]
    style = [
        ("FONT", (0, 0), (-1, -1), font, size),
        ("LEADING", (0, 0), (-1, -1), size + 2),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, GRID),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ("TEXTCOLOR", (0, 1), (0, -1), colors.HexColor("#555555")),
    ]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right]
    return Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style))


def _facts_table(p: Printout, font: str, content_width: float) -> Table:
    cells, row = [], []
    label_w, value_w = 24 * mm, content_width / 2 - 24 * mm
    for label, value in p.facts:
        row += [label, wrap_text(value, font, 9, value_w - 4, 3)]
        if len(row) == 4:
            cells.append(row)
            row = []
    if row:
        cells.append(row + ["", ""])
    return Table(cells, colWidths=[label_w, value_w, label_w, value_w], style=TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#555555")),
        ("TEXTCOLOR", (2, 0), (2, -1), colors.HexColor("#555555")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))


def _signatures(p: Printout, font: str, content_width: float) -> Table:
    cells = [f"{label}: ____________" for label in p.signatures]
    return Table([cells], colWidths=[content_width / len(cells)] * len(cells), style=TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))


def a4_pdf(p: Printout, *, embed_font: bool = True) -> bytes:
    """The A4 printout: company header, number as Code128 and QR, and page numbers on every page."""
    font = pdf_font(embed_font)
    out = io.BytesIO()
    width, height = A4
    content_width = width - 2 * A4_MARGIN
    doc = BaseDocTemplate(out, pagesize=A4, title=f"{p.title} {p.number}", author=p.company,
                          leftMargin=A4_MARGIN, rightMargin=A4_MARGIN, topMargin=A4_MARGIN + A4_HEADER,
                          bottomMargin=14 * mm)
    frame = Frame(A4_MARGIN, 14 * mm, content_width, height - A4_MARGIN - A4_HEADER - 14 * mm, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_a4_page(p, font))])
    story = [
        _facts_table(p, font, content_width), Spacer(1, 4 * mm),
        _a4_lines_table(p, font, content_width), Spacer(1, 10 * mm),
        _signatures(p, font, content_width),
    ]
    doc.build(story, canvasmaker=_canvas_maker(font))
    return out.getvalue()


def _receipt_story(p: Printout, font: str, width: float) -> list:
    def centred(text: str, size: float) -> Table:
        return Table([[wrap_text(text, font, size, width, 3)]], colWidths=[width], style=TableStyle([
            ("FONT", (0, 0), (-1, -1), font, size), ("LEADING", (0, 0), (-1, -1), size + 2),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]))

    def pairs(rows: list[tuple[str, str]], size: float, *, rule_above=False) -> Table:
        style = [
            ("FONT", (0, 0), (-1, -1), font, size), ("LEADING", (0, 0), (-1, -1), size + 2),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
        if rule_above:
            style.append(("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black, 0, (2, 2)))
        value_w = width * 0.64
        data = [[label, wrap_text(value, font, size, value_w, 3)] for label, value in rows]
        return Table(data, colWidths=[width - value_w, value_w], style=TableStyle(style))

    size = 8
    story: list = [centred(p.company, 11), *[centred(x, 7) for x in p.company_lines[:2]], centred(p.title, 10)]
    if not p.is_final:
        story.append(centred(f"— {p.status} —", 10))
    story.append(pairs([(_("Number"), p.number), *p.facts[:4]], 7.5))
    story.append(Spacer(1, 2 * mm))
    # each line: the item on its own row, then quantity × price and the amount
    data, style = [], [
        ("FONT", (0, 0), (-1, -1), font, size), ("LEADING", (0, 0), (-1, -1), size + 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black, 0, (2, 2)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black, 0, (2, 2)),
    ]
    data.append([_("Item"), _("Amount") if p.show_prices else _("Quantity")])
    for ln in p.lines:
        r = len(data)
        data.append([wrap_text(f"{ln.name} {ln.code}", font, size, width, 2), ""])
        style.append(("SPAN", (0, r), (1, r)))
        detail = f"  {ln.quantity} {ln.unit}"
        if p.show_prices:
            detail += f" × {ln.price}"
        if ln.lot:
            detail += f"  {_('Lot')} {ln.lot}"
        data.append([wrap_text(detail, font, size - 0.5, width * 0.7, 2), ln.amount if p.show_prices else ""])
        style.append(("TEXTCOLOR", (0, r + 1), (0, r + 1), colors.HexColor("#333333")))
    story.append(Table(data, colWidths=[width * 0.7, width * 0.3], repeatRows=1, style=TableStyle(style)))
    totals = [(_("Total quantity"), p.total_quantity)]
    if p.show_prices:
        totals.append((_("Total amount"), f"¥{p.total_amount}"))
    story.append(pairs(totals, 9, rule_above=True))
    story += [
        Spacer(1, 3 * mm),
        BarcodeFlowable(p.number, width, 10 * mm, font=font, symbology=CODE128, max_module=0.3 * mm),
        Spacer(1, 2 * mm),
        _CentredQR(p.number, 22 * mm, width),
        Spacer(1, 1 * mm),
        centred(p.printed, 6.5),
    ]
    return story


class _CentredQR(QRFlowable):
    def __init__(self, data: str, size: float, width: float):
        super().__init__(data, size)
        self.box_width = width

    def wrap(self, avail_width, avail_height):
        return self.box_width, self.size

    def draw(self):
        self.canv.translate((self.box_width - self.size) / 2, 0)
        super().draw()


def receipt_pdf(p: Printout, *, embed_font: bool = True) -> bytes:
    """The 80 mm roll printout: one page as long as its content (up to RECEIPT_MAX_HEIGHT, then more pages)."""
    font = pdf_font(embed_font)
    width = RECEIPT_WIDTH - 2 * RECEIPT_MARGIN
    story = _receipt_story(p, font, width)
    content = sum(f.wrap(width, RECEIPT_MAX_HEIGHT)[1] for f in story)
    height = min(RECEIPT_MAX_HEIGHT, content + 2 * RECEIPT_MARGIN + 6 * mm)
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=(RECEIPT_WIDTH, height), title=f"{p.title} {p.number}", author=p.company)
    frame = Frame(RECEIPT_MARGIN, RECEIPT_MARGIN, width, height - 2 * RECEIPT_MARGIN, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="roll", frames=[frame])])
    doc.build(_receipt_story(p, font, width))  # fresh flowables: wrapping above may have cached split state
    return out.getvalue()
