"""The browser till (收银台) in a real Chromium, in Chinese, on a desktop and on a phone.

The administrator creates a one-time registration code on the Terminals page; the cashier's browser
registers with it and caches the catalogue; the network goes away; the page is reloaded (the service
worker serves it); five sales are made by scanning and searching (one with several lines), an unknown
barcode is refused on screen; five sales wait. The network comes back and the first upload's answer is
lost on the way back (the request reached the server): the retry is answered `duplicate` and nothing is
doubled. At the end the server has exactly five till sales with the right lines, the store stock went
down once, and the ledger is consistent."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from openjxc.core.models import Role
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.partners import services as partners
from openjxc.stock.models import StockBalance
from openjxc.sync.models import OpStatus, Terminal, TerminalOperation
from tests.browser import NEEDS_CHROMIUM, launch, wait_for
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM
WATER, FLOUR, MILK = "6920000000017", "6901234567892", "6930000000016"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
D = Decimal



def zh_context(browser, viewport):
    return browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"}, viewport=viewport)


def registration_code(browser, url, shop) -> str:
    """The administrator, on the Terminals page: a one-time code for a POS of the store, walk-in customer C000."""
    page = zh_context(browser, {"width": 1280, "height": 900}).new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", shop.admin.username)
    page.fill("input[name=password]", "pw-12345678")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/terminals/")
    page.select_option("select[name=new-kind]", "pos")
    page.select_option("select[name=new-warehouse]", str(shop.store.pk))
    page.select_option("select[name=new-customer]", str(shop.walk_in.pk))
    page.click("button:text-is('生成一次性注册码')")
    code = page.inner_text("[data-testid=registration-code]").strip()
    assert "/pos/" in page.inner_text(".alert-success")
    page.context.close()
    return code


def open_till(context, url):
    page = context.new_page()
    page.goto(f"{url}/pos/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def register(page, code):
    page.fill("input[name=registration_code]", code)
    page.fill("input[name=code]", "POS1")
    page.fill("input[name=name]", "一号收银台")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#pos-till:not([hidden])")
    wait_for(page, "document.getElementById('catalogue-state').textContent.includes('已缓存 3 个商品')")


def scan(page, code):
    page.fill("#scan", code)
    page.press("#scan", "Enter")


def search_and_pick(page, text, code):
    page.fill("#search", text)
    page.click(f"#search-results button[data-code='{code}']")


def line_qty(page, code, qty):
    box = page.locator(f"#basket li[data-code='{code}'] input")
    box.fill(qty)
    box.press("Tab")


def wait_qty(page, code, qty):
    wait_for(page, "([c, q]) => { const i = document.querySelector(`#basket li[data-code='${c}'] input`);"
                           " return i && i.value === q; }", arg=[code, qty])


def pay(page, method_label, tendered=None, *, offline=True):
    page.click(f".method:has-text('{method_label}')")
    if tendered is not None:
        page.fill("#tendered", tendered)
    page.click("#pay")
    page.wait_for_selector("#receipt-dialog:not([hidden])")
    if offline:  # online the answer may already be there
        number = page.inner_text("[data-testid=receipt-number]")
        assert number == "待上传", number


def next_sale(page):
    page.click("#next-sale")
    page.wait_for_selector("#receipt-dialog", state="hidden")


def pending(page) -> int:
    return int(page.get_attribute("#pos-pending", "data-count"))


def shot(page, name):
    if os.environ.get("JXC_SCREENSHOTS") == "1":
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def store_qty(shop, item) -> Decimal:
    return sum((b.quantity for b in StockBalance.objects.filter(item=item, location__warehouse=shop.store)), D(0))


@pytest.fixture
def store_shop(db):
    shop = Shop()
    shop.walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    shop.receive(shop.water, 100, "1.2", warehouse=shop.store)
    shop.receive(shop.flour, 50, "5", warehouse=shop.store)
    shop.receive(shop.milk, 30, "3", warehouse=shop.store, lot="L1", expires_on=dt.date(2099, 1, 1))
    shop.cashier = shop.user("cashier1", Role.CASHIER)
    return shop


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 860}, {"width": 360, "height": 760}],
                         ids=["desktop", "phone"])
def test_five_sales_offline_upload_once_when_the_network_returns(live_server, wipeable_ledger, store_shop, viewport):
    shop = store_shop
    url = live_server.url
    before = {i.code: store_qty(shop, i) for i in (shop.water, shop.flour, shop.milk)}
    with playwright.sync_playwright() as p:
        browser = launch(p)
        code = registration_code(browser, url, shop)
        context = zh_context(browser, viewport)
        page = open_till(context, url)
        assert page.is_visible("#pos-register")
        register(page, code)
        assert "一号收银台" in page.inner_text("[data-testid=terminal]")
        wait_for(page, "navigator.serviceWorker.controller !== null")

        # the network goes away; the page itself comes from the service worker's cache
        context.set_offline(True)
        worker = context.service_workers[0]
        assert worker.evaluate("fetch('/pos/?probe=1').then(() => 'reached', () => 'offline')") == "offline"
        response = page.reload()
        assert response.from_service_worker
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector("#pos-till:not([hidden])")
        assert page.get_attribute("#pos-net", "data-state") == "offline"
        assert "已缓存 3 个商品" in page.inner_text("#catalogue-state")

        # an unknown barcode: a red message, never silent, nothing added
        scan(page, "6999999999999")
        page.wait_for_selector("#pos-message[data-kind='error']")
        assert "未知条码 6999999999999" in page.inner_text("#pos-message")
        assert page.locator("#basket li").count() == 0

        # 1: two bottles of water scanned, cash 10 -> change 6
        scan(page, WATER)
        scan(page, WATER)
        wait_qty(page, "W001", "2")
        page.fill("#tendered", "10")
        assert page.inner_text("[data-testid=change]") == "¥6.00"
        pay(page, "现金", "10")
        assert page.inner_text("#r-change") == "¥6.00"
        assert "2 瓶 × 2.00" in page.inner_text("#r-lines")  # units by name on the receipt
        next_sale(page)
        # 2: flour found by searching its name, 1.5 kg, WeChat
        search_and_pick(page, "面粉", "F001")
        line_qty(page, "F001", "1.5")
        wait_for(page, "document.getElementById('total').textContent === '¥12.00'")
        pay(page, "微信支付")
        next_sale(page)
        # 3: several lines — water scanned then +1, flour scanned, milk found by its code — Alipay
        scan(page, WATER)
        page.click("#basket li[data-code='W001'] button[aria-label='+1']")
        wait_qty(page, "W001", "2")
        scan(page, FLOUR)
        search_and_pick(page, "m001", "M001")
        assert page.locator("#basket li").count() == 3
        wait_for(page, "document.getElementById('total').textContent === '¥17.00'")  # 2x2 + 8 + 5
        shot(page, f"pos-till-{'phone' if viewport['width'] <= 360 else 'desktop'}.png")
        if viewport["width"] <= 360:
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        pay(page, "支付宝")
        # 4: a scan while the receipt is open starts the next sale; the scanner types into the scan field
        # even when the focus is elsewhere (the card button just clicked); 2 milk by card
        page.keyboard.type(MILK)
        page.keyboard.press("Enter")
        page.wait_for_selector("#receipt-dialog", state="hidden")
        wait_qty(page, "M001", "1")
        page.click(".method:has-text('银行卡')")
        page.keyboard.type(MILK)
        page.keyboard.press("Enter")
        wait_qty(page, "M001", "2")
        pay(page, "银行卡")
        next_sale(page)
        # 5: water scanned, cash without a tendered amount (exact); its receipt stays open
        scan(page, WATER)
        pay(page, "现金")
        wait_for(page, "document.getElementById('pos-pending').dataset.count === '5'")
        assert "5 笔待上传" in page.inner_text("#pos-pending")
        shot(page, f"pos-receipt-{'phone' if viewport['width'] <= 360 else 'desktop'}.png")

        # the network returns; the first upload reaches the server but its answer is lost on the way back
        answers = []  # per upload: the statuses the server answered; the first never reaches the till

        def lose_first_answer(route):
            answer = route.fetch()
            answers.append([r["status"] for r in answer.json()["results"]])
            if len(answers) == 1:
                route.abort("connectionreset")
            else:
                route.fulfill(response=answer)

        page.route("**/api/sync/push", lose_first_answer)
        context.set_offline(False)
        wait_for(page, "document.getElementById('pos-pending').dataset.count === '0'", timeout=30000)
        assert answers[0] == ["accepted"] * 5 and answers[1] == ["duplicate"] * 5, answers
        assert "全部已上传" in page.inner_text("#pos-pending")
        assert page.get_attribute("#pos-net", "data-state") == "online"
        number = page.inner_text("[data-testid=receipt-number]")
        assert number.startswith("XSCK"), number  # the open receipt now shows the server's number
        browser.close()

    ops = TerminalOperation.objects.filter(terminal__code="POS1")
    assert ops.count() == 5 and set(ops.values_list("status", flat=True)) == {OpStatus.ACCEPTED}
    sales = Document.objects.filter(kind="sales_delivery", warehouse=shop.store).order_by("id")
    assert sales.count() == 5 and all(d.status == Status.POSTED and d.partner_id == shop.walk_in.pk for d in sales)
    assert sales.last().number == number
    lines = [sorted((ln.item.code, ln.quantity, ln.unit_price) for ln in DocumentLine.objects.filter(document=d))
             for d in sales]
    assert lines == [
        [("W001", D("2"), D("2"))],
        [("F001", D("1.5"), D("8"))],
        [("F001", D("1"), D("8")), ("M001", D("1"), D("5")), ("W001", D("2"), D("2"))],
        [("M001", D("2"), D("5"))],
        [("W001", D("1"), D("2"))],
    ]
    payments = [d.custom.get("payment", {}).get("method") for d in sales]
    assert payments == ["cash", "wechat", "alipay", "card", "cash"]
    assert sales.first().custom["payment"] == {"method": "cash", "amount": "4.00", "tendered": "10.00",
                                               "change": "6.00"}
    assert store_qty(shop, shop.water) == before["W001"] - 5
    assert store_qty(shop, shop.flour) == before["F001"] - D("2.5")
    assert store_qty(shop, shop.milk) == before["M001"] - 3
    assert_ledger_consistent()


def in_thread(fn):
    """Run ORM code while Playwright's event loop owns this thread (Django refuses it there)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_a_sale_the_server_refuses_is_listed_with_its_message(live_server, wipeable_ledger, store_shop):
    """The item was deactivated on the server after the till cached it: the sale is refused, the till
    lists it with the server's message and marks its receipt; nothing is posted."""
    from openjxc.catalog import services as catalog
    from openjxc.sync import terminals

    shop = store_shop
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                   customer=shop.walk_in)
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = zh_context(browser, {"width": 1280, "height": 860})
        page = open_till(context, live_server.url)
        register(page, code)
        in_thread(lambda: catalog.update_item(shop.water, by=shop.admin, is_active=False))
        scan(page, WATER)  # still in the cache
        pay(page, "现金", offline=False)
        page.wait_for_selector("#refused-card:not([hidden])", timeout=20000)
        refused = page.inner_text("[data-testid=refused]")
        assert "W001×1" in refused and "W001" in refused.split("\n")[-1], refused
        wait_for(page, "document.getElementById('r-number').textContent === '服务器已拒绝'")
        assert pending(page) == 0
        next_sale(page)
        page.click("#refused button")
        page.wait_for_selector("#refused-card", state="hidden")
        browser.close()
    op = TerminalOperation.objects.get()
    assert op.status == OpStatus.REFUSED and op.result["error"]["code"] == "item.inactive"
    assert not Document.objects.filter(kind="sales_delivery", warehouse=shop.store).exists()
    assert_ledger_consistent()


