"""A till closing on the 80 mm receipt roll (the same roll and font as a document's receipt, printing/)."""

from __future__ import annotations

import io
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _

from openjxc.finance.counter import METHODS
from openjxc.sync.models import TillClosing


def closing_rows(c: TillClosing) -> list[tuple[str, str]]:
    """The closing's figures as (label, value) pairs, in the order a cashier reads them (page and print)."""
    local = timezone.localtime(c.closed_at, zoneinfo.ZoneInfo(c.company.time_zone))
    rows = [
        (_("Number"), c.number),
        (_("Till"), f"{c.terminal.code} {c.terminal.name}"),
        (_("Cashier"), getattr(c.cashier, "display_name", "") or c.cashier.get_username()),
        (_("Closed at"), local.strftime("%Y-%m-%d %H:%M")),
        (_("Sales"), str(c.sales_count)),
        (_("Float"), f"¥{c.opening_float}"),
        (_("Cash sales"), f"¥{c.cash_sales}"),
        (_("Cash refunds"), f"−¥{c.cash_refunds}"),
    ]
    if c.cash_voided:
        rows.append((_("Voided since last closing"), f"−¥{c.cash_voided}"))
    rows += [(_("Expected cash"), f"¥{c.expected}"), (_("Counted cash"), f"¥{c.counted}"),
             (_("Difference"), f"¥{c.difference}")]
    if c.reason:
        rows.append((_("Reason"), c.reason))
    return rows


def method_rows(c: TillClosing) -> list[tuple[str, str]]:
    return [(str(METHODS.get(m, m)), f"¥{v}") for m, v in sorted(c.by_method.items())]


def closing_pdf(c: TillClosing, *, embed_font: bool = True) -> bytes:
    # reportlab (and the receipt layout of printing/documents.py) load with the first PDF, not with the server
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Spacer, Table, TableStyle

    from openjxc.printing.documents import RECEIPT_MARGIN, RECEIPT_WIDTH, wrap_text
    from openjxc.printing.fonts import pdf_font

    font = pdf_font(embed_font)
    width = RECEIPT_WIDTH - 2 * RECEIPT_MARGIN

    def centred(text: str, size: float) -> Table:
        return Table([[wrap_text(text, font, size, width, 2)]], colWidths=[width], style=TableStyle([
            ("FONT", (0, 0), (-1, -1), font, size), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))

    def pairs(rows: list[tuple[str, str]], size: float) -> Table:
        value_w = width * 0.55
        data = [[wrap_text(a, font, size, width - value_w, 2), wrap_text(b, font, size, value_w, 3)] for a, b in rows]
        return Table(data, colWidths=[width - value_w, value_w], style=TableStyle([
            ("FONT", (0, 0), (-1, -1), font, size), ("LEADING", (0, 0), (-1, -1), size + 2),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black, 0, (2, 2))]))

    def story() -> list:
        out = [centred(c.company.name, 11), centred(_("Till closing"), 10), Spacer(1, 2 * mm),
               pairs(closing_rows(c), 8)]
        if c.by_method:
            out += [Spacer(1, 2 * mm), centred(_("Takings by method"), 8), pairs(method_rows(c), 8)]
        out += [Spacer(1, 8 * mm), pairs([(_("Cashier"), "________"), (_("Checked by"), "________")], 8)]
        return out

    height = sum(f.wrap(width, 2000 * mm)[1] for f in story()) + 2 * RECEIPT_MARGIN + 6 * mm
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=(RECEIPT_WIDTH, height), title=c.number, author=c.company.name)
    doc.addPageTemplates([PageTemplate(id="roll", frames=[Frame(
        RECEIPT_MARGIN, RECEIPT_MARGIN, width, height - 2 * RECEIPT_MARGIN, id="body",
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)])])
    doc.build(story())
    return buf.getvalue()
