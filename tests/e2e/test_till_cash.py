"""A till sale paid in cash in a real Chromium: 门店散客 owes nothing afterwards, and the till closing page shows the
cash the drawer should hold (desktop and a 360 px phone; screenshots in /tmp/shots-money/)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from openjxc.documents.models import Document
from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Settlement
from openjxc.finance.selectors import receivable_balance
from openjxc.sync.models import Terminal
from tests.browser import NEEDS_CHROMIUM, launch
from tests.conftest import assert_ledger_consistent
from tests.e2e.till import cash_till_shop, open_registered_till

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM
WATER = "6920000000017"
SHOTS = Path("/tmp/shots-money")


def test_a_cash_sale_at_the_till_leaves_no_receivable_and_the_closing_page_expects_its_cash(
        live_server, wipeable_ledger, db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test reads the database between page actions
    shop, walk_in, cashier, code = cash_till_shop()
    url = live_server.url
    SHOTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch(p)
        till = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"}).new_page()
        open_registered_till(till, url, code)
        for _ in range(2):
            till.fill("#scan", WATER)
            till.press("#scan", "Enter")
        till.click(".method:has-text('现金')")
        till.fill("#tendered", "10")
        till.click("#pay")
        till.wait_for_selector("#receipt-dialog:not([hidden])")
        till.locator("#r-number", has_text="XSCK").wait_for(timeout=20000)
        (sale,) = Document.objects.filter(kind="sales_delivery", partner=walk_in)
        (receipt,) = Settlement.objects.filter(document=sale)
        assert (receipt.method, receipt.amount, receipt.till) == ("cash", Decimal("4.00"), "POS1")
        assert receivable_balance(shop.company.pk, walk_in.pk) == 0

        terminal = Terminal.objects.get(code="POS1")
        for width, height in ((1280, 860), (360, 760)):
            page = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                       viewport={"width": width, "height": height}).new_page()
            page.goto(f"{url}/login/")
            page.fill("input[name=username]", cashier.username)
            page.fill("input[name=password]", "pw-12345678")
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            page.goto(f"{url}/tills/closings/?terminal={terminal.pk}")
            assert page.inner_text("[data-testid=expected-cash]") == "¥4.00"
            page.screenshot(path=str(SHOTS / f"closing-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 360:  # close it on the phone: 4.00 counted, no difference
                page.fill("input[name=counted]", "4.00")
                page.click("button:text-is('确认交班')")
                page.wait_for_selector("[data-testid=closing]")
                assert "¥4.00" in page.inner_text("[data-testid=closing]")
                page.screenshot(path=str(SHOTS / "closing-detail-360.png"), full_page=True)
            page.context.close()
        browser.close()
    assert_ledger_consistent(shop.company.pk)
    assert check_partner_ledger(shop.company.pk) == []
