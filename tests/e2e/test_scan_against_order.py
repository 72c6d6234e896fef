"""Scanning against an order on a 360 px phone (issue 13 items 10, 11): a carton's barcode adds its 60 bags to
the order line in bags, a bag more is flagged at once as beyond what the order allows, an item not on the order
is refused in red; the row shows its unit and what is left; the saved draft holds the bags on the order line."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from openjxc.catalog import services as catalog
from openjxc.documents import services as docs
from openjxc.documents.models import Document
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM
SHOTS = "/tmp/shots-orders"


def scan(page, code):
    page.fill(".scan-input", code)
    page.press(".scan-input", "Enter")


def test_scanning_a_carton_against_an_order_line_in_bags_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()
    bag = catalog.create_unit(by=shop.admin, code="BAG", name="袋")
    sugar = catalog.create_item(by=shop.admin, code="S060", name="白糖", base_unit=bag, category=shop.food,
                                barcodes=["6911111111116"], units=[(shop.box, Decimal("60"))], purchase_price="3")
    catalog.add_barcode(sugar, by=shop.admin, code="6911111111123", unit=shop.box)
    po = docs.create_document(by=shop.admin, kind="purchase_order", warehouse=shop.main, partner=shop.supplier,
                              lines=[docs.LineInput(item=sugar.pk, quantity=Decimal("60"), unit_price="3")],
                              advance_to="posted")
    receipt = docs.create_document(
        by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier, source=po,
        lines=[docs.LineInput(item=sugar.pk, quantity=Decimal("60"), unit_price="3",
                              source_line=po.lines.get().pk)])
    os.makedirs(SHOTS, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)
        page.goto(f"{live_server.url}/documents/{receipt.pk}/lines/?scan=1")
        row = page.query_selector(".line-row")
        assert row.query_selector("[data-line-left]").inner_text() == "订单剩余 60 袋"
        assert row.query_selector("select[name=line_unit] option:checked").inner_text() == "袋"

        scan(page, "6911111111123")  # one carton of 白糖
        expect(page.locator(".scan-status")).to_contain_text("白糖")
        assert "scan-status ok" in page.get_attribute(".scan-status", "class").replace("  ", " ")
        assert row.query_selector("input[name=line_qty]").input_value() == "60"

        scan(page, "6911111111116")  # one bag more: 61 of 60, flagged before saving
        page.wait_for_selector(".scan-status.bad")
        assert "超出订单允许数量" in page.inner_text(".scan-status") and "剩余 60 袋" in page.inner_text(".scan-status")
        assert row.query_selector("input[name=line_qty]").input_value() == "61"
        assert "over" in row.get_attribute("class")

        scan(page, "6920000000017")  # 矿泉水: not on the order
        expect(page.locator(".scan-status")).to_contain_text("不在订单")
        assert po.number in page.inner_text(".scan-status")
        assert len(page.query_selector_all(".line-row")) == 1  # nothing added for it

        # typed back to 60, the flag goes away at once
        row.query_selector("input[name=line_qty]").fill("60")
        row.query_selector("input[name=line_qty]").dispatch_event("change")
        assert "over" not in row.get_attribute("class")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=f"{SHOTS}/scan-against-order-360.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{SHOTS}/scan-against-order-1280.png", full_page=True)
        page.click("button[type=submit]:text-is('保存明细')")
        page.wait_for_url(lambda url: "/lines/" not in url)
        browser.close()

    lines = [(x.unit_id, x.unit_quantity, x.quantity, x.source_line_id)
             for x in Document.objects.get(pk=receipt.pk).lines.all()]
    assert lines == [(bag.pk, Decimal("60"), Decimal("60"), po.lines.get().pk)]


def test_a_new_document_row_takes_the_scanned_packs_unit_and_turns_into_bottles_when_a_bottle_follows(
        live_server, wipeable_ledger):
    shop = Shop()
    catalog.add_barcode(shop.water, by=shop.admin, code="6920000000024", unit=shop.box)  # a carton of 12
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)
        page.goto(f"{live_server.url}/documents/new/?kind=purchase_receipt")
        page.select_option("select[name=warehouse]", str(shop.main.pk))
        page.select_option("select[name=partner]", str(shop.supplier.pk))
        row = page.query_selector(".line-row")
        scan(page, "6920000000024")
        expect(page.locator(".scan-status")).to_contain_text("矿泉水")
        row.query_selector("input[name=line_price]").fill("14.4")  # a carton's price
        scan(page, "6920000000024")
        expect(page.locator(".line-row input[name=line_qty]").first).to_have_value("2")
        assert row.query_selector("input[name=line_item]").input_value() == "W001"
        assert row.query_selector("select[name=line_unit] option:checked").inner_text() == "箱 ×12"
        scan(page, "6920000000017")  # a single bottle: the row becomes 25 bottles at 1.2
        expect(page.locator(".line-row input[name=line_qty]").first).to_have_value("25")
        expect(page.locator(".line-row select[name=line_unit] option:checked").first).to_have_text("瓶")
        assert row.query_selector("input[name=line_price]").input_value() == "1.2"
        page.screenshot(path=f"{SHOTS}/new-document-units-360.png", full_page=True)
        page.click("button[type=submit]:text-is('保存草稿')")
        page.wait_for_url(lambda url: "/documents/new/" not in url)
        browser.close()

    (line,) = Document.objects.get(kind="purchase_receipt").lines.all()
    assert (line.unit_id, line.unit_quantity, line.quantity, line.unit_price) == (
        shop.pcs.pk, Decimal("25"), Decimal("25"), Decimal("1.2"))
