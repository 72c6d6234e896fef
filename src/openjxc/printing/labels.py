"""Barcode labels of items and lots: one label per PDF page of the label's size, for label printers.

An item's label carries its EAN-13 when its barcode is a valid one, else Code128; a lot's label
carries GS1-128 (GTIN, expiry, lot) when the item has a GTIN, so scanning it fills item, lot and
expiry into a document (catalog.services.lookup_barcode), else the lot code as Code128.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas

from openjxc.core.display import format_unit_amount as price
from openjxc.printing.documents import wrap_text
from openjxc.printing.fonts import pdf_font
from openjxc.printing.label_sizes import SIZES
from openjxc.printing.marks import CODE128, GS1_128, draw_bars, draw_qr, human_text, is_ean13, symbology_for

GS1_LOT_CHARS = set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


@dataclass
class Label:
    title: str
    barcode: str
    symbology: str
    lines: list[str] = field(default_factory=list)
    readable: str = ""  # text under the bars; defaults to the encoded data


def _ascii(text: str) -> bool:
    return bool(text) and all(32 <= ord(c) < 127 for c in text)


def item_gtin(item) -> str:
    """The item's first valid EAN-13 barcode (base unit first), or ''."""
    codes = sorted(item.barcodes.all(), key=lambda b: (b.unit_id is not None, b.pk))
    return next((b.code for b in codes if is_ean13(b.code)), "")


def item_label(item, *, with_price: bool = False) -> Label:
    codes = sorted(item.barcodes.all(), key=lambda b: (b.unit_id is not None, b.pk))
    data = item_gtin(item) or next((b.code for b in codes if _ascii(b.code)), "") or item.code
    lines = [f"{_('Code')} {item.code}" + (f"  {item.spec}" if item.spec else "")]
    if with_price:
        lines.append(f"¥{price(item.sale_price)} / {item.base_unit.name}")
    return Label(title=item.name, barcode=data, symbology=symbology_for(data), lines=lines)


def lot_label(lot) -> Label:
    item = lot.item
    # gettext calls outside f-strings, so makemessages finds them
    lot_word, expires_word, produced_word = _("Lot"), _("Expires"), _("Produced")
    lines = [f"{lot_word} {lot.code}"]
    if lot.expires_on:
        lines.append(f"{expires_word} {lot.expires_on:%Y-%m-%d}")
    if lot.produced_on:
        lines.append(f"{produced_word} {lot.produced_on:%Y-%m-%d}")
    gtin = item_gtin(item)
    if gtin and len(lot.code) <= 20 and set(lot.code) <= GS1_LOT_CHARS:
        data = f"01{gtin.zfill(14)}"
        readable = f"(01){gtin.zfill(14)}"
        if lot.expires_on:
            data += f"17{lot.expires_on:%y%m%d}"
            readable += f"(17){lot.expires_on:%y%m%d}"
        data += f"10{lot.code}"  # variable length: last, so no separator is needed
        readable += f"(10){lot.code}"
        return Label(title=item.name, barcode=data, symbology=GS1_128, lines=lines, readable=readable)
    return Label(title=item.name, barcode=lot.code, symbology=CODE128, lines=lines)


def _draw_label(c, label: Label, width: float, height: float, font: str) -> None:
    margin = 1.5 * mm
    inner = width - 2 * margin
    name_size = min(10.0, height / mm * 0.28)
    info_size = round(name_size * 0.8, 1)
    text_size = max(5.5, round(name_size * 0.72, 1))
    bar_height = height * 0.3
    y = height - margin - name_size
    c.setFont(font, name_size)
    for line in wrap_text(label.title, font, name_size, inner, 2).split("\n"):
        c.drawString(margin, y, line)
        y -= name_size + 1
    bottom = margin + text_size + 1 + bar_height  # top of the bars
    c.setFont(font, info_size)
    for line in label.lines:
        if y - info_size * 0.2 < bottom + 0.8 * mm:
            break  # no room left: the barcode matters more
        c.drawString(margin, y, wrap_text(line, font, info_size, inner, 1))
        y -= info_size + 1
    if _ascii(label.barcode):
        draw_bars(c, margin, margin + text_size + 1, inner, bar_height, label.symbology, label.barcode)
        text = label.readable or human_text(label.symbology, label.barcode)
        while text_size > 4.5 and stringWidth(text, font, text_size) > inner:  # shrink rather than cut the data
            text_size -= 0.25
        c.setFont(font, text_size)
        c.drawCentredString(width / 2, margin, wrap_text(text, font, text_size, inner, 1))
    else:  # Code128 carries ASCII only: a code in Chinese goes into a QR code (UTF-8)
        size = bar_height + text_size
        draw_qr(c, width - margin - size, margin, size, label.barcode, border=1)


def labels_pdf(labels: list[tuple[Label, int]], size: str = "40x30", *, embed_font: bool = True) -> bytes:
    """A PDF with one page per label copy; `size` is a key of SIZES."""
    font = pdf_font(embed_font)
    w, h = SIZES[size]
    width, height = w * mm, h * mm
    out = io.BytesIO()
    c = pdfcanvas.Canvas(out, pagesize=(width, height))
    c.setTitle(_("Labels"))
    for label, copies in labels:
        for _copy in range(copies):
            _draw_label(c, label, width, height, font)
            c.showPage()
    c.save()
    return out.getvalue()
