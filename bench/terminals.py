"""Terminal push throughput: T terminals × N queued sales each, uploaded at once over HTTP.

    python bench/terminals.py [--db sqlite|postgres|both] [--terminals 20] [--ops 500] [--batch 100]
                              [--servers 2] [--json out.json]

For each engine: a fresh migrated database (tests/sync/terminal_servers.py: a SQLite file, or a
PostgreSQL database created next to BENCH_PG_URL's), one company whose store holds 1,000,000 of each
item, T registered POS terminals, S uvicorn processes (`openjxc.config.asgi`) on loopback. Each
terminal is a real `TerminalClient` with its own SQLite outbox holding N one-line sales (queued
offline before the clock starts); then all T push at the same moment (batches of --batch, terminal i
to server i mod S) until every outbox is empty. Printed: operations/s over the whole upload, and
the per-batch latency p50/p95. Every sale is then checked to exist exactly once and the ledger to
balance, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/openjxc_bench_terminals")


def run(engine: str, args) -> dict:
    from openjxc.sync.client import ServerUnavailable, TerminalClient
    from tests.sync.terminal_servers import Database, Server, _pg_admin, make_template

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-terminals-{engine}-"))
    template = make_template(engine, tmp, pg_url=PG_URL if engine == "postgresql" else None)
    db = Database(engine, tmp, template, name="bench")
    servers, clients = [], []
    try:
        seed = db.run("seed", str(args.terminals), "1000000")
        servers = [Server(db).wait_ready() for _ in range(args.servers)]
        for n, token in enumerate(seed["tokens"]):
            c = TerminalClient(tmp / f"till{n}.sqlite3", server=servers[n % len(servers)].url, timeout=120,
                               batch_size=args.batch)
            c.store.set(token=token)
            clients.append(c)
        for n, c in enumerate(clients):
            for k in range(args.ops):
                c.sell([{"item": "W001" if (n + k) % 2 else "F001", "qty": "1"}], payment={"method": "cash"})
        latencies: list[float] = []
        retries = []
        barrier = threading.Barrier(len(clients) + 1)
        lock = threading.Lock()

        def upload(c):
            barrier.wait()
            while c.store.backlog()["count"]:
                t0 = time.perf_counter()
                try:
                    ops = c.store.pending(args.batch)
                    body = c._request("POST", "/api/sync/push", json={"ops": ops})
                    c.store.acknowledge(body["results"])
                except ServerUnavailable as exc:
                    retries.append(str(exc))
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)

        threads = [threading.Thread(target=upload, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        total = args.terminals * args.ops
        all_ops = [row["id"] for c in clients for row in c.store.acked()]
        report = db.run("verify", stdin=json.dumps(all_ops))
        ok = (not report["missing"] and not report["repeated"] and not report["not_accepted"]
              and report["posted_sales"] == total and not report["ledger_problems"])
        if not ok:
            print(json.dumps({k: (v[:5] if isinstance(v, list) else v) for k, v in report.items()}), flush=True)
        latencies.sort()
        return {
            "engine": engine, "terminals": args.terminals, "ops_per_terminal": args.ops, "batch": args.batch,
            "servers": args.servers, "operations": total, "seconds": round(elapsed, 2),
            "ops_per_s": round(total / elapsed, 1),
            "batch_p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
            "batch_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000) if latencies else None,
            "retries": len(retries), "exactly_once_and_ledger_ok": ok,
            "load_avg": os.getloadavg(),
        }
    finally:
        for c in clients:
            c.close()
        for s in servers:
            s.stop()
        db.drop()
        if engine == "postgresql":
            from urllib.parse import urlparse

            _pg_admin(template, f'DROP DATABASE IF EXISTS "{urlparse(template).path.lstrip("/")}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--terminals", type=int, default=20)
    ap.add_argument("--ops", type=int, default=500)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openjxc.config.settings.dev")
    engines = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}[args.db]
    results = []
    for engine in engines:
        r = run(engine, args)
        results.append(r)
        print(f"{engine:<10} {r['terminals']} terminals x {r['ops_per_terminal']} sales, batches of {r['batch']}, "
              f"{r['servers']} servers: {r['operations']} ops in {r['seconds']} s = {r['ops_per_s']} ops/s; "
              f"batch p50 {r['batch_p50_ms']} ms p95 {r['batch_p95_ms']} ms; retries {r['retries']}; "
              f"exactly once + ledger: {'OK' if r['exactly_once_and_ledger_ok'] else 'FAILED'}; "
              f"load {r['load_avg'][0]:.1f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
