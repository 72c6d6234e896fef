"""The cockpit is live: a sale posted through the API on one app server shows in the sales tile of a cockpit
open on another server, without a reload (two uvicorn processes on the test PostgreSQL database, as in
test_live_balances.py; Server-Sent Events need ASGI). The cockpit's GET writes nothing: the background worker
(`jxc worker`, started here as `jxc serve` starts it) adds the posting to the facts and its `reports.facts`
event makes the page fetch its tiles again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from openjxc.core.tokens import create_token
from tests.api.test_two_servers import (  # noqa: F401 - fixtures
    Servers,
    _database_url,
    _ledger_protected_after_flush,
    postgres,
)
from tests.browser import NEEDS_CHROMIUM
from tests.conftest import Shop, assert_ledger_consistent
from tests.e2e.test_live_balances import _collect_static, _real_password, _sign_in

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


def test_a_sale_posted_through_another_server_updates_the_sales_tile(postgres, tmp_path, monkeypatch):  # noqa: F811
    _collect_static(tmp_path, monkeypatch)
    shop = Shop()
    shop.receive(shop.flour, 50, "5.00")
    _real_password(shop.admin)
    token = create_token(by=shop.admin, name="e2e")[1]
    servers = Servers(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "JXC_TESTING"}
    env.update(DATABASE_URL=_database_url(), JXC_DATA_DIR=str(tmp_path), JXC_DEBUG="0",
               DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev")  # the servers' queue (tmp_path/huey.sqlite3)
    worker = subprocess.Popen([sys.executable, "-m", "openjxc.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        servers.wait_ready(token)
        a, b = servers.urls
        with playwright.sync_playwright() as p:
            browser, page = _sign_in(p, b, shop.admin.username, servers)
            page.goto(f"{b}/reports/cockpit/", wait_until="domcontentloaded")
            page.wait_for_selector('#live-indicator[data-state="live"]', timeout=30_000)
            value = ".tile-sales_today .tile-value"
            assert page.get_attribute(value, "data-value") == "0.00"
            page.wait_for_selector("[data-tile-chart='sales_today'] svg")

            body = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                    "lines": [{"item": shop.flour.pk, "quantity": "10", "unit_price": "8"}], "advance_to": "posted"}
            r = httpx.post(f"{a}/api/documents", json=body, timeout=30,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, r.text
            answered = time.monotonic()
            page.evaluate("window.__notReloaded = true")
            page.wait_for_selector(f"{value}[data-value='80.00']", timeout=30_000)
            shown = time.monotonic() - answered
            assert page.evaluate("window.__notReloaded") is True
            assert "¥80.00" in page.inner_text(value)
            page.wait_for_selector("[data-tile-chart='sales_today'] svg")  # the chart is drawn again after the swap
            print(f"\nsales tile updated {shown:.2f}s after the API answered")
            browser.close()
    finally:
        servers.stop()
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert_ledger_consistent()
