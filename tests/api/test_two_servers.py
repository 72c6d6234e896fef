"""Two app server processes against one PostgreSQL (DESIGN.md, Scale): nothing assumes a single process.

Two `uvicorn openjxc.config.asgi:application` subprocesses serve the same committed test database.
Client threads split over both servers post sales deliveries of the same few hot items with
Idempotency-Keys: some are retried (to the other server, after the answer or at the same moment),
some ask for more than there is. Row locks, the numbering counter and the idempotency records live
in the database, so the result must be what one server would give.
"""

from __future__ import annotations

import concurrent.futures
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal as D
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from django.db import connection

from openjxc.core.models import IdempotencyRecord
from openjxc.core.tokens import create_token
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.stock.models import ItemValuation, StockBalance
from tests.conftest import Shop, assert_ledger_consistent
from tests.ledger_wipe import _allow_wipe, _protect

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CLIENTS = 8
PER_CLIENT = 6
LAST_UNIT_ROUNDS = 5
START_TIMEOUT = 30


@pytest.fixture(scope="module", autouse=True)
def _ledger_protected_after_flush(django_db_setup, django_db_blocker):
    """Module-scoped, so it ends after the test's flush: switch the TRUNCATE guard back on for later tests."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            _protect()


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: two server processes share one database (set DATABASE_URL)")
    yield
    _allow_wipe()  # before pytest-django's flush (TRUNCATE), which the append-only guard refuses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Servers:
    """N uvicorn processes on free ports, serving the test database; stopped (always) by stop()."""

    def __init__(self, tmp_path, n=2):
        self.procs, self.urls, self.logs = [], [], []
        env = {k: v for k, v in os.environ.items() if k != "JXC_TESTING"}  # set by the test settings
        env.update(DATABASE_URL=_database_url(), JXC_DATA_DIR=str(tmp_path), JXC_DEBUG="0",
                   DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev")
        for i in range(n):
            port = _free_port()
            log = open(tmp_path / f"server{i}.log", "w+b")  # noqa: SIM115 - closed in stop()
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "openjxc.config.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--no-access-log"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
            self.urls.append(f"http://127.0.0.1:{port}")

    def wait_ready(self, token):
        deadline = time.monotonic() + START_TIMEOUT
        pending = set(self.urls)
        while pending:
            for proc in self.procs:
                assert proc.poll() is None, f"a server exited at start:\n{self.output()}"
            for url in list(pending):
                try:
                    r = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=2)
                    if r.status_code == 200:
                        pending.discard(url)
                except httpx.TransportError:
                    pass
            assert time.monotonic() < deadline, f"servers not ready after {START_TIMEOUT}s:\n{self.output()}"
            time.sleep(0.2)

    def output(self) -> str:
        text = []
        for log in self.logs:
            log.flush()
            log.seek(0)
            text.append(log.read().decode(errors="replace")[-3000:])
        return "\n---\n".join(text)

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


def test_two_servers_one_database_sell_hot_items(postgres, tmp_path):
    # given a shop with 30 of flour and 30 of water, committed, and an admin API token
    shop = Shop()
    shop.receive(shop.flour, 30, "5.00")
    shop.receive(shop.water, 30, "1.30")
    received = {shop.flour.pk: D("30"), shop.water.pk: D("30")}
    _token, raw = create_token(by=shop.admin, name="two servers")
    headers = {"Authorization": f"Bearer {raw}"}
    items = list(received)

    servers = Servers(tmp_path)
    try:
        servers.wait_ready(raw)
        answers = _sell_through_both(servers.urls, headers, shop, items)
        # and then, LAST_UNIT_ROUNDS times, one more unit of flour arrives and one request for it is sent
        # to both servers at the same moment: the one that loses must replay the winner's answer, not
        # report its effect as "not enough stock"
        for r in range(LAST_UNIT_ROUNDS):
            shop.receive(shop.flour, 1, "5.00")
            received[shop.flour.pk] += 1
            body = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                    "lines": [{"item": shop.flour.pk, "quantity": "1"}], "advance_to": "posted"}
            answers.update(_same_key_to_all(servers.urls, headers, f"last-{r}", body))
    finally:
        servers.stop()

    # then no server error, ever, and refusals are only "not enough stock"
    statuses = Counter(status for per_key in answers.values() for status, _body in per_key)
    assert all(s in (201, 409) for s in statuses), (statuses, servers.output())
    assert statuses[201] > 0 and statuses[409] > 0, statuses
    assert all(answers[f"last-{r}"][0][0] == 201 for r in range(LAST_UNIT_ROUNDS)), answers
    for per_key in answers.values():
        for status, body in per_key:
            if status == 409:
                assert body["code"] == "stock.insufficient", body
                assert D(body["data"]["requested"]) > D(body["data"]["available"]) >= 0
    # every key produced at most one document, and every answer for one key tells the same story
    for key, per_key in answers.items():
        created = {body["id"] for status, body in per_key if status == 201}
        assert len(created) <= 1, (key, per_key)
        assert len({status for status, _ in per_key}) == 1, (key, per_key)
    deliveries = Document.objects.filter(company=shop.company, kind="sales_delivery")
    created_ids = {body["id"] for per_key in answers.values() for status, body in per_key if status == 201}
    assert set(deliveries.values_list("pk", flat=True)) == created_ids
    assert IdempotencyRecord.objects.filter(user=shop.admin).count() == len(created_ids)
    assert all(d.status == Status.POSTED for d in deliveries)

    # the balance is what came in minus what the accepted deliveries took, never negative
    taken = Counter()
    for line in DocumentLine.objects.filter(document__in=deliveries):
        taken[line.item_id] += line.quantity
    for item_id, qty_in in received.items():
        left = ItemValuation.objects.get(item_id=item_id, warehouse=shop.main).quantity
        assert left == qty_in - taken[item_id] >= 0
    assert not StockBalance.objects.filter(quantity__lt=0).exists()

    # document numbers are unique and gap-free for the day
    numbers = sorted(deliveries.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == len(created_ids)
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, len(numbers) + 1))
    assert_ledger_consistent()


def _sell_through_both(urls, headers, shop, items) -> dict[str, list[tuple[int, dict]]]:
    """CLIENTS threads, PER_CLIENT deliveries each; return every answer per Idempotency-Key."""
    answers: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)
    errors: list[str] = []

    def send(client, url, key, body):
        r = client.post(f"{url}/api/documents", json=body, headers={**headers, "Idempotency-Key": key})
        with lock:
            answers[key].append((r.status_code, r.json() if r.headers.get("content-type", "").startswith(
                "application/json") else {"raw": r.text[:300]}))
        return r

    def client_thread(i):
        rnd = random.Random(i)
        try:
            with httpx.Client(timeout=30) as client, concurrent.futures.ThreadPoolExecutor(2) as pool:
                barrier.wait()
                for j in range(PER_CLIENT):
                    picked = rnd.sample(items, rnd.choice([1, 2]))  # both orders of the two items happen
                    over_ask = rnd.random() < 0.2
                    lines = [{"item": pk, "quantity": str(100 if over_ask else rnd.randint(1, 4))} for pk in picked]
                    body = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                            "lines": lines, "advance_to": "posted"}
                    key = f"c{i}-{j}"
                    first, other = urls[(i + j) % 2], urls[(i + j + 1) % 2]
                    how = rnd.random()
                    if how < 0.25:  # the same key to both servers at the same moment
                        list(pool.map(send, [client] * 2, [first, other], [key] * 2, [body] * 2))
                    elif how < 0.5:  # the answer was "lost": retry on the other server
                        send(client, first, key, body)
                        send(client, other, key, body)
                    else:
                        send(client, first, key, body)
        except BaseException as exc:  # noqa: BLE001 - every unexpected error must fail the test
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert errors == []
    return answers


def _same_key_to_all(urls, headers, key, body) -> dict[str, list[tuple[int, dict]]]:
    """POST one body with one Idempotency-Key to every server at the same moment."""
    barrier = threading.Barrier(len(urls))

    def send(url):
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            r = client.post(f"{url}/api/documents", json=body, headers={**headers, "Idempotency-Key": key})
            return r.status_code, r.json()

    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        return {key: list(pool.map(send, urls))}
