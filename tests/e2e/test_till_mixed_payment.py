"""A mixed payment on the till screen in a real Chromium on a 360 px phone (issue 13 item 1 on the till): part cash,
the rest by WeChat Pay; the change is counted on the cash part; the sale records one receipt per method, so 门店散客
owes nothing, the day's takings by method are right and the till closing expects only the cash part in the drawer."""

from __future__ import annotations

from decimal import Decimal

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
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM
WATER = "6920000000017"


def test_a_till_sale_paid_part_in_cash_part_by_wechat_records_a_receipt_per_method_and_change_on_the_cash(
        live_server, wipeable_ledger, db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test reads the database between page actions
    shop, walk_in, cashier, code = cash_till_shop()
    url = live_server.url
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                      viewport={"width": 360, "height": 760})
        till = context.new_page()
        open_registered_till(till, url, code)
        till.fill("#search", "kqs")  # 矿泉水 by its pinyin initials, as a cashier types it
        till.locator("#search-results button[data-code='W001']").click()
        till.fill("#scan", WATER)  # and once more by its barcode: 2 × 2.00
        till.press("#scan", "Enter")
        expect(till.locator("#total")).to_have_text("¥4.00")
        till.click(".method:has-text('组合支付')")
        expect(till.locator("#mixed-row")).to_be_visible()
        till.fill("#cash-part", "1.50")
        expect(till.locator("#other-part")).to_have_text("¥2.50")
        till.select_option("#other-method", "wechat")
        till.fill("#tendered", "2")
        expect(till.locator("#change")).to_have_text("¥0.50")  # on the cash part, not on the total
        assert till.evaluate("document.documentElement.scrollWidth") <= 360
        # a cash part of the whole total is no mixed payment: refused on the screen, nothing saved
        till.fill("#cash-part", "4.00")
        expect(till.locator("#other-part")).to_have_text("—")  # never a negative rest, nor change on it
        expect(till.locator("#change")).to_have_text("—")
        till.fill("#cash-part", "10.00")
        expect(till.locator("#other-part")).to_have_text("—")
        expect(till.locator("#cash-part")).to_have_attribute("aria-invalid", "true")
        till.click("#pay")
        expect(till.locator("#pos-message")).to_contain_text("现金")
        till.fill("#cash-part", "1.50")
        till.click("#pay")
        till.wait_for_selector("#receipt-dialog:not([hidden])")
        expect(till.locator("#r-method")).to_have_text("现金 ¥1.50 + 微信支付 ¥2.50")
        expect(till.locator("#r-change")).to_have_text("¥0.50")
        till.locator("#r-number", has_text="XSCK").wait_for(timeout=20000)
        (sale,) = Document.objects.filter(kind="sales_delivery", partner=walk_in)
        takings = sorted(Settlement.objects.filter(document=sale).values_list("method", "amount", "till"))
        assert takings == [("cash", Decimal("1.50"), "POS1"), ("wechat", Decimal("2.50"), "POS1")]
        assert receivable_balance(shop.company.pk, walk_in.pk) == 0

        terminal = Terminal.objects.get(code="POS1")
        page = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                   viewport={"width": 360, "height": 760}).new_page()
        page.goto(f"{url}/login/")
        page.fill("input[name=username]", cashier.username)
        page.fill("input[name=password]", "pw-12345678")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/tills/closings/?terminal={terminal.pk}")
        assert page.inner_text("[data-testid=expected-cash]") == "¥1.50"  # the drawer holds the cash part only
        browser.close()
    assert_ledger_consistent(shop.company.pk)
    assert check_partner_ledger(shop.company.pk) == []
