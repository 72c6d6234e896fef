"""SQLite over real HTTP: the server's connections reused (JXC_DB_POOL=10) or one per request (0), decision 0026.

    python bench/sqlite_connections_http.py [N] [ROUNDS] [CLIENTS] [me]

Starts the real ASGI app under uvicorn (tests/api/counted_server.py: the app plus a /__counts path that reports
the connections a server process opened and the statements it ran) on one SQLite file, production engine
and settings (FULL synchronous), with 1 and 2 worker processes, pool on and off, alternating in rounds. Each
run: 20 warm-up requests, then CLIENTS threads (keep-alive) send N API deliveries (3 lines, advance_to posted,
token + Idempotency-Key) and N `GET /api/me` between them. Prints requests/s, the server's CPU ms per request
(its processes' user + system time: this machine is shared, wall time is not), new connections per 100
requests and, on 1 worker, the statements of one delivery (five sequential ones, averaged). With `me` every request is `GET /api/me` (2N of them).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import serve  # bench/serve.py: a free port, stopping a server, its CPU

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "tests" / "api" / "counted_server.py"


class Server:
    def __init__(self, data: Path, workers: int, pool: bool):
        self.port = serve.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in {"JXC_TESTING", "REDIS_URL", "DATABASE_URL"}}
        env.update(DJANGO_SETTINGS_MODULE="openjxc.config.settings.prod", SECRET_KEY=secrets.token_urlsafe(48),
                   JXC_INSECURE_COOKIES="1", JXC_DATA_DIR=str(data), JXC_ALLOWED_HOSTS="127.0.0.1,localhost",
                   DATABASE_URL=f"sqlite:///{data}/db.sqlite3", JXC_DB_POOL="10" if pool else "0",
                   PYTHONPATH=str(ROOT))
        self.log = open(data / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, str(LAUNCHER), str(data), str(self.port), str(workers)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {data / 'server.log'}")
            try:
                if httpx.get(f"{self.base}/__counts", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 180 s")
            time.sleep(0.3)
        self.world = json.loads((data / "world.json").read_text())

    def cpu_s(self) -> float:
        return serve.tree_cpu_s(self.proc.pid)

    def counts(self, workers: int) -> dict:
        """{pid: counts} of every worker process (a new TCP connection each try: the kernel picks the worker)."""
        seen: dict = {}
        for _ in range(60):
            c = httpx.get(f"{self.base}/__counts", timeout=10).json()
            seen[c["pid"]] = c
            if len(seen) == workers:
                break
        return seen

    def stop(self) -> None:
        serve.stop(self.proc)
        self.log.close()


def _delivery(world: dict, n: int) -> dict:
    items = world["items"][3 * (n % 6):3 * (n % 6) + 3]
    return {"kind": "sales_delivery", "warehouse": world["warehouse"], "partner": world["customer"],
            "advance_to": "posted", "lines": [{"item": i, "quantity": "1"} for i in items]}


ONLY_ME = False


def _work(base: str, world: dict, count: int, errors: list) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {world['token']}"}, timeout=60) as c:
        for n in range(count):
            if ONLY_ME:
                if c.get("/api/me").status_code != 200:
                    errors.append("me")
                if c.get("/api/me").status_code != 200:
                    errors.append("me")
                continue
            r = c.post("/api/documents", json=_delivery(world, n), headers={"Idempotency-Key": str(uuid.uuid4())})
            if r.status_code != 201:
                errors.append(r.status_code)
            if c.get("/api/me").status_code != 200:
                errors.append("me")


def run(data: Path, workers: int, pool: bool, n: int, clients: int) -> dict:
    server = Server(data, workers, pool)
    try:
        _work(server.base, server.world, 10, [])  # warm-up: 20 requests
        stmts = None
        if workers == 1:
            with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {server.world['token']}"},
                              timeout=60) as c:
                before = c.get("/__counts").json()
                for k in range(5):
                    c.post("/api/documents", json=_delivery(server.world, k),
                           headers={"Idempotency-Key": str(uuid.uuid4())})
                stmts = (c.get("/__counts").json()["statements"] - before["statements"]) / 5
        before = server.counts(workers)
        cpu0 = server.cpu_s()
        errors: list = []
        share = [n // clients + (1 if t < n % clients else 0) for t in range(clients)]
        threads = [threading.Thread(target=_work, args=(server.base, server.world, share[t], errors))
                   for t in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = server.cpu_s() - cpu0
        after = server.counts(workers)
        opened = sum(after[p]["connections"] - before.get(p, {"connections": 0})["connections"] for p in after)
        if len(after) < workers or set(before) != set(after):
            opened = None  # a worker's counts not seen twice
        requests = 2 * n
        return {"rps": requests / wall, "cpu_ms": cpu / requests * 1000, "stmts": stmts, "errors": len(errors),
                "per100": None if opened is None else opened / requests * 100}
    finally:
        server.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    global ONLY_ME
    ONLY_ME = sys.argv[4:5] == ["me"]
    data = Path(tempfile.mkdtemp(prefix="oj_sqliteconn-bench-"))
    modes = [(1, True), (1, False), (2, True), (2, False)]
    results: dict = {m: [] for m in modes}
    try:
        for r in range(rounds):
            for m in modes:
                got = run(data, *m, n, clients)
                got["load"] = os.getloadavg()[0]
                results[m].append(got)
                print(f"round {r + 1} workers={m[0]} pool={'on' if m[1] else 'off'}: {got}", flush=True)
        what = f"{2 * n} GET /api/me" if ONLY_ME else f"{n} deliveries + {n} GET /api/me"
        print(f"\n{what} per run, {clients} clients, {rounds} rounds; medians:")
        for (workers, pool), got in results.items():
            def med(key, got=got):
                xs = sorted(g[key] for g in got if g[key] is not None)
                return xs[len(xs) // 2] if xs else float("nan")
            loads = ", ".join(f"{g['load']:.1f}" for g in got)
            print(f"workers={workers} pool={'on ' if pool else 'off'}: {med('rps'):.1f} req/s, "
                  f"{med('cpu_ms'):.2f} server CPU ms/request, {med('per100'):.1f} new connections per 100 "
                  f"requests, statements per delivery {med('stmts')}, errors {sum(g['errors'] for g in got)}, "
                  f"load {loads}")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
