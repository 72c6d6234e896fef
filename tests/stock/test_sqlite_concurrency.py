"""Concurrent writers on a SQLite file database: IMMEDIATE transactions make them wait, not fail.

Runs whatever the test database is: the writers need a real file (see sqlite_writers.py), so they
run in a subprocess against a fresh one in a temporary directory.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREADS, PER_THREAD = 8, 4


def test_threads_posting_to_one_sqlite_file_serialize_without_errors(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JXC_REQUIRE_POSTGRES")}
    env["JXC_DATA_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_writers.py")), str(tmp_path / "shop.sqlite3"),
         str(THREADS), str(PER_THREAD)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["journal_mode"] == "wal"
    # every outcome is a posting or a plain refusal for lack of stock: no "database is locked"
    assert set(out["results"]) <= {"posted", "stock.insufficient"}, out["results"]
    assert sum(out["results"].values()) == THREADS * PER_THREAD
    assert out["results"].get("posted") and out["results"].get("stock.insufficient"), out["results"]
    assert out["left"] == out["expected_left"]
    assert out["negative_balances"] == 0
    assert out["numbers"] == list(range(1, THREADS * PER_THREAD + 1))
    assert out["ledger_problems"] == []
