"""Fault tests of the terminal protocol: real uvicorn servers on loopback, the real client, injected faults.

Each test runs against a database of its own (tests/sync/terminal_servers.py) on the engine of the run
(SQLite, or PostgreSQL with DATABASE_URL). After each fault: every sale made on a terminal exists on
the server exactly once, as one posted document, and the stock and partner ledger checks pass.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from decimal import Decimal as D
from urllib.parse import urlparse

import httpx
import pytest

from openjxc.sync.client import ServerUnavailable, TerminalClient
from tests.sync.terminal_servers import Database, FaultProxy, Server, engine, free_port

ENGINE = engine()
postgres_only = pytest.mark.skipif(ENGINE != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def db(migrated_template, tmp_path):
    database = Database(ENGINE, tmp_path, migrated_template)
    yield database
    database.drop()


@pytest.fixture
def cleanup():
    things = []
    yield things
    for thing in reversed(things):
        thing.close() if hasattr(thing, "close") else thing.stop()


def _client(tmp_path, name, url, token, cleanup, **kw) -> TerminalClient:
    client = TerminalClient(tmp_path / f"{name}.sqlite3", server=url, timeout=20, **kw)
    client.store.set(token=token)
    cleanup.append(client)
    return client


def _sell(client, n, qty="1", item="W001") -> list[str]:
    return [client.sell([{"item": item, "qty": qty}], payment={"method": "cash"})["id"] for _ in range(n)]


def _assert_exactly_once(db, ops, *, sold: D | None = None, received=D("2000")) -> dict:
    report = db.run("verify", stdin=json.dumps(ops))
    assert report["missing"] == [] and report["repeated"] == [] and report["not_accepted"] == [], report
    assert report["documents_distinct"] and report["posted_sales"] == report["sales_documents"] == len(ops), report
    assert report["ledger_problems"] == [] and report["partner_problems"] == [], report
    assert D(report["store_qty"]) == received - D(report["sold"]), report
    if sold is not None:
        assert D(report["sold"]) == sold, report
    return report


def test_ack_lost_after_commit_the_retry_does_not_double_the_sale(db, tmp_path, cleanup):
    seed = db.run("seed", "1")
    server = Server(db).wait_ready()
    cleanup.append(server)
    proxy = FaultProxy(("127.0.0.1", server.port))
    cleanup.append(proxy)
    client = _client(tmp_path, "pos1", f"http://127.0.0.1:{proxy.port}", seed["tokens"][0], cleanup)
    ops = _sell(client, 5, qty="2")
    proxy.set("drop_response", drops=2)  # the server commits; the answer is cut, twice
    for _ in range(2):
        with pytest.raises(ServerUnavailable):
            client.push()
        assert client.store.backlog()["count"] == 5  # nothing is deleted without an ack
    assert proxy.dropped == 2
    assert client.push()["acked"] == 5
    answers = [client.result(op) for op in ops]
    assert all(a["status"] == "duplicate" and a["first"]["status"] == "accepted" for a in answers)
    numbers = {a["first"]["document"]["number"] for a in answers}
    assert len(numbers) == 5
    _assert_exactly_once(db, ops, sold=D("10"))


def test_duplicate_uploads_at_the_same_moment_on_two_servers(db, tmp_path, cleanup):
    seed = db.run("seed", "1")
    servers = [Server(db).wait_ready() for _ in range(2)]
    cleanup.extend(servers)
    # made an hour ago: an op older than the review window (7 days) would be held for review, not applied
    made = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    ops = [{"id": str(uuid.uuid4()), "seq": n, "type": "sale", "created_at": made,
            "data": {"lines": [{"item": "W001", "qty": "1"}]}} for n in range(10)]
    body = {"ops": ops}
    barrier = threading.Barrier(8)
    answers, errors = [], []

    def upload(n):
        try:
            barrier.wait()
            r = httpx.post(f"{servers[n % 2].url}/api/sync/push", json=body, timeout=60,
                           headers={"Authorization": f"Bearer {seed['tokens'][0]}"})
            assert r.status_code == 200, r.text
            answers.append(r.json()["results"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(answers) == 8
    for i in range(len(ops)):
        per_op = [a[i] for a in answers]
        accepted = [a for a in per_op if a["status"] == "accepted"]
        assert len(accepted) == 1, per_op  # exactly one upload applied it …
        assert all(a["status"] == "duplicate" and a["first"] == accepted[0]
                   for a in per_op if a is not accepted[0])  # … the others got its result
    _assert_exactly_once(db, [o["id"] for o in ops], sold=D("10"))


def test_batch_half_applied_then_the_server_restarted(db, tmp_path, cleanup):
    seed = db.run("seed", "1")
    port = free_port()
    server = Server(db, port=port, JXC_FAULT_EXIT_AFTER_OPS=4).wait_ready()
    client = _client(tmp_path, "pos1", server.url, seed["tokens"][0], cleanup)
    ops = _sell(client, 10)
    with pytest.raises(ServerUnavailable):
        client.push()  # the server dies after committing the 4th operation, before answering
    assert server.wait_exit() == 70
    server.stop()
    assert db.run("verify", stdin=json.dumps(ops))["all_ops"] == 4
    assert client.store.backlog()["count"] == 10
    restarted = Server(db, port=port).wait_ready()
    cleanup.append(restarted)
    result = client.push()
    assert result["acked"] == 10 and result["pending"] == 0
    statuses = [client.result(op)["status"] for op in ops]
    assert statuses == ["duplicate"] * 4 + ["accepted"] * 6
    _assert_exactly_once(db, ops, sold=D("10"))


def test_terminal_restarted_with_a_full_outbox_uploads_by_itself_when_the_server_is_back(db, tmp_path, cleanup):
    seed = db.run("seed", "1")
    port = free_port()  # nothing listens yet: the server is down
    path = tmp_path / "till.sqlite3"
    till = TerminalClient(path, server=f"http://127.0.0.1:{port}", timeout=5)
    till.store.set(token=seed["tokens"][0])
    ops = _sell(till, 6, qty="3")
    with pytest.raises(ServerUnavailable):
        till.push()
    till.close()  # the till is switched off with six sales waiting

    again = TerminalClient(path, timeout=30, backoff_base=0.2, backoff_max=1.0)  # switched on again
    cleanup.append(again)
    assert again.store.backlog()["count"] == 6 and [o["id"] for o in again.store.pending()] == ops
    again.start(idle_interval=0.5)  # uploads on its own, backing off while the server is still away
    deadline = threading.Event()
    deadline.wait(1.5)
    assert again.failures >= 1 and again.store.backlog()["count"] == 6
    server = Server(db, port=port).wait_ready()
    cleanup.append(server)
    assert again.wait_until_empty(timeout=120), again.status()  # generous: CI machines are shared
    # accepted, or — when an answer was slower than the till's 5 s timeout — a duplicate of the accepted first
    for op in ops:
        answer = again.result(op)
        assert answer["status"] == "accepted" or answer["first"]["status"] == "accepted", answer
    _assert_exactly_once(db, ops, sold=D("18"))


@postgres_only
def test_database_briefly_unavailable(db, tmp_path, cleanup):
    seed = db.run("seed", "1")
    u = urlparse(db.url)
    pg_proxy = FaultProxy((u.hostname or "127.0.0.1", u.port or 5432))
    cleanup.append(pg_proxy)
    via_proxy = u._replace(netloc=f"{u.username}@127.0.0.1:{pg_proxy.port}").geturl()
    server = Server(db, DATABASE_URL=via_proxy).wait_ready()
    cleanup.append(server)
    client = _client(tmp_path, "pos1", server.url, seed["tokens"][0], cleanup)
    ops = _sell(client, 3)
    assert client.push()["acked"] == 3
    pg_proxy.set("refuse")  # PostgreSQL refuses connections; open ones are cut
    ops += _sell(client, 3)
    with pytest.raises(ServerUnavailable):
        client.push()
    assert client.store.backlog()["count"] == 3
    r = httpx.post(f"{server.url}/api/sync/push", json={"ops": []}, timeout=20,
                   headers={"Authorization": f"Bearer {seed['tokens'][0]}"})
    assert r.status_code == 503 and r.json()["code"] == "server.unavailable"  # an answer, not a 500
    pg_proxy.set("pass")
    assert client.push()["acked"] == 3
    _assert_exactly_once(db, ops, sold=D("6"))


@postgres_only
def test_twenty_terminals_push_at_once_through_two_servers(db, tmp_path, cleanup):
    seed = db.run("seed", "20", "300")  # 300 of each: the tills will sell more than that, offline
    servers = [Server(db).wait_ready() for _ in range(2)]
    cleanup.extend(servers)
    clients = [_client(tmp_path, f"pos{n}", servers[n % 2].url, tok, cleanup, batch_size=10)
               for n, tok in enumerate(seed["tokens"])]
    ops, expected = [], D(0)
    for n, client in enumerate(clients):
        for k in range(25):
            item, qty = ("W001", 1 + (n + k) % 3) if k % 2 else ("F001", 1 + k % 2)
            ops.append(client.sell([{"item": item, "qty": str(qty)}])["id"])
            expected += qty
    barrier = threading.Barrier(len(clients))
    errors = []

    timeouts = []

    def run(client):
        try:
            barrier.wait()
            for _attempt in range(30):  # as the background uploader does: a timed-out batch is sent again
                try:
                    client.push()
                    return
                except ServerUnavailable as exc:
                    timeouts.append(exc)
            raise AssertionError("never uploaded")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors
    assert all(c.store.backlog()["count"] == 0 for c in clients)
    report = _assert_exactly_once(db, ops, sold=expected, received=D("600"))
    assert D(report["store_qty"]) < 0  # more was sold than there was: accepted all the same


def test_cli_registers_with_a_code_sells_offline_and_pushes_when_the_server_is_back(db, tmp_path, cleanup, capsys):
    from openjxc.sync.client.cli import main as cli

    seed = db.run("seed", "0")
    port = free_port()
    server = Server(db, port=port).wait_ready()
    r = httpx.post(f"{server.url}/api/sync/registration-codes", json={"kind": "pos", "warehouse": "ST1",
                                                                      "customer": "C000"},
                   headers={"Authorization": f"Bearer {seed['admin_token']}"}, timeout=20)
    assert r.status_code == 201, r.text
    till = ["--db", str(tmp_path / "cli.sqlite3"), "--timeout", "90"]
    assert cli([*till, "register", "--server", server.url, "--registration-code", r.json()["code"],
                "--code", "POS-CLI"]) == 0
    assert cli([*till, "pull"]) == 0
    capsys.readouterr()
    assert cli([*till, "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["terminal"] == "POS-CLI" and status["items"] == 3 and status["cursor"]
    server.stop()  # the server goes away; the till keeps selling
    assert cli([*till, "sell", "W001:2", "6920000000017:1@2.50", "--payment", "wechat"]) == 0
    assert cli([*till, "push"]) == 2
    capsys.readouterr()
    cli([*till, "status"])
    assert json.loads(capsys.readouterr().out)["backlog"]["count"] == 1
    restarted = Server(db, port=port).wait_ready()
    cleanup.append(restarted)
    assert cli([*till, "push"]) == 0
    capsys.readouterr()
    cli([*till, "status"])
    assert json.loads(capsys.readouterr().out)["backlog"]["count"] == 0
    client = TerminalClient(tmp_path / "cli.sqlite3")
    cleanup.append(client)
    acked = client.store.acked()
    assert len(acked) == 1 and acked[0]["status"] == "accepted"
    _assert_exactly_once(db, [acked[0]["id"]], sold=D("3"), received=D("2000"))
