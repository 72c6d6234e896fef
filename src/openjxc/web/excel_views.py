"""Pages for Excel import, background jobs (progress, errors, download) and batch printing."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.web import jobs
from openjxc.web.excel import XLSX_TYPE, template_workbook
from openjxc.web.imports import IMPORTERS
from openjxc.web.models import JobKind, JobStatus
from openjxc.web.pages import company_page


def import_choices(user) -> list[dict]:
    """What this user may import: items and partners (master data), opening stock (keepers)."""
    out = []
    for name, importer in IMPORTERS.items():
        try:
            importer(user, None).require()
        except DomainError:
            continue
        out.append({"name": name, "title": importer.title, "fields": importer.fields})
    return out


def may_import(user) -> bool:
    return bool(import_choices(user))


@company_page
def import_page(request):
    choices = import_choices(request.user)
    chosen = request.POST.get("target") or request.GET.get("target") or (choices[0]["name"] if choices else "")
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError("import.no_file", _("Choose an .xlsx file to check."), http_status=422)
            job = jobs.start_import(by=request.user, target=chosen, data=upload.read(), filename=upload.name,
                                    commit=False)
        except DomainError as err:
            error = err.render_message()
        else:
            return redirect("web:job", pk=job.pk)
    return render(request, "web/excel/import.html", {
        "choices": choices, "chosen": chosen, "error": error,
        "recent": jobs.visible_jobs(request.user).filter(kind__in=[JobKind.IMPORT, JobKind.IMPORT_CHECK])
        .order_by("-created_at")[:5],
    })


@company_page
def import_template(request, target: str):
    importer = IMPORTERS.get(target)
    if importer is None:
        raise Http404(_("Unknown import."))
    data = template_workbook(str(importer.title), importer.fields, importer.example)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{target}-template.xlsx"'
    return response


@company_page
def job_list(request):
    rows = [jobs.job_state(j) for j in jobs.visible_jobs(request.user).order_by("-created_at")[:50]]
    return render(request, "web/excel/jobs.html", {"jobs": rows})


def _job(request, pk):
    try:
        return jobs.get_job(request.user, pk)
    except DomainError:
        raise Http404(_("Job not found.")) from None


@company_page
def job_detail(request, pk: int):
    job = _job(request, pk)
    template = "web/excel/_job.html" if request.headers.get("HX-Request") else "web/excel/job.html"
    return render(request, template, {"job": job, "JobKind": JobKind, "JobStatus": JobStatus,
                                      "can_confirm": job.kind == JobKind.IMPORT_CHECK
                                      and job.status == JobStatus.DONE and not job.errors})


@require_POST
@company_page
def job_confirm(request, pk: int):
    check = _job(request, pk)
    try:
        job = jobs.confirm_import(by=request.user, check=check)
    except DomainError as err:
        messages.error(request, err.render_message())
        return redirect("web:job", pk=check.pk)
    return redirect("web:job", pk=job.pk)


@company_page
def job_download(request, pk: int):
    job = _job(request, pk)
    path = jobs.result_path(job)
    if path is None:
        raise Http404(_("This job has no file to download."))
    content_type = "application/pdf" if job.result_name.endswith(".pdf") else XLSX_TYPE
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name, content_type=content_type)


def print_documents(request, queryset):
    """The documents list's "Print all (PDF)" button: every listed document into one PDF, as a job."""
    if not permissions.allowed(request.user, "document.view"):
        raise Http404
    ids = list(queryset.values_list("pk", flat=True)[:5000])
    try:
        job = jobs.start_print(by=request.user, document_ids=ids, paper=request.GET.get("paper", "a4"))
    except DomainError as err:
        messages.error(request, err.render_message())
        return redirect(request.path)
    return redirect("web:job", pk=job.pk)
