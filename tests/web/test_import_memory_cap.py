"""The import worker parses an upload in a child process with a memory cap (issue 14, finding 2: "parse in the
worker with a memory cap"): a file that needs more memory than the cap fails its own job with a clear message,
and the worker (this process) goes on to run the next import."""

from __future__ import annotations

import io
import os
import secrets
import zipfile

import pytest
from openpyxl import Workbook

from openjxc.catalog.models import Item
from openjxc.web import jobs
from openjxc.web.models import Job
from tests.web.test_excel_import import xlsx

pytestmark = pytest.mark.django_db(transaction=True)


def _one_huge_cell(chars: int) -> bytes:
    """A real workbook whose one item name is `chars` random characters: about half that on the wire (random text
    compresses only about twice, so the zip directory check lets it through), tens of MB to parse."""
    wb = Workbook()
    wb.active.append(["Item code", "Item name", "Base unit"])
    wb.active.append(["B1", "huge", "PCS"])
    plain, out = io.BytesIO(), io.BytesIO()
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b">huge<", b">" + secrets.token_hex(chars // 2).encode() + b"<")
            dst.writestr(info.filename, data)
    return out.getvalue()


def _run(shop, data: bytes, name: str) -> Job:
    job = jobs.start_import(by=shop.admin, target="items", data=data, filename=name, commit=True, queue=False)
    jobs.run_import_job.call_local(job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.usefixtures("wipeable_ledger")
def test_a_file_beyond_the_memory_cap_fails_its_job_and_the_worker_goes_on(shop, settings):
    settings.JXC_IMPORT_MEMORY_MB = 80
    pid = os.getpid()
    job = _run(shop, _one_huge_cell(20_000_000), "huge.xlsx")
    assert job.status == "failed", (job.status, job.message)
    assert job.errors[0]["code"] == "import.memory_limit" and "80 MB" in job.message, job.errors
    # the same file under a generous cap is read, and refused for its 20-million-character cell
    settings.JXC_IMPORT_MEMORY_MB = 1024
    job = _run(shop, _one_huge_cell(20_000_000), "huge.xlsx")
    assert job.status == "failed" and job.errors[0]["code"] == "import.cell_too_long", job.errors
    # the worker is alive and imports the next file, under the small cap again
    settings.JXC_IMPORT_MEMORY_MB = 80
    assert os.getpid() == pid
    job = _run(shop, xlsx([["Item code", "Item name", "Base unit"], ["OK1", "矿泉水", "PCS"]]), "ok.xlsx")
    assert job.status == "done", (job.status, job.message, job.errors)
    assert Item.objects.filter(code="OK1").exists()
