"""The installed `jxc` command, run for real as a subprocess against a temporary data directory (SQLite)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psutil
import pytest

JXC = str(Path(sys.executable).with_name("jxc"))


# `jxc` runs on a SQLite database of its own in a data directory whatever the run's engine (DATABASE_URL is not
# passed on): such a test is the same in both suites, and CI runs it once, in the SQLite one (pyproject's marker)
own_sqlite = pytest.mark.own_sqlite


def jxc_env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "JXC_TESTING", "REDIS_URL"}}
    env.update(JXC_DATA_DIR=str(data_dir), JXC_ADMIN_PASSWORD="", **extra)
    return env


def jxc(data_dir: Path, *args, timeout=180, **extra_env) -> subprocess.CompletedProcess:
    return subprocess.run([JXC, *args], env=jxc_env(data_dir, **extra_env), capture_output=True, text=True,
                          timeout=timeout)


def initialized_copy(initialized: Path, dest: Path) -> Path:
    """A fresh installation at `dest`: a copy of the data directory `jxc init` left (nothing else runs in it)."""
    shutil.copytree(initialized, dest)
    return dest


@pytest.fixture(scope="module")
def demo_dir(initialized, tmp_path_factory) -> Path:
    """A data directory after `jxc init` and a small `jxc demo`."""
    data = initialized_copy(initialized, tmp_path_factory.mktemp("jxc-demo") / "data")
    demo = jxc(data, "demo", "--items", "30", "--days", "10")
    assert demo.returncode == 0, demo.stderr
    assert "ledger OK" in demo.stdout
    return data


@own_sqlite
def test_help_lists_our_commands(tmp_path):
    result = jxc(tmp_path, "--help")
    assert result.returncode == 0
    for name in ("init", "demo", "serve", "check-ledger", "backup", "restore"):
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), name


@own_sqlite
def test_init_and_demo_are_idempotent(demo_dir):
    again = jxc(demo_dir, "init")
    assert again.returncode == 0 and "Nothing to do" in again.stdout
    demo = jxc(demo_dir, "demo", "--items", "30", "--days", "10")
    assert demo.returncode == 0 and "already exists" in demo.stdout


@own_sqlite
def test_check_ledger_exit_codes(demo_dir, tmp_path):
    ok = jxc(demo_dir, "check-ledger")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"ledger OK: [1-9]\d* moves, [1-9]\d* balances checked", ok.stdout)

    # a copy of the books, one balance edited by hand behind the ledger's back
    broken = tmp_path / "broken"
    broken.mkdir()
    backup = jxc(demo_dir, "backup", "--output", str(broken / "openjxc.sqlite3"))
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(broken / "openjxc.sqlite3") as conn:
        item_id, code = conn.execute(
            "SELECT b.item_id, i.code FROM stock_stockbalance b JOIN catalog_item i ON i.id = b.item_id "
            "ORDER BY b.id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE stock_stockbalance SET quantity = quantity + 1 WHERE item_id = ?", [item_id])
    bad = jxc(broken, "check-ledger", "--company", "DEMO")
    assert bad.returncode == 1
    assert "[balance.mismatch]" in bad.stdout and code in bad.stdout
    assert "ledger FAILED" in bad.stderr


@own_sqlite
def test_backup_restore_round_trip(demo_dir, initialized, tmp_path):
    path = tmp_path / "demo.sqlite3"
    backup = jxc(demo_dir, "backup", "-o", str(path))
    assert backup.returncode == 0 and path.exists(), backup.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # every company's books: readable by the owner only
    moves = re.search(r"(\d+) moves", jxc(demo_dir, "check-ledger").stdout)[1]

    other = initialized_copy(initialized, tmp_path / "other")
    refused = jxc(other, "restore", str(path))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    restored = jxc(other, "restore", str(path), "--yes")
    assert restored.returncode == 0, restored.stderr
    check = jxc(other, "check-ledger", "--company", "DEMO")
    assert check.returncode == 0 and f"ledger OK: {moves} moves" in check.stdout

    # an empty database takes a restore without --yes
    fresh = tmp_path / "fresh"
    assert jxc(fresh, "restore", str(path)).returncode == 0
    assert jxc(fresh, "check-ledger").returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("debug", ["1", "0"], ids=["dev-finders", "production-collectstatic"])
@own_sqlite
def test_serve_answers_and_stops_cleanly(demo_dir, debug):
    port = _free_port()
    proc = subprocess.Popen([JXC, "serve", "--port", str(port)], env=jxc_env(demo_dir, JXC_DEBUG=debug),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                docs = httpx.get(f"{base}/api/docs", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "jxc serve did not answer in time"
                time.sleep(0.3)
        assert docs.status_code == 200
        htmx = httpx.get(f"{base}/static/vendor/htmx/htmx.min.js", timeout=10)
        assert htmx.status_code == 200 and b"htmx" in htmx.content
        assert httpx.get(f"{base}/static/vendor/echarts/echarts.min.js", timeout=10).status_code == 200
        assert httpx.get(f"{base}/", timeout=10).status_code in (302, 303)  # the UI needs a login
        worker = psutil.Process(proc.pid).children()
        assert any("worker" in " ".join(c.cmdline()) for c in worker)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out
    assert "background worker stopped" in out
    pid = int(re.search(r"worker \(huey\) started, pid (\d+)", out)[1])
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


# ---------------------------------------------------------------- PostgreSQL: pg_dump / pg_restore


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="PostgreSQL backup needs DATABASE_URL=postgresql://...")
def test_postgres_backup_restores_into_a_scratch_database(tmp_path):
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    scratch = f"{url.path.lstrip('/')}_cli_scratch"
    source = f"{url.path.lstrip('/')}_cli_source"
    admin_url = url._replace(path="/postgres").geturl()

    def recreate(*names):
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')

    def drop(*names):
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    recreate(source, scratch)
    try:
        src_env = {"DATABASE_URL": url._replace(path=f"/{source}").geturl()}
        dst_env = {"DATABASE_URL": url._replace(path=f"/{scratch}").geturl()}
        # demo migrates an empty database itself (init is tested above)
        demo = jxc(tmp_path, "demo", "--items", "15", "--days", "7", **src_env)
        assert demo.returncode == 0, demo.stderr
        moves = re.search(r"(\d+) moves", demo.stdout)[1]
        dump = tmp_path / "demo.dump"
        backup = jxc(tmp_path, "backup", "-o", str(dump), **src_env)
        assert backup.returncode == 0, backup.stderr

        restored = jxc(tmp_path, "restore", str(dump), **dst_env)  # empty target: no --yes needed
        assert restored.returncode == 0, restored.stderr
        check = jxc(tmp_path, "check-ledger", **dst_env)
        assert check.returncode == 0 and f"ledger OK: {moves} moves" in check.stdout
        refused = jxc(tmp_path, "restore", str(dump), **dst_env)
        assert refused.returncode != 0 and "--yes" in refused.stderr
        again = jxc(tmp_path, "restore", str(dump), "--yes", **dst_env)
        assert again.returncode == 0, again.stderr

        no_tools = jxc(tmp_path, "backup", "-o", str(tmp_path / "x.dump"), PATH="/nonexistent", **src_env)
        assert no_tools.returncode != 0 and "pg_dump was not found" in no_tools.stderr
    finally:
        drop(source, scratch)
