"""Scanning into a document's lines in a real browser (keyboard-wedge scanner = typed code + Enter), on a phone
viewport in Chinese: a scan adds a line, a second scan of the same item adds one to it, a GS1 scan fills lot and
expiry, an unknown barcode says so in red; a scanned row names its item (name · code · unit); the saved draft has
exactly those lines and posts through the ledger."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest

from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from tests.conftest import Shop, assert_ledger_consistent

CHROMIUM = "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def scan(page, code):
    page.fill(".scan-input", code)
    page.press(".scan-input", "Enter")


def test_receiving_by_scanning_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        ])
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", shop.admin.username)
        page.fill("input[name=password]", "pw-12345678")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/documents/new/?kind=purchase_receipt")
        page.select_option("select[name=warehouse]", str(shop.main.pk))
        page.select_option("select[name=partner]", str(shop.supplier.pk))

        scan(page, "6901234567892")  # 面粉
        page.wait_for_function("document.querySelector('.scan-status').textContent.includes('面粉')")
        assert "已添加" in page.inner_text(".scan-status")
        scan(page, "6901234567892")
        page.wait_for_function("document.querySelector('.scan-status').textContent.includes('2')")
        rows = page.query_selector_all(".line-row")
        assert rows[0].query_selector("input[name=line_item]").input_value() == "F001"
        assert rows[0].query_selector("input[name=line_qty]").input_value() == "2"
        # the row names the item, not just its code: name · code · unit
        page.wait_for_function("document.querySelector('.line-row .line-name').textContent.includes('千克')")
        assert rows[0].query_selector(".line-name").inner_text() == "面粉 · F001 · 千克"

        scan(page, "0000000000000")  # nobody's barcode
        page.wait_for_selector(".scan-status.bad")
        assert "0000000000000" in page.inner_text(".scan-status")

        scan(page, "01069300000000161727123110L-88")  # GS1: GTIN of 鲜牛奶, expiry 2027-12-31, lot L-88 (last)
        page.wait_for_function("document.querySelector('.scan-status').textContent.includes('鲜牛奶')")
        milk = page.query_selector_all(".line-row")[1]
        assert milk.query_selector("input[name=line_item]").input_value() == "M001"
        assert milk.query_selector("input[name=line_lot]").input_value() == "L-88"
        assert milk.query_selector("input[name=line_expires]").input_value() == "2027-12-31"
        page.wait_for_function("document.querySelectorAll('.line-row .line-name')[1].textContent.includes('瓶')")
        assert milk.query_selector(".line-name").inner_text() == "鲜牛奶 · M001 · 瓶"
        assert page.query_selector_all(".line-row")[2].query_selector(".line-name").inner_text() == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone

        page.click("button[type=submit]:text-is('保存草稿')")
        page.wait_for_url(lambda url: "/documents/new/" not in url)
        browser.close()

    doc = Document.objects.get(kind="purchase_receipt")
    lines = sorted((ln.item.code, ln.quantity, ln.lot_code, ln.expires_on) for ln in doc.lines.all())
    assert lines == [("F001", Decimal("2"), "", None), ("M001", Decimal("1"), "L-88", dt.date(2027, 12, 31))]
    doc = docs.advance_document(doc, by=shop.admin, to="posted")
    assert doc.status == Status.POSTED
    assert_ledger_consistent()
