"""A real server on SQLite reuses its connections (docs/decisions/0026-sqlite-connections-reused.md).

The ASGI app runs under uvicorn in a subprocess (tests/api/counted_server.py) on a SQLite file with the
development settings (the production engine and pool; `JXC_DB_POOL=0` switches the pool off, and then these
tests fail: 50 connections for 50 requests, 24 statements per delivery). Under ASGI each request has a database
wrapper of its own; without the pool each opened a new connection and made the together view again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.api.test_hot_path_statements import EXPECTED
from tests.sync.terminal_servers import free_port

# the server runs on a SQLite file of its own whatever the suite's database: once per CI run is enough
pytestmark = pytest.mark.skipif("postgresql" in settings.DATABASES["default"]["ENGINE"],
                                reason="about SQLite servers; runs with the SQLite suite")

REQUESTS = 50
START_TIMEOUT = 120  # migrating a new SQLite file and writing the shop, on a loaded machine
LAUNCHER = Path(__file__).with_name("counted_server.py")
ROOT = Path(__file__).resolve().parents[2]

# The warm count of tests/api/test_hot_path_statements.py, less one: there the test's transaction turns the
# Idempotency-Key's transaction into SAVEPOINT + RELEASE (2 statements); on a server it is BEGIN IMMEDIATE,
# and the COMMIT goes through the raw connection (no Django cursor: not counted on either side).
WARM_DELIVERY = EXPECTED["api: 3-line delivery created and posted"][0] - 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("oj_sqliteconn")
    env = {k: v for k, v in os.environ.items() if k not in {"JXC_TESTING", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev", JXC_DATA_DIR=str(data), JXC_DEBUG="0",
               DATABASE_URL=f"sqlite:///{data}/db.sqlite3", PYTHONPATH=str(ROOT))
    port = free_port()
    log = open(data / "server.log", "w+b")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), str(data), str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)

    def output() -> str:
        log.flush()
        log.seek(0)
        return log.read().decode(errors="replace")[-3000:]

    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, f"the server exited at start:\n{output()}"
            try:
                if httpx.get(f"{base}/__counts", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not answer in {START_TIMEOUT}s:\n{output()}"
            time.sleep(0.3)
        world = json.loads((data / "world.json").read_text())
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {world['token']}"}, timeout=30) as c:
            yield c, world
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _counts(client) -> dict:
    return client.get("/__counts").json()


def _deliver(client, world, n: int = 0) -> None:
    items = world["items"][3 * (n % 6):3 * (n % 6) + 3]
    body = {"kind": "sales_delivery", "warehouse": world["warehouse"], "partner": world["customer"],
            "advance_to": "posted", "lines": [{"item": i, "quantity": "1"} for i in items]}
    r = client.post("/api/documents", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, (r.status_code, r.text[:300])


def test_fifty_api_requests_to_a_real_sqlite_server_open_at_most_two_connections(server):
    client, world = server
    _deliver(client, world)  # the server has made its first connections and view
    before = _counts(client)
    # when 50 requests each read or write the database: the signed-in user, balances, deliveries
    for n in range(REQUESTS):
        if n % 5 == 0:
            _deliver(client, world, n)
        elif n % 2:
            r = client.get("/api/me")
            assert r.status_code == 200, r.text[:300]
        else:
            r = client.get("/api/stock/balances", params={"warehouse": world["warehouse"]})
            assert r.status_code == 200, r.text[:300]
    after = _counts(client)
    # then the server opened at most two new SQLite connections (a request may begin before the last one's
    # connection is back in the pool), not one per request
    opened = after["connections"] - before["connections"]
    assert opened <= 2, f"{opened} new SQLite connections for {REQUESTS} requests"


def test_a_delivery_on_a_real_sqlite_server_takes_the_warm_statements(server):
    client, world = server
    _deliver(client, world)
    for n in range(3):
        before = _counts(client)
        _deliver(client, world, n + 1)
        after = _counts(client)
        took = after["statements"] - before["statements"]
        # no CREATE TEMP VIEW / TRIGGER, no PRAGMA: the connection and its together view were reused
        assert took == WARM_DELIVERY, (took, after["recent"][-took:])
