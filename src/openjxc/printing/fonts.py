"""The font every printout uses: an embedded CJK TrueType font when the machine has one, else a CID font.

Never downloaded at run time (many sites run on a closed intranet). See docs/decisions/0004-pdf-fonts.md.
"""

from __future__ import annotations

import functools
import os

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# TrueType (not CFF/OpenType) CJK fonts from Debian packages, best first: (path, index in a .ttc).
TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
)
CID_FONT = "STSong-Light"  # Adobe's Simplified Chinese CID font: metrics in reportlab, glyphs in the viewer
EMBEDDED_NAME = "JxcCJK"


@functools.cache
def pdf_font(embed: bool = True) -> str:
    """Register and return the font name to draw with; `embed=False` forces the CID fallback."""
    if embed:
        for path, index in TTF_CANDIDATES:
            if not os.path.exists(path):
                continue
            try:
                pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, path, subfontIndex=index))
            except (TTFError, OSError):  # unreadable or a CFF-flavoured font: try the next one
                continue
            return EMBEDDED_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT
