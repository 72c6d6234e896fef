"""Printouts: PDF layouts of documents (A4, 80 mm receipt) and barcode labels of items and lots.

Built with reportlab; barcodes are encoded by python-barcode and QR codes by segno, then drawn as
vectors so they stay sharp on any printer. See docs/decisions/0004-pdf-fonts.md for the fonts.
"""
