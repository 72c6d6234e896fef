"""Counting on a phone in a real browser (Debian's Chromium via Playwright): a keyboard-wedge scanner types
the code and presses Enter; the page counts it, clears the field, keeps the focus, and says clearly when a
barcode is unknown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def test_scanning_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()
    shop.receive(shop.water, 3, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    counts.start_count(count, by=shop.admin)

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)
        page.goto(f"{live_server.url}/counts/{count.pk}/")
        scan = page.locator("#scan-input")
        assert scan.evaluate("el => el === document.activeElement")  # ready for the scanner at once
        for n in (1, 2):
            page.keyboard.type("6920000000017")
            page.keyboard.press("Enter")
            # the page's CSP allows no eval, so a web-first assertion instead of wait_for_function
            playwright.expect(page.locator("#scan-result [data-scan=ok]")).to_contain_text(str(n))
            assert scan.input_value() == "" and scan.evaluate("el => el === document.activeElement")
        assert page.locator(".scan-card.scan-flash-ok").count() == 1
        page.keyboard.type("0000000000000")
        page.keyboard.press("Enter")
        page.wait_for_selector("#scan-result [data-scan=error]")
        assert "条码" in page.inner_text("#scan-result")
        assert page.locator(".scan-card.scan-flash-error").count() == 1
        # nothing wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()

    line = CountLine.objects.get(count=count)
    assert line.counted_quantity == Decimal(2) and CountEntry.objects.filter(line=line).count() == 2
