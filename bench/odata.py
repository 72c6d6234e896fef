"""The OData feed: paging through a million fact rows over HTTP (issue 17: ≥ 20,000 rows/s).

    python bench/odata.py [--rows 1000000] [--page 5000] [--keep]

PostgreSQL only (the hosted case): a fresh database `openjxc_bench_odata` on the server BENCH_PG_ADMIN_URL points
at (default postgresql://postgres@127.0.0.1:5432). One company, its administrator and an API token are made
through the services; then N rows go into reports_salesday (the facts behind the `fact_sales_line` entity) with one
set-based INSERT … SELECT FROM generate_series (1,000 days × 5 warehouses × 200 items, customers, salespeople and
channels varied), and a second company gets 10 % as many, so the company filter has something to leave out.

A real server: one uvicorn process (bench/serve.py, as in production without a proxy) serves the ASGI application
with the production settings. The client (httpx, one keep-alive connection, Basic auth with the token as password,
as Power BI sends it) reads /odata/fact_sales_line, follows @odata.nextLink to the end, parses every page's JSON
and counts the rows. Figures: rows/s over the whole walk, first/median/last page time (keyset paging: the last page
should cost what the first does), and the same walk with a $filter. The database is dropped at the end unless
--keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import PG_ADMIN_URL, fresh_database, machine_line, pg_url  # noqa: E402

DATABASE = "openjxc_bench_odata"
TARGET = 20_000  # rows/s

FILL = """
INSERT INTO reports_salesday (company_id, day, warehouse_id, item_id, customer_id, salesperson_id, channel, qty,
                              revenue, tax, discount, cogs, return_qty, return_revenue, return_tax, return_cost)
SELECT %(company)s, DATE '2023-01-01' + (g / 1000), 1 + (g %% 1000) %% 5, 1 + (g %% 1000) / 5, 1 + g %% 97,
       g %% 13, 1 + g %% 3, 10000 * (1 + g %% 50), 250 * (1 + g %% 400), 30 * (1 + g %% 400), g %% 7 * 100,
       180 * (1 + g %% 400), CASE WHEN g %% 41 = 0 THEN 10000 ELSE 0 END, CASE WHEN g %% 41 = 0 THEN 250 ELSE 0 END,
       0, CASE WHEN g %% 41 = 0 THEN 180 ELSE 0 END
FROM generate_series(0, %(n)s - 1) AS g
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(rows: int) -> tuple[str, int]:
    """Two companies, the facts, a token of the first company's administrator: (raw token, company id)."""
    from django.db import connection

    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.core.tokens import create_token

    companies = []
    for code, n in (("BIG", rows), ("SMALL", max(1, rows // 10))):
        company = core.create_company(code=code, name=f"{code} 商贸")
        admin = core.create_user(by=None, company=company, username=f"{code.lower()}-admin", password="pw-12345678",
                                 roles=[Role.ADMIN])
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(FILL, {"company": company.pk, "n": n})
        print(f"  {code}: {n:,} fact rows inserted in {time.perf_counter() - started:.1f} s", flush=True)
        companies.append((company, admin))
    with connection.cursor() as cur:
        cur.execute("ANALYZE reports_salesday")
    company, admin = companies[0]
    return create_token(by=admin, name="bench")[1], company.pk


def walk(client, url: str, params: dict | None = None) -> tuple[int, float, list[float]]:
    """Follow nextLink from `url` to the end: rows read, seconds, seconds per page."""
    rows, pages = 0, []
    started = time.perf_counter()
    next_url, next_params = url, params
    while next_url:
        t = time.perf_counter()
        response = client.get(next_url, params=next_params)
        response.raise_for_status()
        body = json.loads(response.content)
        pages.append(time.perf_counter() - t)
        rows += len(body["value"])
        next_url, next_params = body.get("@odata.nextLink"), None
    return rows, time.perf_counter() - started, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=5000, help="Prefer: odata.maxpagesize (the server's default is "
                                                                "5000)")
    parser.add_argument("--keep", action="store_true", help="leave the database for a look afterwards")
    args = parser.parse_args()

    print(machine_line(), flush=True)
    url = pg_url(DATABASE)
    data_dir = fresh_database("openjxc-odata-", url)
    token, _company = build(args.rows)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "serve.py"), "127.0.0.1",
                               str(port), "1"], env=env)
    try:
        import httpx

        base = f"http://127.0.0.1:{port}/odata/"
        headers = {"Prefer": f"odata.maxpagesize={args.page}"}
        with httpx.Client(auth=("powerbi", token), headers=headers, timeout=120) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get(base).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.2)
            print(f"load before the walk: {os.getloadavg()[0]:.1f}", flush=True)
            results = {}
            for label, params in (("all rows", None), ("$filter channel eq 'till' and revenue gt 500", {
                    "$filter": "channel eq 'till' and revenue gt 500"})):
                rows, seconds, pages = walk(client, base + "fact_sales_line", params)
                rate = rows / seconds
                results[label] = rate
                print(f"{label}: {rows:,} rows in {len(pages)} pages, {seconds:.1f} s = {rate:,.0f} rows/s "
                      f"(target {TARGET:,}); page ms first {pages[0] * 1000:.0f}, median "
                      f"{statistics.median(pages) * 1000:.0f}, last {pages[-1] * 1000:.0f}, max "
                      f"{max(pages) * 1000:.0f}", flush=True)
                if label == "all rows":
                    assert rows == args.rows, f"read {rows:,} rows, expected {args.rows:,}"
            print(f"load after: {os.getloadavg()[0]:.1f}", flush=True)
            verdict = "meets" if results["all rows"] >= TARGET else "MISSES"
            print(f"paging through {args.rows:,} rows: {results['all rows']:,.0f} rows/s {verdict} the target",
                  flush=True)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
