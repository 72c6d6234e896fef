"""In a real browser (Debian's Chromium via Playwright): post through the htmx buttons, see a refusal in Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.documents.services import LineInput
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def _delivery(shop, quantity):
    doc = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                               lines=[LineInput(item=shop.flour.pk, quantity=Decimal(quantity))])
    return docs.advance_document(doc, by=shop.admin, to="approved")


def test_post_buttons_in_the_browser(live_server, wipeable_ledger):
    # all database work happens before the browser starts: Playwright's sync API runs an event loop
    shop = Shop()
    shop.receive(shop.flour, 20, "5.00")
    too_much, fine = _delivery(shop, "500"), _delivery(shop, "5")

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)

        page.goto(f"{live_server.url}/documents/{too_much.pk}/")
        page.click("#doc .action-buttons button:text-is('过账')")
        alert = page.wait_for_selector("#doc [role=alert]")
        assert "库存不足" in alert.inner_text()

        page.goto(f"{live_server.url}/documents/{fine.pk}/")
        page.click("#doc .action-buttons button:text-is('过账')")
        page.wait_for_selector("#doc .badge.status-posted")
        assert "已过账" in page.inner_text("#flash")
        browser.close()

    too_much.refresh_from_db()
    fine.refresh_from_db()
    assert (too_much.status, fine.status) == (Status.APPROVED, Status.POSTED)
    assert_ledger_consistent()
