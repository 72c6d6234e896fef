"""The facts consumer killed in the middle of a batch and started again: no event counted twice, none skipped.

A database of its own (like the terminal fault tests), seeded with a few hundred postings, voids and receipts
after the facts were built; then `jxc consume-facts` runs as a real process with small batches and is killed
(SIGKILL) a few times right after it reports a committed batch, i.e. while it is inside the next one. Finally it
runs to the end, and the facts must equal the ledgers.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from decimal import Decimal as D

import pytest

from tests.sync.terminal_servers import ROOT, Database, engine

ENGINE = engine()


@pytest.fixture
def database(migrated_template, tmp_path):
    db = Database(ENGINE, tmp_path, migrated_template, name="facts")
    yield db
    db.drop()


def _run(db: Database, *args) -> dict:
    proc = subprocess.run([sys.executable, "-m", "tests.reports.facts_proc", *args], cwd=ROOT, env=db.env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _consumer(db: Database) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "openjxc.cli", "consume-facts", "--company", "KILL", "--batch",
                             "40", "--verbose-batches"], cwd=ROOT, env=db.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_consumer_killed_mid_batch_neither_double_counts_nor_skips(database):
    seeded = _run(database, "seed", "240")
    assert seeded["events"] > 600
    rng = random.Random(3)
    kills = 0
    for _round in range(4):
        proc = _consumer(database)
        wanted = rng.randint(1, 3)
        seen = 0
        deadline = time.monotonic() + 120
        while seen < wanted and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if "committed" in line:
                seen += 1
        if proc.poll() is None:
            time.sleep(rng.uniform(0, 0.02))  # inside the next batch
            proc.kill()
            kills += 1
        proc.wait(timeout=30)
        proc.stdout.close()
    assert kills >= 3, "the consumer finished before it could be killed: seed more"

    final = subprocess.run([sys.executable, "-m", "openjxc.cli", "consume-facts", "--company", "KILL"], cwd=ROOT,
                           env=database.env(), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr
    report = _run(database, "verify")
    assert report["problems"] == [] and report["caught_up"] == 0, report
    assert report["cursor"] == report["head"]
    assert report["seen"] == report["partner_rows"]  # every partner-ledger row added exactly once
    assert D(report["sold_units"]) / 10_000 == D(report["ledger_units"])
