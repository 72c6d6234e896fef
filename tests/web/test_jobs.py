"""Background jobs for real: the import and the export run in another thread (its own connection, committing),
while this thread polls the job's state the way the progress bar does, and sees it move."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.db import connection
from openpyxl import load_workbook

from openjxc.catalog.exports import ITEMS_EXPORT
from openjxc.catalog.models import Item
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.web import jobs
from openjxc.web.models import Job
from tests.web.test_excel_import import ITEM_HEADER, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 1500


def _in_thread(fn):
    """Run `fn` in a worker thread (as the huey worker would) and return a way to wait for it."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    return t, box


def _watch(job_id: int, thread) -> tuple[list, list]:
    """Poll a running job until its thread ends: the distinct (done, total) seen in huey's store and in the job
    row. The row is read only on PostgreSQL: the SQLite test database lives in memory with a shared cache,
    where a reader locks the table against the worker's writes (a file database in WAL mode does not)."""
    live, rows = [], []
    read_row = connection.vendor == "postgresql"
    while thread.is_alive():
        state = jobs.live_progress(job_id)
        if state is not None and (not live or live[-1] != state[:2]):
            live.append(state[:2])
        if read_row:
            job = Job.objects.get(pk=job_id)
            if job.status == "running" and (not rows or rows[-1] != (job.done, job.total)):
                rows.append((job.done, job.total))
        time.sleep(0.02)
    thread.join()
    return live, rows


def _moving(states, total) -> list[int]:
    done = [d for d, t in states if t == total and 0 < d < total]
    assert done == sorted(done), states  # only forwards
    return done


@pytest.mark.usefixtures("wipeable_ledger")
def test_progress_of_an_import_and_an_export_is_seen_while_they_run(monkeypatch):
    # progress is written at most every 0.3 s: on a quiet machine a 1,500-row export is over before that,
    # so the test asks for a write every 10 ms to see the bar move however fast the machine is
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.01)
    company = core.create_company(code="JOBS", name="任务公司")
    admin = core.create_user(by=None, company=company, username="jobs-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    data = xlsx([ITEM_HEADER[:5] + ["Barcodes"]]
                + [[f"J{n:05d}", f"商品{n}", "", "分类", "瓶", f"69{n:011d}"] for n in range(ROWS)])

    job = jobs.start_import(by=admin, target="items", data=data, filename="big.xlsx", commit=True, queue=False)
    thread, box = _in_thread(lambda: jobs.run_import_job.call_local(job.pk))
    live, _rows = _watch(job.pk, thread)
    assert "error" not in box, box.get("error")
    assert len(_moving(live, ROWS)) >= 2, live  # the bar moved at least twice before the end
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", ROWS, ROWS)
    assert Item.objects.filter(company=company).count() == ROWS

    qs = ITEMS_EXPORT.prepare(Item.objects.filter(company=company).order_by("code"))
    job = jobs.start_export(by=admin, spec=ITEMS_EXPORT, queryset=qs, queue=False)
    thread, box = _in_thread(lambda: jobs.run_export_job.call_local(job.pk))
    live, rows = _watch(job.pk, thread)
    assert "error" not in box, box.get("error")
    job.refresh_from_db()
    assert job.status == "done" and job.done == job.total == ROWS
    assert len(_moving(live, ROWS)) >= 2, live
    if connection.vendor == "postgresql":  # an export is not one transaction: its row is written as it goes
        assert len(_moving(rows, ROWS)) >= 2, rows
    rows = list(load_workbook(io.BytesIO(jobs.result_path(job).read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == ROWS + 1 and rows[1][0] == "J00000" and rows[-1][6] == f"69{ROWS - 1:011d}"
