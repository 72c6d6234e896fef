"""On a 360 px phone in a real browser (Debian's Chromium via Playwright): create a category under
another one and give an item a pack unit (1 箱 = 20 千克), in Chinese; a refusal shows beside the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.catalog.models import Category, ItemUnit
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def test_category_and_item_unit_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()  # database work before the browser starts (Playwright's sync API runs an event loop)
    food_pk, flour_pk, box_pk = shop.food.pk, shop.flour.pk, shop.box.pk

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760}, is_mobile=True, has_touch=True)
        sign_in(page, live_server, shop.admin)

        # the menu on a phone leads to the categories
        page.click("label.nav-button")
        page.click("nav.sidebar a:text-is('商品分类')")
        page.wait_for_url("**/masterdata/categories/")
        page.click("a:has-text('新建分类')")
        page.fill("input[name=code]", "FOOD")  # taken: refused beside the code field
        page.fill("input[name=name]", "乳制品")
        page.select_option("select[name=parent]", str(food_pk))
        page.click("button:text-is('保存')")
        error = page.wait_for_selector(".has-error small.error")
        assert "FOOD" in error.inner_text()
        page.fill("input[name=code]", "DAIRY")
        page.click("button:text-is('保存')")
        page.wait_for_url("**/masterdata/categories/")
        assert "分类 DAIRY 已创建" in page.inner_text("main")
        assert "食品 › 乳制品" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

        page.goto(f"{live_server.url}/masterdata/items/{flour_pk}/units/")
        page.select_option("select[name=unit]", str(box_pk))
        page.fill("input[name=factor]", "20")
        page.click("button:text-is('保存')")
        page.wait_for_selector("text=1 箱 = 20 千克")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()

    dairy = Category.objects.get(company=shop.company, code="DAIRY")
    assert dairy.parent_id == food_pk and dairy.name == "乳制品"
    assert ItemUnit.objects.get(item_id=flour_pk, unit_id=box_pk).factor == Decimal("20")