def test_a_return_against_a_sale_made_offline_uploads_after_it(live_server, wipeable_ledger, store_shop):
    """Offline: a sale of 3 bottles, then 1 returned against it (by the sale's op id: no number yet); more than
    what is left is refused on screen. Online: the sale and then the return are posted, the return against
    the sale; the store stock is 2 bottles down."""
    from openjxc.sync import terminals

    shop = store_shop
    before = store_qty(shop, shop.water)
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                   customer=shop.walk_in)
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = zh_context(browser, {"width": 360, "height": 760})
        page = open_till(context, live_server.url)
        register(page, code)
        context.set_offline(True)
        scan(page, WATER)
        line_qty(page, "W001", "3")
        pay(page, "微信支付")
        next_sale(page)
        page.click("[data-testid=open-returns]")
        page.click("[data-testid=returns-sales] button >> nth=0")
        page.fill("#return-lines li[data-code='W001'] input", "4")
        page.click("[data-testid=return-confirm]")
        page.wait_for_selector("#pos-message[data-kind='error']")
        assert "最多只能退 3" in page.inner_text("#pos-message")
        page.fill("#return-lines li[data-code='W001'] input", "1")
        assert page.inner_text("#return-total") == "¥2.00"
        page.click("[data-testid=return-confirm]")
        page.wait_for_selector("#receipt-dialog:not([hidden])")
        assert page.inner_text("#r-title") == "退货小票" and page.inner_text("#r-total") == "¥2.00"
        wait_for(page, "document.getElementById('pos-pending').dataset.count === '2'")
        context.set_offline(False)
        wait_for(page, "document.getElementById('r-number').textContent.startsWith('XSTH')", timeout=30000)
        assert pending(page) == 0
        next_sale(page)
        # the second return sees what is left: 2
        page.click("[data-testid=open-returns]")
        page.click("[data-testid=returns-sales] button >> nth=0")
        assert "最多 2" in page.inner_text("#return-lines")
        browser.close()
    sale = Document.objects.get(kind="sales_delivery", warehouse=shop.store)
    ret = Document.objects.get(kind="sales_return", warehouse=shop.store)
    assert ret.source_id == sale.pk and ret.status == Status.POSTED and ret.partner_id == shop.walk_in.pk
    assert ret.lines.get().quantity == D("1") and sale.lines.get().quantity == D("3")
    assert ret.custom["payment"] == {"method": "wechat", "amount": "2.00", "refund": True}
    assert store_qty(shop, shop.water) == before - 2
    assert_ledger_consistent()


