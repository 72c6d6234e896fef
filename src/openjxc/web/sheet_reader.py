"""Read the rows of an uploaded .xlsx in a child process whose address space is capped (issue 14, finding 2):
however a file is crafted, parsing it cannot take the server (or the worker) down — the child runs out of memory
and fails, the worker records the failure on the job and goes on.

The child imports nothing of Django (openpyxl and the standard library only): it gets the file on stdin, sets
RLIMIT_AS before it reads anything, and answers on stdout with a pickled tuple:
("rows", [(row number, values), …]) with empty rows left out, ("unreadable", reason), ("cell_too_long", row)
or ("memory",). A child killed by the limit answers nothing: that is a memory failure too.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys

MAX_CELL_CHARS = 32_767  # what Excel itself holds in a cell
TIMEOUT_SECONDS = 600


def iter_rows(data: bytes, *, limit: int | None = None):
    """(row number, values) of the first sheet's non-empty rows, at most `limit` of them (in this process)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        taken = 0
        for number, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            yield number, values
            taken += 1
            if limit is not None and taken >= limit:
                return
    finally:
        wb.close()


def _child(limit_bytes: int, max_rows: int) -> tuple:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    data = sys.stdin.buffer.read()
    try:
        rows = []
        for number, values in iter_rows(data, limit=max_rows):
            if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
                return ("cell_too_long", number)
            rows.append((number, values))
        return ("rows", rows)
    except MemoryError:
        return ("memory",)
    except Exception as exc:  # noqa: BLE001 - whatever the reader raises on a broken file: unreadable
        return ("unreadable", exc.__class__.__name__)


def main() -> None:
    limit_bytes, max_rows = int(sys.argv[1]), int(sys.argv[2])
    answer = _child(limit_bytes, max_rows)
    try:
        out = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        out = pickle.dumps(("memory",))
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()


def rows_capped(data: bytes, *, memory_mb: int, max_rows: int) -> tuple:
    """The child's answer for `data` (see the module's docstring), its address space capped at `memory_mb`."""
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell, no user input in argv
            [sys.executable, "-c", "from openjxc.web.sheet_reader import main; main()",
             str(memory_mb * 1024 * 1024), str(max_rows)],
            input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        return ("timeout",)
    if done.returncode != 0 or not done.stdout:
        return ("memory",) if _out_of_memory(done) else ("unreadable", f"exit {done.returncode}")
    try:
        return pickle.loads(done.stdout)  # noqa: S301 - written by our own child process just now
    except (pickle.UnpicklingError, EOFError, ValueError):
        return ("unreadable", "answer")


def _out_of_memory(done: subprocess.CompletedProcess) -> bool:
    """A child that died of the limit: killed, or Python's MemoryError on the way out."""
    return done.returncode < 0 or b"MemoryError" in done.stderr or b"Cannot allocate memory" in done.stderr


