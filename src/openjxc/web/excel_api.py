"""REST API for Excel: templates, import check (dry run), import, list exports, background job status and result.

Imports and exports run as background jobs (web/jobs.py): the call answers 202 with the job; poll
`GET /excel/jobs/{id}` until `status` is done or failed, then fetch `/excel/jobs/{id}/result` or read `errors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from openjxc.core.errors import DomainError, NotFound
from openjxc.core.schemas import MAX_ID, company_id
from openjxc.web import jobs
from openjxc.web.excel import EXPORTS, XLSX_TYPE, template_workbook
from openjxc.web.imports import IMPORTERS

router = Router(tags=["excel"])
PK = Path(..., ge=1, le=MAX_ID)


class RowErrorOut(Schema):
    row: int
    column: str
    code: str
    message: str


class JobOut(Schema):
    id: int
    kind: str
    target: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    input_name: str
    result_name: str
    result_url: str | None
    errors: list[RowErrorOut]
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_result_url(job) -> str | None:
        return f"/api/excel/jobs/{job.pk}/result" if job.status == "done" and job.result_name else None


def _file_bytes(file: UploadedFile) -> bytes:
    from openjxc.web.excel import MAX_UPLOAD_BYTES, UnreadableFile

    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise UnreadableFile(reason="> 50 MB")
    return file.read()


def importer_named(target: str):
    if target not in IMPORTERS:
        raise DomainError("import.unknown", _("There is no import called %(target)s."), http_status=422,
                          target=target, field="target")
    return IMPORTERS[target]


def _start(request, target: str, file: UploadedFile, commit: bool):
    company_id(request, "masterdata.view")
    importer_named(target)
    job = jobs.start_import(by=request.auth, target=target, data=_file_bytes(file), filename=file.name or "",
                            commit=commit)
    job.refresh_from_db()
    return Status(202, jobs.job_state(job))


@router.get("/templates/{target}", response={200: None})
def import_template(request, target: str):
    """The .xlsx template of an import, headers in the caller's language."""
    company_id(request, "masterdata.view")
    importer = importer_named(target)
    response = HttpResponse(template_workbook(str(importer.title), importer.fields, importer.example),
                            content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{target}-template.xlsx"'
    return response


@router.post("/imports/{target}/check", response={202: JobOut})
def check_import(request, target: str, file: File[UploadedFile]):
    """Dry run: every row is checked through the services and undone; the job lists every bad row."""
    return _start(request, target, file, commit=False)


@router.post("/imports/{target}", response={202: JobOut})
def run_import(request, target: str, file: File[UploadedFile]):
    """Check and import in one go: all rows are kept, or (if any row is bad) none, with the bad rows listed."""
    return _start(request, target, file, commit=True)


@router.post("/jobs/{int:job_id}/confirm", response={202: JobOut})
def confirm_import(request, job_id: int = PK):
    """Import the file of a check that found no bad rows."""
    company_id(request, "masterdata.view")
    job = jobs.confirm_import(by=request.auth, check=jobs.get_job(request.auth, job_id))
    job.refresh_from_db()
    return Status(202, jobs.job_state(job))


class ExportFilters(Schema):
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=16)
    warehouse: int | None = Field(None, ge=1, le=MAX_ID)


@router.post("/exports/{name}", response={202: JobOut})
def export(request, name: str, filters: Query[ExportFilters]):
    """Export a list to .xlsx as a background job (items, partners, balances, documents, warehouses)."""
    spec = EXPORTS.get(name)
    if spec is None or spec.api_rows is None:
        raise NotFound("export", name)
    company_id(request, spec.api_permission)
    qs = spec.api_rows(request.auth, filters)
    job = jobs.start_export(by=request.auth, spec=spec, queryset=spec.prepare(qs) if spec.prepare else qs)
    job.refresh_from_db()
    return Status(202, jobs.job_state(job))


class PrintIn(Schema):
    documents: list[int]
    paper: Literal["a4", "receipt"] = "a4"


@router.post("/prints", response={202: JobOut})
def batch_print(request, payload: PrintIn):
    """Many documents into one PDF, as a background job."""
    company_id(request, "document.view")
    job = jobs.start_print(by=request.auth, document_ids=[i for i in payload.documents if 0 < i <= MAX_ID],
                           paper=payload.paper)
    job.refresh_from_db()
    return Status(202, jobs.job_state(job))


@router.get("/jobs/{int:job_id}", response=JobOut)
def job_status(request, job_id: int = PK):
    """A job's status and progress (done of total), its message and, for an import, every bad row."""
    company_id(request, "masterdata.view")
    return jobs.get_job(request.auth, job_id)


@router.get("/jobs/{int:job_id}/result", response={200: None})
def job_result(request, job_id: int = PK):
    """The file a finished export or print produced."""
    company_id(request, "masterdata.view")
    job = jobs.get_job(request.auth, job_id)
    path = jobs.result_path(job)
    if path is None:
        raise NotFound("job", job_id, code="job.no_result")
    content_type = "application/pdf" if job.result_name.endswith(".pdf") else XLSX_TYPE
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name, content_type=content_type)

