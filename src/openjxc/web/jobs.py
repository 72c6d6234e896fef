"""Background jobs: an import check, an import, a big export, a batch print — each a `Job` row plus a huey task.

The task writes its progress to the job row as it goes. An import runs inside one transaction (all or
nothing), where a row update would stay invisible until the end (and on SQLite could not even be written by
another connection), so during that phase the progress also goes to huey's key-value store, which every
process shares (its SQLite file or Redis); `job_state` reads whichever is fresher.
"""

from __future__ import annotations

import base64
import io
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY, db_task

from openjxc.core.errors import DomainError, NotFound
from openjxc.web.models import Job, JobKind, JobStatus

PROGRESS_EVERY = 0.3  # seconds between two progress writes


def job_dir(job: Job) -> Path:
    path = Path(settings.DATA_DIR) / "jobs" / str(job.company_id) / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_path(job: Job) -> Path | None:
    if not job.result_name:
        return None
    path = job_dir(job) / "result"
    return path if path.exists() else None


def _kv_key(job_id: int) -> str:
    return f"jxc.job.{job_id}"


class Progress:
    """Throttled progress of one job: to the row when no transaction is open, else to huey's store."""

    def __init__(self, job: Job, message: str = ""):
        self.job, self.message, self.last = job, message, 0.0

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and done < total and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        HUEY.put(_kv_key(self.job.pk), (done, total, self.message))
        if not connection.in_atomic_block:
            try:
                Job.objects.filter(pk=self.job.pk).update(done=done, total=total, message=self.message[:300])
            except DatabaseError:  # a progress write is a courtesy: a busy database must not fail the job
                pass
        self.job.done, self.job.total = done, total


def live_progress(job_id: int) -> tuple[int, int, str] | None:
    """(done, total, message) of a running job from huey's store, which every process shares."""
    return HUEY.get(_kv_key(job_id), peek=True)


def job_state(job: Job) -> Job:
    """The job with its freshest progress (a running import reports through huey's store)."""
    if job.status == JobStatus.RUNNING:
        live = live_progress(job.pk)
        if live is not None:
            job.done, job.total, message = live
            job.message = message or job.message
    return job


def visible_jobs(user):
    return Job.objects.filter(company_id=user.company_id, user=user)


def get_job(user, pk: int) -> Job:
    job = visible_jobs(user).filter(pk=pk).first()
    if job is None:
        raise NotFound("job", pk)
    return job_state(job)


def _start(job: Job, message: str) -> None:
    job.status, job.message = JobStatus.RUNNING, message[:300]
    Job.objects.filter(pk=job.pk).update(status=job.status, message=job.message)


def _finish(job: Job, *, ok: bool, message: str, errors=None, result: bytes | None = None,
            result_name: str = "") -> None:
    if result is not None:
        (job_dir(job) / "result").write_bytes(result)
        job.result_name = result_name
    job.status = JobStatus.DONE if ok else JobStatus.FAILED
    job.message, job.finished_at = message[:300], timezone.now()
    if errors is not None:
        job.errors = errors
    if job.status == JobStatus.DONE:
        job.done = job.total
    job.save(update_fields=["status", "message", "finished_at", "errors", "result_name", "done", "total"])
    HUEY.delete(_kv_key(job.pk))


def _guarded(run):
    """A job never stays "running" after its task died: an unexpected error marks it failed, then re-raises."""
    import functools

    @functools.wraps(run)
    def wrapper(job_id: int):
        try:
            return run(job_id)
        except Exception:
            job = Job.objects.filter(pk=job_id).first()
            if job is not None and not job.is_finished:
                with translation.override(job.params.get("language")):
                    _finish(job, ok=False, message=_("The job failed unexpectedly; nothing was changed."))
            raise

    return wrapper


def _enqueue(task, job: Job, queue: bool = True) -> Job:
    if queue:
        transaction.on_commit(lambda: task(job.pk))
    return job


# ---------------------------------------------------------------- imports


