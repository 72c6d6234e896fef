"""Live screens in a real browser: the balances page updates by itself when a document is posted via the API.

Server-Sent Events need ASGI, so the page is served by uvicorn (two processes on the test PostgreSQL
database, as in tests/api/test_two_servers.py): the browser watches server B, the receipt is posted
through server A.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from openjxc.core.tokens import create_token
from tests.api import test_two_servers
from tests.api.test_two_servers import Servers, _ledger_protected_after_flush, postgres  # noqa: F401 - fixtures
from tests.browser import NEEDS_CHROMIUM, launch
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


def _collect_static(tmp_path, monkeypatch) -> None:
    """The servers serve the pages' static files from their data directory: collect them there first."""
    monkeypatch.setattr(test_two_servers, "START_TIMEOUT", 120)  # a busy machine starts Django slowly
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.dev", "JXC_DATA_DIR": str(tmp_path)}
    env.pop("JXC_TESTING", None)
    subprocess.run([sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"], env=env, check=True)


def _real_password(user) -> None:
    """The servers run the normal settings, without the tests' fast MD5 hasher."""
    user.password = PBKDF2PasswordHasher().encode("pw-12345678", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])


def _sign_in(p, url, username, servers):
    """Chromium on a 360 px phone, in Chinese, signed in on the server at `url`."""
    browser = launch(p)
    page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                            viewport={"width": 360, "height": 760})
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-12345678")
    with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        page.click("button[type=submit]")
    assert "/login" not in page.url, (page.url, page.inner_text("body")[:500], servers.output())
    return browser, page


def test_balances_page_updates_when_a_document_is_posted_through_another_server(postgres, tmp_path, monkeypatch):  # noqa: F811
    _collect_static(tmp_path, monkeypatch)
    shop = Shop()
    shop.receive(shop.flour, 20, "5.00")
    _real_password(shop.admin)
    token = create_token(by=shop.admin, name="e2e")[1]
    servers = Servers(tmp_path)
    try:
        servers.wait_ready(token)
        a, b = servers.urls
        with playwright.sync_playwright() as p:
            browser, page = _sign_in(p, b, shop.admin.username, servers)
            page.goto(f"{b}/stock/", wait_until="domcontentloaded")
            page.wait_for_selector('#live-indicator[data-state="live"]', timeout=30_000)
            assert page.text_content("#live-indicator .live-label") == "实时"  # "Live", in Chinese
            assert "W001" not in page.inner_text("#live-balances")  # no water in stock yet

            body = {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": shop.supplier.pk,
                    "lines": [{"item": shop.water.pk, "quantity": "24", "unit_price": "1.2"}], "advance_to": "posted"}
            r = httpx.post(f"{a}/api/documents", json=body, timeout=30,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, r.text
            answered = time.monotonic()
            # the page was not reloaded: the region is swapped in place
            page.evaluate("window.__notReloaded = true")
            page.wait_for_selector("#live-balances >> text=W001", timeout=30_000)
            shown = time.monotonic() - answered
            assert page.evaluate("window.__notReloaded") is True
            row = page.locator("#live-balances tr", has_text="W001")
            assert "24" in row.inner_text()
            print(f"\nbalances page updated {shown:.2f}s after the API answered")

            # the server the page listens to goes away: the indicator says so
            servers.procs[1].kill()
            page.wait_for_selector('#live-indicator[data-state="reconnecting"], #live-indicator[data-state="offline"]',
                                   timeout=15_000)
            browser.close()
    finally:
        servers.stop()
    assert_ledger_consistent()


def test_the_to_do_inbox_shows_a_document_submitted_through_another_server(postgres, tmp_path, monkeypatch):  # noqa: F811
    from openjxc.core.models import Role
    from openjxc.presets.install import install_flow_group

    _collect_static(tmp_path, monkeypatch)
    shop = Shop()
    # purchase orders over 100 wait for the general manager
    install_flow_group("purchase_order_threshold", by=shop.admin, threshold="100")
    manager = shop.user("boss", Role.MANAGER)
    _real_password(manager)
    token = create_token(by=shop.admin, name="e2e")[1]
    servers = Servers(tmp_path)
    try:
        servers.wait_ready(token)
        a, b = servers.urls
        with playwright.sync_playwright() as p:
            browser, page = _sign_in(p, b, "boss", servers)
            page.goto(f"{b}/workflow/inbox/", wait_until="domcontentloaded")
            page.wait_for_selector('#live-indicator[data-state="live"]', timeout=30_000)
            assert page.locator("#live-inbox .todo-item").count() == 0

            body = {"kind": "purchase_order", "warehouse": shop.main.pk, "partner": shop.supplier.pk,
                    "lines": [{"item": shop.flour.pk, "quantity": "50", "unit_price": "5"}],
                    "advance_to": "submitted"}
            r = httpx.post(f"{a}/api/documents", json=body, timeout=30,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, r.text
            number = r.json()["number"]
            page.evaluate("window.__notReloaded = true")
            # the order appears in the manager's waiting list without a reload, with its count on the tab
            page.wait_for_selector(f"#live-inbox .todo-item >> text={number}", timeout=30_000)
            assert page.evaluate("window.__notReloaded") is True
            assert page.inner_text("#live-inbox .tab.active .tab-count") == "1"
            browser.close()
    finally:
        servers.stop()
