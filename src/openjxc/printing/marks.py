"""Barcodes and QR codes drawn as vector bars on a reportlab canvas.

python-barcode encodes (EAN-13, Code128, GS1-128) and segno encodes QR; here we only paint the
modules they give us, as filled runs, so a thermal printer gets crisp edges at any size.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

EAN13 = "ean13"
CODE128 = "code128"
GS1_128 = "gs1_128"
QUIET_MODULES = {EAN13: (11, 7), CODE128: (10, 10), GS1_128: (10, 10)}


def is_ean13(code: str) -> bool:
    """True for 13 digits whose last one is the right check digit."""
    if len(code) != 13 or not code.isdigit():
        return False
    import barcode  # python-barcode and segno load with the first code drawn (~13 MB a server may never need)

    return barcode.EAN13(code[:12]).get_fullcode() == code


def symbology_for(code: str) -> str:
    """EAN-13 when the code is a valid EAN-13, else Code128 (which carries any ASCII)."""
    return EAN13 if is_ean13(code) else CODE128


def modules(symbology: str, data: str) -> str:
    """The bar pattern ('1' = dark module) python-barcode computes for `data`."""
    import barcode

    if symbology == EAN13:
        return barcode.EAN13(data[:12]).build()[0]
    if symbology == GS1_128:
        return barcode.Gs1_128(data).build()[0]
    return barcode.Code128(data).build()[0]


def human_text(symbology: str, data: str) -> str:
    if symbology == EAN13:
        import barcode

        return barcode.EAN13(data[:12]).get_fullcode()
    return data


def _runs(row) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row of 0/1 values or '0'/'1' characters."""
    out, start = [], None
    for i, m in enumerate(row):
        dark = m in (1, "1", True)
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            out.append((start, i - start))
            start = None
    if start is not None:
        out.append((start, len(row) - start))
    return out


def draw_bars(canvas, x: float, y: float, width: float, height: float, symbology: str, data: str,
              max_module: float = 0.5 * mm) -> float:
    """Paint the barcode centred in the box (x, y, width, height), quiet zones included; return the module width."""
    pattern = modules(symbology, data)
    left, right = QUIET_MODULES[symbology]
    module = min(max_module, width / (len(pattern) + left + right))
    start = x + (width - module * len(pattern)) / 2
    path = canvas.beginPath()
    for begin, length in _runs(pattern):
        path.rect(start + begin * module, y, length * module, height)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return module


def draw_qr(canvas, x: float, y: float, size: float, data: str, border: int = 2) -> None:
    """Paint the QR code of `data` in a size × size square at (x, y), with a quiet border of `border` modules."""
    import segno

    qr = segno.make(data, error="m", micro=False)
    matrix = qr.matrix
    count = len(matrix) + 2 * border
    module = size / count
    path = canvas.beginPath()
    top = y + size - border * module
    for r, row in enumerate(matrix):
        for begin, length in _runs(row):
            path.rect(x + (border + begin) * module, top - (r + 1) * module, length * module, module)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


class BarcodeFlowable(Flowable):
    """A 1D barcode with its text underneath, as a platypus flowable."""

    def __init__(self, data: str, width: float, height: float, *, font: str, symbology: str | None = None,
                 font_size: float = 7, max_module: float = 0.4 * mm):
        super().__init__()
        self.data, self.width, self.bar_height = data, width, height
        self.symbology = symbology or symbology_for(data)
        self.font, self.font_size, self.max_module = font, font_size, max_module
        self.height = height + font_size + 1

    def wrap(self, avail_width, avail_height):
        self.width = min(self.width, avail_width)
        return self.width, self.height

    def draw(self):
        c = self.canv
        draw_bars(c, 0, self.font_size + 1, self.width, self.bar_height, self.symbology, self.data,
                  max_module=self.max_module)
        c.setFont(self.font, self.font_size)
        c.drawCentredString(self.width / 2, 1, human_text(self.symbology, self.data))


class QRFlowable(Flowable):
    def __init__(self, data: str, size: float):
        super().__init__()
        self.data, self.size = data, size
        self.width = self.height = size

    def wrap(self, avail_width, avail_height):
        return self.size, self.size

    def draw(self):
        draw_qr(self.canv, 0, 0, self.size, self.data)