def start_import(*, by, target: str, data: bytes, filename: str, commit: bool, queue: bool = True) -> Job:
    """Store the uploaded file and queue its check (or, with `commit`, its import)."""
    from openjxc.web.excel import check_upload
    from openjxc.web.imports import IMPORTERS

    if target not in IMPORTERS:
        raise NotFound("import", target)
    IMPORTERS[target](by, None).require()  # permission first: nothing of a refused user's file is read
    # not a workbook, or one that would unpack to too much: refused now from the zip directory; the worker parses
    check_upload(data)
    job = Job.objects.create(company_id=by.company_id, user=by, target=target, input_name=filename[:200],
                             kind=JobKind.IMPORT if commit else JobKind.IMPORT_CHECK,
                             params={"language": translation.get_language() or settings.LANGUAGE_CODE})
    (job_dir(job) / "input.xlsx").write_bytes(data)
    return _enqueue(run_import_job, job, queue)


def confirm_import(*, by, check: Job) -> Job:
    """The import of a file whose check came back clean: the same file, this time kept."""
    if check.kind != JobKind.IMPORT_CHECK or check.status != JobStatus.DONE or check.errors:
        raise DomainError("import.not_checked", _("Only a file whose check found no bad rows can be imported."),
                          http_status=409)
    data = (job_dir(check) / "input.xlsx").read_bytes()
    return start_import(by=by, target=check.target, data=data, filename=check.input_name, commit=True)


@db_task()
@_guarded
def run_import_job(job_id: int) -> None:
    from openjxc.web.excel import read_sheet
    from openjxc.web.imports import IMPORTERS, run_import

    job = Job.objects.select_related("user", "user__company").get(pk=job_id)
    with translation.override(job.params.get("language")):
        _start(job, _("Reading the file"))
        importer_class = IMPORTERS[job.target]
        try:
            # parsed in a child process with a memory cap: a crafted file fails its job, never the worker
            sheet = read_sheet((job_dir(job) / "input.xlsx").read_bytes(), importer_class.fields,
                               memory_mb=settings.JXC_IMPORT_MEMORY_MB)
            commit = job.kind == JobKind.IMPORT
            progress = Progress(job, _("Importing rows") if commit else _("Checking rows"))
            progress(0, len(sheet.rows), force=True)
            outcome = run_import(importer_class(job.user, sheet), commit=commit, progress=progress)
        except DomainError as err:
            _finish(job, ok=False, message=err.render_message(),
                    errors=[{"row": err.data.get("row", 0), "column": "", "code": err.code,
                             "message": err.render_message()}])
            return
        if outcome.errors:
            _finish(job, ok=False, errors=[e.as_dict() for e in outcome.errors],
                    message=_("%(bad)s of %(rows)s rows have errors; nothing was imported.")
                    % {"bad": len({e.row for e in outcome.errors}), "rows": outcome.rows})
        elif commit:
            message = _("%(n)s rows imported.") % {"n": outcome.created}
            if outcome.documents:
                message += " " + _("Opening documents: %(numbers)s") % {"numbers": ", ".join(outcome.documents)}
            _finish(job, ok=True, errors=[], message=message)
        else:
            _finish(job, ok=True, errors=[], message=_("All %(n)s rows are fine and ready to import.")
                    % {"n": outcome.rows})


# ---------------------------------------------------------------- exports


def start_export(*, by, spec, queryset, queue: bool = True) -> Job:
    """A big list exported in the background: the query travels pickled (Django supports pickling queries)."""
    job = Job.objects.create(
        company_id=by.company_id, user=by, kind=JobKind.EXPORT, target=spec.name,
        params={"language": translation.get_language() or settings.LANGUAGE_CODE,
                "model": queryset.model._meta.label,
                "query": base64.b64encode(pickle.dumps(queryset.query)).decode()},
    )
    return _enqueue(run_export_job, job, queue)


@db_task()
@_guarded
def run_export_job(job_id: int) -> None:
    from django.apps import apps

    from openjxc.web.excel import (  # the apps' ready() declared every list
        EXPORTS,
        export_filename,
        write_list,
    )

    job = Job.objects.select_related("user", "user__company").get(pk=job_id)
    with translation.override(job.params.get("language")):
        _start(job, _("Exporting"))
        spec = EXPORTS[job.target]
        model = apps.get_model(job.params["model"])
        qs = model.objects.all()
        qs.query = pickle.loads(base64.b64decode(job.params["query"]))  # noqa: S301 - our own row
        if spec.prepare is not None:  # prefetches are not part of the pickled query
            qs = spec.prepare(qs)
        total = qs.count()
        progress = Progress(job, _("Exporting rows"))
        progress(0, total, force=True)
        timezone.activate(job.user.company.time_zone)
        try:
            data = write_list(spec, qs.iterator(chunk_size=2000), user=job.user, on_row=lambda n: progress(n, total))
        finally:
            timezone.deactivate()
        _finish(job, ok=True, message=_("%(n)s rows exported.") % {"n": total}, result=data,
                result_name=export_filename(spec))


