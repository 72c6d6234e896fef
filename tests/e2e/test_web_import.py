"""In a real browser: upload an .xlsx on the import page, see the dry run's bad rows, fix, confirm, imported."""

from __future__ import annotations

import pytest

from openjxc.catalog.models import Item
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop, assert_ledger_consistent
from tests.e2e.shots import shot
from tests.web.test_excel_import import xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def test_import_page_shows_the_bad_rows_then_imports(live_server, wipeable_ledger):
    shop = Shop()
    header = ["商品编码", "商品名称", "基本单位", "销售价", "条码"]
    bad = xlsx([header, ["E001", "绿茶", "瓶", 3, "6911111111110"], ["E002", "红茶", "瓶", "三元", ""],
                ["F001", "重复的面粉", "千克", 8, ""]])
    good = xlsx([header, ["E001", "绿茶", "瓶", 3, "6911111111110"], ["E002", "红茶", "瓶", 3.5, ""]])

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)

        page.goto(f"{live_server.url}/import/")
        page.select_option("#import-target", "items")
        page.set_input_files("input[name=file]", files=[{"name": "商品.xlsx", "mimeType": XLSX, "buffer": bad}])
        page.click("button:text-is('上传并检查')")
        table = page.wait_for_selector("table[data-errors]")
        text = table.inner_text()
        assert "3" in text and "销售价" in text and "不是有效数字" in text  # row 3: price is not a number
        assert "4" in text and "F001" in text  # row 4: code already in use
        assert page.query_selector("[data-confirm-import]") is None
        shot(page, "import-check-phone.png", full_page=True)

        page.goto(f"{live_server.url}/import/")
        page.set_input_files("input[name=file]", files=[{"name": "商品.xlsx", "mimeType": XLSX, "buffer": good}])
        page.click("button:text-is('上传并检查')")
        page.click("[data-confirm-import]")
        page.wait_for_selector("#job[data-status=done]")
        assert "已导入 2 行" in page.inner_text("#job")
        browser.close()

    assert Item.objects.get(company=shop.company, code="E002").name == "红茶"
    assert Item.objects.filter(company=shop.company, code__in=["E001", "E002"]).count() == 2
    assert_ledger_consistent()