def test_catalogue_in_pages_and_a_box_barcode_sells_a_box(live_server, wipeable_ledger, store_shop, monkeypatch):
    """The cache is filled page by page (2 items a page here, 3 items); the box barcode of water puts one box
    (12 bottles) at 12 x the bottle price in the basket, and the server records 1 box = 12 bottles."""
    from openjxc.catalog import services as catalog
    from openjxc.sync import pos, terminals

    shop = store_shop
    catalog.add_barcode(shop.water, by=shop.admin, code="16920000000014", unit=shop.box)
    before = store_qty(shop, shop.water)
    monkeypatch.setattr(pos, "CATALOGUE_PAGE", 2)
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                   customer=shop.walk_in)
    pages = []
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = zh_context(browser, {"width": 1280, "height": 860})
        page = open_till(context, live_server.url)
        page.on("request", lambda r: pages.append(r.url) if "/api/sync/catalogue" in r.url else None)
        page.fill("input[name=registration_code]", "NOT-A-CODE")
        page.fill("input[name=code]", "POS1")
        page.click("#register-form button[type=submit]")
        page.wait_for_selector("#pos-message[data-kind='error']")
        assert "注册失败" in page.inner_text("#pos-message") and page.is_visible("#pos-register")
        register(page, code)  # waits for "3 items cached"
        scan(page, "16920000000014")
        wait_for(page, "document.getElementById('total').textContent === '¥24.00'")
        assert "¥24.00 / 箱" in page.inner_text("#basket")  # the unit by its name
        pay(page, "现金", "50", offline=False)
        assert page.inner_text("#r-change") == "¥26.00"
        wait_for(page, "document.getElementById('r-number').textContent.startsWith('XSCK')", timeout=20000)
        browser.close()
    # items by id: flour, water | milk
    assert [u.split("?", 1)[1] for u in pages] == ["after=0&limit=2", f"after={shop.water.pk}&limit=2"], pages
    line = DocumentLine.objects.get(document__kind="sales_delivery")
    assert (line.unit.code, line.unit_quantity, line.quantity, line.unit_price) == ("BOX", D("1"), D("12"), D("24"))
    assert store_qty(shop, shop.water) == before - 12
    assert_ledger_consistent()


