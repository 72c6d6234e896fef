"""The new-document form's item picker in a real Chromium, on a desktop and a 360 px phone (issue 13 item 27):
an item is found by its name, its pinyin (full or initials: 可口可乐 → kekoukele, kkkl), its code or any of its
barcodes, and picked with the keyboard (↓ Enter) or a tap; lot and expiry fields show only for a lot-tracked
item; a partner who is both supplier and customer is listed once. The saved draft has exactly the picked lines."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openjxc.catalog import services as catalog
from openjxc.documents.models import Document
from openjxc.documents.services import advance_document
from openjxc.partners import services as partners
from tests.browser import NEEDS_CHROMIUM, launch, sign_in, wait_for
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM


def _row(page, n):
    return page.locator(".line-row").nth(n)


def _type(page, n, text):
    field = _row(page, n).locator("input[name=line_item]")
    field.click()
    field.press_sequentially(text, delay=30)
    expect(_row(page, n).locator(".item-picker [role=option]").first).to_be_visible()
    return field


@pytest.mark.parametrize("width", [1280, 360])
def test_items_are_picked_by_name_pinyin_code_or_barcode_and_lots_show_only_for_tracked_items(
        live_server, wipeable_ledger, monkeypatch, width):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test reads the database after the page
    shop = Shop()
    cola = catalog.create_item(by=shop.admin, code="K001", name="可口可乐", base_unit=shop.pcs,
                               barcodes=["6954767412345"], units=[(shop.box, D("24"))], purchase_price=D("2"))
    catalog.create_item(by=shop.admin, code="K002", name="可乐鸡翅", base_unit=shop.pcs)  # also matches 可乐, not kkkl
    both = partners.create_partner(by=shop.admin, code="B001", name="万家批发", kind="both")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": width, "height": 900}, has_touch=width < 600)
        sign_in(page, live_server, shop.admin)
        page.goto(f"{live_server.url}/documents/new/?kind=purchase_receipt")
        # a partner who is both supplier and customer is one option, not two
        assert page.locator(f"select[name=partner] option[value='{both.pk}']").count() == 1
        page.select_option("select[name=warehouse]", str(shop.main.pk))
        page.select_option("select[name=partner]", str(both.pk))
        # no item yet: no lot fields
        assert _row(page, 0).locator("[data-lot-field]").first.is_hidden()

        # initials, then Enter: the first match is taken and the cursor goes to the quantity
        field = _type(page, 0, "kkkl")
        assert _row(page, 0).locator(".item-picker [role=option]").all_inner_texts() == ["可口可乐\nK001"]
        field.press("Enter")
        expect(_row(page, 0).locator("input[name=line_item]")).to_have_value("K001")
        expect(_row(page, 0).locator(".line-name")).to_have_text("可口可乐 · K001 · 瓶")
        assert wait_for(page, "document.activeElement && document.activeElement.name") == "line_qty"
        page.keyboard.type("3")
        assert _row(page, 0).locator("[data-lot-field]").first.is_hidden()
        assert _row(page, 0).locator("select[name=line_unit] option").all_inner_texts() == ["瓶", "箱 ×24"]

        # full pinyin of a lot-tracked item: the lot and expiry fields appear
        _type(page, 1, "xianniunai").press("Enter")
        expect(_row(page, 1).locator("input[name=line_item]")).to_have_value("M001")
        expect(_row(page, 1).locator("[data-lot-field]").first).to_be_visible()
        page.keyboard.type("2")
        _row(page, 1).locator("input[name=line_lot]").fill("L-7")
        _row(page, 1).locator("input[name=line_expires]").fill("2027-06-30")

        # part of the name lists both 可乐 items: ↓ moves to the second, a tap on the first takes it instead
        _type(page, 2, "可乐")
        options = _row(page, 2).locator(".item-picker [role=option]")
        expect(options).to_have_count(2)
        page.keyboard.press("ArrowDown")
        assert options.nth(1).get_attribute("aria-selected") == "true"
        options.nth(0).tap() if width < 600 else options.nth(0).click()
        expect(_row(page, 2).locator("input[name=line_item]")).to_have_value("K001")
        _row(page, 2).locator("input[name=line_qty]").fill("1")
        _row(page, 2).locator("select[name=line_unit]").select_option(label="箱 ×24")

        # a barcode and a code find theirs too
        _type(page, 3, "6901234567892").press("Enter")
        expect(_row(page, 3).locator("input[name=line_item]")).to_have_value("F001")
        page.keyboard.type("4")
        _type(page, 4, "W00").press("Enter")
        expect(_row(page, 4).locator("input[name=line_item]")).to_have_value("W001")
        page.keyboard.type("6")
        assert _row(page, 4).locator("[data-lot-field]").first.is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        page.click("button[type=submit]:text-is('保存草稿')")
        page.wait_for_url(lambda url: "/documents/new/" not in url)
        browser.close()
    doc = Document.objects.get(company=shop.company, kind="purchase_receipt")
    assert doc.partner_id == both.pk
    assert [(ln.item.code, ln.unit_quantity, ln.unit_id, ln.lot_code) for ln in doc.lines.order_by("pk")] == [
        ("K001", D(3), shop.pcs.pk, ""), ("M001", D(2), shop.pcs.pk, "L-7"), ("K001", D(1), shop.box.pk, ""),
        ("F001", D(4), shop.kg.pk, ""), ("W001", D(6), shop.pcs.pk, "")]
    advance_document(doc, by=shop.admin, to="posted")
    assert cola.pk in {ln.item_id for ln in doc.lines.all()}
    assert_ledger_consistent()
