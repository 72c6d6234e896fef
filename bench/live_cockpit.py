"""Live cockpit benchmark: from a posting's commit on one app server to its figure on a cockpit of the other.

    BENCH_COCKPIT_DB=oj_cockpit_bench python bench/live_cockpit.py [--samples 200] [--gap 1.0] [--json out.json]

Reuses the company bench/cockpit.py built in PostgreSQL database BENCH_COCKPIT_DB (its "bench-admin"), and starts
what production runs: two uvicorn app servers (A, B) and one background worker (`jxc worker`, the facts consumer),
sharing one task queue. A client listens to B's Server-Sent Events stream (/api/feed/stream, as a browser's live
region does); then, --samples times, --gap seconds apart:

  commit      POST /api/documents to A (a 1-line sales delivery, advance_to=posted); A answers after the commit
  event       the first `reports.facts` event on B's stream after that (the worker added the posting to the facts;
              the cockpit region refreshes on it)
  tile        the cockpit fetched from B after that event (GET /api/reports/cockpit, the tiles a refresh renders)
              shows the new sales-today figure (if not, the next event is waited for)

and prints p50 / p99 / max of commit → event and commit → tile, with the load average. Every wait is bounded
(--timeout per sample); every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres").rsplit("/", 1)[0]
DB = os.environ.get("BENCH_COCKPIT_DB", "openjxc_cockpit_bench")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def _listen(url: str, token: str, out: queue.Queue, stop: threading.Event) -> None:
    """B's event stream: (arrival time, topic) of every event, until `stop` (reconnects when the server ends it)."""
    while not stop.is_set():
        try:
            with httpx.stream("GET", f"{url}/api/feed/stream", headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx.Timeout(5, read=30)) as r:
                data = []
                for line in r.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("event: ready"):
                        out.put((time.monotonic(), "ready"))
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "" and data:
                        try:
                            topic = json.loads("".join(data)).get("topic", "")
                        except ValueError:
                            topic = ""
                        out.put((time.monotonic(), topic))
                        data = []
        except httpx.HTTPError:
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--gap", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="jxc-live-")
    env = {k: v for k, v in os.environ.items() if k != "JXC_TESTING"}
    env.update(DATABASE_URL=f"{PG_URL}/{DB}", JXC_DATA_DIR=data_dir, JXC_DEBUG="0",
               DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Sum

    from openjxc.catalog.models import Item
    from openjxc.core.models import User
    from openjxc.core.tokens import create_token
    from openjxc.partners.models import Partner
    from openjxc.reports import cockpit_snapshots
    from openjxc.stock.models import StockBalance, Warehouse

    admin = User.objects.get(username="bench-admin")
    company = admin.company
    token = create_token(by=admin, name=f"live bench {uuid.uuid4().hex[:6]}")[1]
    store = Warehouse.objects.filter(company=company, kind="store").order_by("pk").first()
    item = Item.objects.filter(company=company, is_active=True).order_by("pk").first()
    customer = Partner.objects.filter(company=company, kind__in=["customer", "both"]).order_by("pk").first()
    supplier = Partner.objects.filter(company=company, kind__in=["supplier", "both"]).order_by("pk").first()
    on_hand = StockBalance.objects.filter(company=company, location__warehouse=store, item=item).aggregate(
        q=Sum("quantity"))["q"] or 0
    row = {"item_id": item.pk, "location__warehouse_id": store.pk, "receive": max(0, args.samples + 10 - on_hand)}
    t0 = time.perf_counter()
    computed = cockpit_snapshots.refresh(company)  # what the worker does every minute; done once here first
    print(f"worker snapshots: {computed} slow figures in {time.perf_counter() - t0:.1f} s", flush=True)
    connection.close()

    procs, logs = [], []
    out: dict = {"db": DB, "samples": args.samples, "gap": args.gap, "load_before": os.getloadavg()}
    stop = threading.Event()
    try:
        urls = []
        for i in range(2):
            port = _port()
            log = open(Path(data_dir) / f"server{i}.log", "w+b")  # noqa: SIM115 - closed below
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "openjxc.config.asgi:application",
                                           "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                                          env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
            urls.append(f"http://127.0.0.1:{port}")
        log = open(Path(data_dir) / "worker.log", "w+b")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen([sys.executable, "-m", "openjxc.cli", "worker"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=ROOT))
        a, b = urls
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                assert time.monotonic() < deadline, "servers not ready"
                try:
                    if httpx.get(f"{url}/api/me", headers=auth, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        events: queue.Queue = queue.Queue()
        listener = threading.Thread(target=_listen, args=(b, token, events, stop), daemon=True)
        listener.start()
        assert events.get(timeout=30)[1] == "ready"
        client = httpx.Client(timeout=args.timeout)

        def sales_today() -> str:
            r = client.get(f"{b}/api/reports/cockpit", headers=auth)
            assert r.status_code == 200, r.text
            return next(t["value"] for t in r.json()["tiles"] if t["key"] == "sales_today")

        if row["receive"]:  # the bench history writes moves, not balances: stock for the sales first
            r = client.post(f"{a}/api/documents", headers={**auth, "Idempotency-Key": str(uuid.uuid4())}, json={
                "kind": "purchase_receipt", "warehouse": store.pk, "partner": supplier.pk, "advance_to": "posted",
                "lines": [{"item": item.pk, "quantity": str(row["receive"]), "unit_price": "5"}]})
            assert r.status_code == 201, r.text
        t = time.perf_counter()
        shown = sales_today()  # warm: B's first render
        out["first_render_s"] = round(time.perf_counter() - t, 3)
        renders, to_event, to_tile, misses = [], [], [], 0
        body = {"kind": "sales_delivery", "warehouse": row["location__warehouse_id"], "partner": customer.pk,
                "lines": [{"item": row["item_id"], "quantity": "1", "unit_price": "8"}], "advance_to": "posted"}
        for n in range(args.samples):
            while not events.empty():
                events.get_nowait()
            r = client.post(f"{a}/api/documents", json=body, headers={**auth, "Idempotency-Key": str(uuid.uuid4())})
            committed = time.monotonic()
            assert r.status_code == 201, r.text
            first = None
            while True:
                left = committed + args.timeout - time.monotonic()
                assert left > 0, f"sample {n}: no updated tile within {args.timeout} s"
                at, topic = events.get(timeout=left)
                if topic != "reports.facts":
                    continue
                first = first or at
                t = time.perf_counter()
                value = sales_today()
                renders.append(time.perf_counter() - t)
                if value != shown:
                    shown = value
                    break
                misses += 1  # an event of a batch before this posting: wait for the next
            to_event.append(first - committed)
            to_tile.append(time.monotonic() - committed)
            time.sleep(max(0.0, args.gap - (time.monotonic() - committed)))
        out["load_after"] = os.getloadavg()
        for name, xs in (("commit_to_event_s", to_event), ("commit_to_tile_s", to_tile), ("render_s", renders)):
            out[name] = {"p50": round(statistics.median(xs), 3), "p99": round(_pct(xs, 99), 3),
                         "max": round(max(xs), 3), "n": len(xs)}
        out["waited_for_a_second_event"] = misses
        print(json.dumps(out, indent=2), flush=True)
    finally:
        stop.set()
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