def test_the_basket_survives_a_reload_and_a_registered_till_never_asks_again(live_server, wipeable_ledger, store_shop):
    """Registering asks for the one-time code only (the terminal code is chosen: POS1); a reload, and a visit in a
    new tab, open the till straight away with the basket as it was (lines, quantities, payment method), also
    offline; paying empties it for good. The bar links back to the app."""
    from openjxc.sync import terminals

    shop = store_shop
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                   customer=shop.walk_in)
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = zh_context(browser, {"width": 360, "height": 760})
        page = open_till(context, live_server.url)
        page.fill("input[name=registration_code]", code)  # nothing else
        page.click("#register-form button[type=submit]")
        page.wait_for_selector("#pos-till:not([hidden])")
        wait_for(page, "document.getElementById('catalogue-state').textContent.includes('已缓存 3 个商品')")
        assert page.inner_text("[data-testid=terminal]").startswith("POS1")

        scan(page, WATER)
        scan(page, WATER)
        scan(page, FLOUR)
        line_qty(page, "F001", "1.5")
        page.click(".method:has-text('微信支付')")
        wait_for(page, "document.getElementById('total').textContent === '¥16.00'")  # 2 x 2 + 1.5 x 8
        # the basket is kept in IndexedDB after each change; reload once the payment method's write has landed
        wait_for(page, "document.body.dataset.basketSaved === 'wechat'")

        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.is_visible("#pos-till") and not page.is_visible("#pos-register")
        wait_qty(page, "W001", "2")
        wait_qty(page, "F001", "1.5")
        assert page.inner_text("#total") == "¥16.00"
        assert page.is_checked("input[name=method][value=wechat]")
        assert "已恢复上次未结账的购物篮" in page.inner_text("#pos-message")

        # another visit: the tab is closed, the till opened again from its address, the network away
        page.close()
        context.set_offline(True)
        page = open_till(context, live_server.url)
        assert not page.is_visible("#pos-register")
        wait_qty(page, "F001", "1.5")
        assert page.locator("#basket li").count() == 2
        pay(page, "微信支付")
        next_sale(page)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#basket li").count() == 0 and page.inner_text("#total") == "¥0.00"

        context.set_offline(False)
        wait_for(page, "document.getElementById('pos-pending').dataset.count === '0'", timeout=30000)
        back = page.locator("[data-testid=back-to-app]")
        assert "返回系统" in back.inner_text() and back.get_attribute("href") == "/"
        back.click()
        page.wait_for_url(f"{live_server.url}/login/**")  # the app (its sign-in: the till has no session)
        browser.close()
    terminal = Terminal.objects.get()
    assert terminal.code == "POS1"
    sale = Document.objects.get(kind="sales_delivery", warehouse=shop.store)
    assert sorted((ln.item.code, ln.quantity) for ln in sale.lines.all()) == [("F001", D("1.5")), ("W001", D("2"))]
    assert_ledger_consistent()
