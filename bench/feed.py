"""The change feed: latency commit → visible on an SSE client, and what the feed's cursor costs a posting.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/openjxc_bench_feed python bench/feed.py [N]
    python bench/feed.py [N]          (a SQLite file in a temporary directory)

A fresh database with bench/posting.py's world (200 items). Then:
1. Write path: 3-line sales deliveries posted in-process (create_document(advance_to="posted")), in
   alternating rounds "before" (Event.txid's default replaced by the constant 0 and the feed index by
   the old (company, id) one: what the table was before docs/decisions/0009) and "after" (as migrated).
   CPU ms and wall ms per document, median of the rounds.
2. Latency: one uvicorn process serves the database; an SSE client (httpx) reads /api/feed/stream;
   N deliveries are posted in-process with random pauses, and for each the time from the commit
   (create_document returned) to the arrival of its first event on the stream is taken. p50/p99/max.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posting  # noqa: E402  (bench/posting.py: the same world and delivery)
from _fresh import fresh_database  # noqa: E402

ROUNDS = 6
PER_ROUND = 60


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def set_variant(before: bool) -> None:
    """Switch the event table between the old shape (before) and the migrated one (after)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            default = "0" if before else "(pg_current_xact_id()::text::bigint)"
            cur.execute(f"ALTER TABLE core_event ALTER COLUMN txid SET DEFAULT {default}")
        cur.execute("DROP INDEX IF EXISTS core_event_feed")
        cur.execute("DROP INDEX IF EXISTS core_event_bench_old")
        if before:
            cur.execute("CREATE INDEX core_event_bench_old ON core_event (company_id, id)")
        else:
            cur.execute("CREATE INDEX core_event_feed ON core_event (company_id, txid, id)")


def write_path(by, world, rng) -> dict:
    from openjxc.documents import services as docs  # noqa: F401 - warm imports

    out = {"before": [], "after": []}
    for r in range(ROUNDS * 2):
        variant = "before" if r % 2 == 0 else "after"
        set_variant(variant == "before")
        for _ in range(5):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(PER_ROUND):
            posting.deliver(by, world, rng, one_tx=True, advance_to=True)
        out[variant].append(((time.process_time() - cpu0) / PER_ROUND * 1000, (time.perf_counter() - t0) / PER_ROUND * 1000))
    set_variant(False)
    return {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v)) for k, v in out.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener(threading.Thread):
    def __init__(self, url, token):
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.first_seen: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self):
        import httpx

        try:
            self._read(httpx)
        except httpx.HTTPError:
            if not self.stop.is_set():
                raise  # the server went away before the benchmark was done with it

    def _read(self, httpx):
        with httpx.Client(timeout=httpx.Timeout(5, read=60)) as client, client.stream(
                "GET", f"{self.url}/api/feed/stream", headers={"Authorization": f"Bearer {self.token}"}) as r:
            event, data = None, None
            for line in r.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line == "" and data is not None:
                    if event == "ready":
                        self.ready.set()
                    else:
                        d = json.loads(data)
                        if d["object_type"] == "documents.document":
                            self.first_seen.setdefault(d["object_id"], time.monotonic())
                    event, data = None, None


def latency(world, by, n, env) -> list[float]:
    import httpx

    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "openjxc.config.asgi:application", "--host", "127.0.0.1",
                             "--port", str(port), "--no-access-log", "--log-level", "warning"], env=env)
    token = posting.api_token(world)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.2)
        listener = Listener(url, token)
        listener.start()
        assert listener.ready.wait(30), "no ready event"
        rng = random.Random(7)
        committed: dict[str, float] = {}
        from decimal import Decimal

        for _ in range(n):
            lines = [LineInput(item=i, quantity=Decimal(1)) for i in posting.pick_items(rng, world["items"])]
            doc = docs.create_document(by=by, kind="sales_delivery", warehouse=world["warehouse_id"],
                                       partner=world["customer_id"], lines=lines, advance_to="posted")
            committed[str(doc.pk)] = time.monotonic()
            time.sleep(rng.uniform(0.02, 0.12))
        deadline = time.monotonic() + 30
        while set(committed) - set(listener.first_seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        listener.stop.set()
        missing = set(committed) - set(listener.first_seen)
        assert not missing, f"{len(missing)} documents never reached the stream"
        return [listener.first_seen[k] - t for k, t in committed.items()]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    data_dir = fresh_database("openjxc-feed-", os.environ.get("DATABASE_URL"))
    url = os.environ["DATABASE_URL"]
    posting.ITEMS = 200
    from django.db import connection

    from openjxc.core.models import User

    try:
        world = posting.build_world()
        by = User.objects.select_related("company").get(pk=world["admin_id"])
        rng = random.Random(1)
        cost = write_path(by, world, rng)
        lat = latency(world, by, n, dict(os.environ))
        (bc, bw), (ac, aw) = cost["before"], cost["after"]
        print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {connection.vendor}")
        print(f"write path, ms/doc (median of {ROUNDS} rounds × {PER_ROUND}): before CPU {bc:.2f} wall {bw:.2f} | "
              f"after CPU {ac:.2f} wall {aw:.2f} | Δ CPU {ac - bc:+.2f} wall {aw - bw:+.2f}")
        ms = [x * 1000 for x in lat]
        print(f"commit → SSE client, {len(ms)} documents: p50 {pct(ms, 50):.0f} ms, p99 {pct(ms, 99):.0f} ms, "
              f"max {max(ms):.0f} ms (poll every {os.environ.get('JXC_SSE_POLL_SECONDS', '0.25')} s)")
    finally:
        connection.close()
        if url.startswith("postgres"):
            import psycopg

            base, name = url.rsplit("/", 1)
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
