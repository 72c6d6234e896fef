"""The label stock a label PDF can be printed on, apart from the drawing (printing/labels.py), so a page that only
offers the choice (the print views' form) does not load reportlab with the server (issue 15: server RSS)."""

# name -> (width, height) in mm: common thermal label stock
SIZES = {"40x30": (40, 30), "50x25": (50, 25), "60x40": (60, 40)}
MAX_COPIES = 500