# ---------------------------------------------------------------- batch print


@dataclass(frozen=True)
class BatchPrint:
    """What a batch print of one target prints: `rows(user, ids)` the rows the user may print, in order, and
    `render(row, user, paper)` one row's PDF. An app registers it with `register_print`."""

    rows: Callable
    render: Callable


PRINTS: dict[str, BatchPrint] = {}
PAPERS = ("a4", "receipt")


def register_print(target: str, printer: BatchPrint) -> None:
    PRINTS[target] = printer


def start_print(*, by, document_ids: list[int], paper: str = "a4", target: str = "documents") -> Job:
    """Many documents printed into one PDF in the background."""
    if not document_ids:
        raise DomainError("print.nothing", _("Choose at least one document to print."), http_status=422)
    if paper not in PAPERS:
        raise DomainError("print.paper", _("Unknown paper: %(paper)s."), http_status=422, paper=paper)
    job = Job.objects.create(company_id=by.company_id, user=by, kind=JobKind.PRINT, target=target,
                             params={"language": translation.get_language() or settings.LANGUAGE_CODE,
                                     "ids": [int(i) for i in document_ids][:5000], "paper": paper})
    return _enqueue(run_print_job, job)


@db_task()
@_guarded
def run_print_job(job_id: int) -> None:
    job = Job.objects.select_related("user", "user__company").get(pk=job_id)
    # here, not with the module: ~17 MB that a server process need not hold (the worker prints)
    from pypdf import PdfReader, PdfWriter

    printer = PRINTS[job.target]
    with translation.override(job.params.get("language")):
        _start(job, _("Printing"))
        rows = printer.rows(job.user, job.params["ids"])
        progress = Progress(job, _("Printing documents"))
        progress(0, len(rows), force=True)
        writer = PdfWriter()
        for n, row in enumerate(rows, start=1):
            for page in PdfReader(io.BytesIO(printer.render(row, job.user, job.params.get("paper")))).pages:
                writer.add_page(page)
            progress(n, len(rows))
        if not rows:
            _finish(job, ok=False, message=_("None of the chosen documents can be printed."))
            return
        out = io.BytesIO()
        writer.write(out)
        _finish(job, ok=True, message=_("%(n)s documents printed.") % {"n": len(rows)}, result=out.getvalue(),
                result_name=f"{job.target}-{timezone.localdate():%Y%m%d}.pdf")


# ---------------------------------------------------------------- files an app builds itself (report exports)


@dataclass(frozen=True)
class BuiltExport:
    """A file an app builds from the job's params: `build(user, params, progress) -> (bytes, file name)`, where
    `progress(done, total)` reports how far it is. An app registers it with `register_built_export`."""

    build: Callable


BUILT_EXPORTS: dict[str, BuiltExport] = {}


def register_built_export(target: str, export: BuiltExport) -> None:
    BUILT_EXPORTS[target] = export


def start_built_export(*, by, target: str, params: dict, queue: bool = True) -> Job:
    """A long export (a report, a pivot) built in the background from `params` (plain JSON values)."""
    if target not in BUILT_EXPORTS:
        raise NotFound("export", target)
    job = Job.objects.create(company_id=by.company_id, user=by, kind=JobKind.EXPORT, target=target,
                             params={"language": translation.get_language() or settings.LANGUAGE_CODE,
                                     "built": params})
    return _enqueue(run_built_export_job, job, queue)


@db_task()
@_guarded
def run_built_export_job(job_id: int) -> None:
    job = Job.objects.select_related("user", "user__company").get(pk=job_id)
    with translation.override(job.params.get("language")):
        _start(job, _("Exporting"))
        progress = Progress(job, _("Exporting rows"))
        timezone.activate(job.user.company.time_zone)
        try:
            data, name = BUILT_EXPORTS[job.target].build(job.user, job.params["built"], progress)
        except DomainError as err:
            _finish(job, ok=False, message=err.render_message())
            return
        finally:
            timezone.deactivate()
        _finish(job, ok=True, message=_("%(n)s rows exported.") % {"n": job.total}, result=data, result_name=name)
