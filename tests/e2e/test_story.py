"""The whole story in a real browser, in Chinese, on a desktop and on a phone: a purchaser orders, the manager
approves, a keeper receives the order by scanning, a salesperson sells, the keeper delivers by scanning, and
the manager voids the delivery. Every step through the pages; the ledger is checked at the end."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.core.models import Role
from openjxc.documents.models import Document, Status
from openjxc.stock.models import StockBalance
from tests.browser import NEEDS_CHROMIUM, launch
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM
FLOUR = "6901234567892"


def sign_in(browser, url, username, viewport):
    page = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                               viewport=viewport).new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-12345678")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def press(page, label):
    """A lifecycle button of the open document; returns once its request is answered and swapped in (htmx)."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/documents/" in r.url):
        page.click(f"#doc .action-buttons button:text-is('{label}')")
    expect(page.locator("#doc .htmx-request")).to_have_count(0)


def new_document(page, url, kind, warehouse, partner, item, qty, price):
    page.goto(f"{url}/documents/new/?kind={kind}")
    page.select_option("select[name=warehouse]", str(warehouse))
    page.select_option("select[name=partner]", str(partner))
    row = page.query_selector_all(".line-row")[0]
    row.query_selector("input[name=line_item]").fill(item)
    row.query_selector("input[name=line_qty]").fill(str(qty))
    row.query_selector("input[name=line_price]").fill(str(price))
    page.click("button[type=submit]:text-is('保存草稿')")
    page.wait_for_url(lambda u: "/documents/new/" not in u)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def scan_goods(page, url, doc_id, code, times):
    page.goto(f"{url}/documents/{doc_id}/")
    page.click("a:text-is('扫码收发货')")
    page.wait_for_selector(".scan-input")
    for n in range(1, times + 1):
        page.fill(".scan-input", code)
        page.press(".scan-input", "Enter")
        expect(page.locator(".scan-status")).to_contain_text(str(n))
    page.click("button[type=submit]:text-is('保存明细')")
    page.wait_for_url(f"{url}/documents/{doc_id}/")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 760}],
                         ids=["desktop", "phone"])
def test_order_receive_sell_deliver_void(live_server, wipeable_ledger, viewport):
    shop = Shop()
    buyer = shop.user("buyer", Role.PURCHASER)
    seller = shop.user("seller", Role.SALESPERSON)
    keeper = shop.user("keeper", Role.KEEPER)
    boss = shop.user("boss", Role.MANAGER)
    url = live_server.url
    with playwright.sync_playwright() as p:
        browser = launch(p)
        purchaser = sign_in(browser, url, buyer.username, viewport)
        manager = sign_in(browser, url, boss.username, viewport)
        store = sign_in(browser, url, keeper.username, viewport)
        sales = sign_in(browser, url, seller.username, viewport)

        # the purchaser orders 10 kg of flour and submits; the manager approves and confirms (posts) it
        po = new_document(purchaser, url, "purchase_order", shop.main.pk, shop.supplier.pk, "F001", 10, "5")
        press(purchaser, "提交")
        manager.goto(f"{url}/documents/{po}/")
        press(manager, "审核")
        press(manager, "过账")

        # the keeper receives what came — 3 kg — by scanning, from the order (下推)
        store.goto(f"{url}/documents/{po}/")
        store.click("#doc button:has-text('采购入库')")
        store.wait_for_url(lambda u: u.rstrip("/").rsplit("/", 1)[1] != str(po))
        receipt = int(store.url.rstrip("/").rsplit("/", 1)[1])
        scan_goods(store, url, receipt, FLOUR, 3)
        press(store, "提交")
        manager.goto(f"{url}/documents/{receipt}/")
        press(manager, "审核")
        store.goto(f"{url}/documents/{receipt}/")
        press(store, "过账")
        assert "已过账" in store.inner_text("#doc .badge")

        # the salesperson sells 2 kg (a sales order); the keeper picks it by scanning and ships
        so = new_document(sales, url, "sales_order", shop.main.pk, shop.customer.pk, "F001", 2, "8")
        press(sales, "提交")
        manager.goto(f"{url}/documents/{so}/")
        press(manager, "审核")
        press(manager, "过账")
        store.goto(f"{url}/documents/{so}/")
        store.click("#doc button:has-text('销售出库')")
        store.wait_for_url(lambda u: u.rstrip("/").rsplit("/", 1)[1] != str(so))
        delivery = int(store.url.rstrip("/").rsplit("/", 1)[1])
        scan_goods(store, url, delivery, FLOUR, 2)
        press(store, "提交")
        manager.goto(f"{url}/documents/{delivery}/")
        press(manager, "审核")
        store.goto(f"{url}/documents/{delivery}/")
        press(store, "过账")

        # the manager voids the delivery, with a reason
        manager.goto(f"{url}/documents/{delivery}/")
        manager.click("#doc summary:text-is('冲销')")
        manager.fill("#doc input[name=reason]", "客户拒收")
        manager.click("#doc button:text-is('确认冲销')")
        manager.wait_for_selector("#doc .badge.status-voided")
        if viewport["width"] <= 360:
            assert manager.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()

    docs = {d.pk: d for d in Document.objects.all()}
    assert docs[po].status == Status.POSTED and docs[receipt].source_id == po
    assert docs[receipt].status == Status.POSTED and docs[receipt].lines.get().quantity == Decimal("3")
    assert docs[delivery].status == Status.VOIDED and docs[delivery].lines.get().quantity == Decimal("2")
    on_hand = sum(b.quantity for b in StockBalance.objects.filter(item=shop.flour))
    assert on_hand == Decimal("3")  # received 3, delivered 2, the delivery voided
    assert_ledger_consistent()
