"""A server process holds what serving needs (issue 15: RSS ≤ 300 MB for two workers). The libraries of the
occasional jobs — pinyin dictionaries (~56 MB), Arrow/Parquet (~28 MB), openpyxl (~21 MB), pypdf (~17 MB),
httpx (~17 MB with what it pulls in), reportlab (~15 MB), python-barcode and segno (~13 MB), the lunar calendar —
are imported where a file is made, a PDF or a code drawn, a message sent or an item saved, not when the app
starts. Which modules a fresh process imports is deterministic, so it is asserted here; the megabytes are measured
in bench/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# the subprocess starts on a SQLite file of its own whatever the run's engine: the SQLite suite runs it
pytestmark = pytest.mark.own_sqlite

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("pypinyin", "pyarrow", "openpyxl", "pypdf", "reportlab", "httpx", "barcode", "segno", "lunar_python")

STARTS = """
import json, os, sys
import django
django.setup()
import openjxc.config.asgi  # what uvicorn loads
from django.urls import get_resolver
get_resolver().url_patterns  # every app's urls and API routers, as the first request does
heavy = json.loads(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy)))
"""


def _imported_at_start(tmp_path, heavy=HEAVY) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JXC_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="openjxc.config.settings.prod", SECRET_KEY="s" * 50, JXC_DATA_DIR=str(tmp_path),
               JXC_ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=f"sqlite:///{tmp_path}/start.sqlite3")
    done = subprocess.run([sys.executable, "-c", STARTS, json.dumps(list(heavy))], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_server_process_starts_without_the_libraries_of_occasional_jobs(tmp_path):
    assert _imported_at_start(tmp_path) == []


def test_the_check_sees_a_library_the_start_does_import(tmp_path):
    # the same probe names what the start does import (Django itself, say): an empty answer above is not blindness
    assert "django.urls" in _imported_at_start(tmp_path, heavy=("django.urls",))
