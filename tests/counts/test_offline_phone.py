"""Counting on a phone with a weak network, in a real browser (Debian's Chromium via Playwright) against a live
server: scans are kept on the phone (the outbox, IndexedDB) while the network is gone, survive a reload of the
page offline (service worker), and upload exactly once when the network returns, as the keeper's entries;
an answer lost on the way back does not double an entry."""

from __future__ import annotations

import os
from decimal import Decimal as D

import pytest

from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine, CountStatus
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.stock.models import StockBalance
from openjxc.sync import terminals
from openjxc.sync.models import Terminal, TerminalOperation
from tests.browser import NEEDS_CHROMIUM, sign_in
from tests.conftest import Shop, assert_ledger_consistent

SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots", "count-offline-phone.png")
playwright = pytest.importorskip("playwright.sync_api")
# the page's CSP allows no eval, so no wait_for_function(string): web-first assertions instead
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM

WATER, FLOUR = "6920000000017", "6901234567892"


def _counting():
    shop = Shop()
    shop.receive(shop.water, 10, "1.20")
    shop.receive(shop.flour, 4, "5.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True, tolerance_rate=D("1"),
                                tolerance_value=D("999"))
    counts.start_count(count, by=shop.admin)
    keeper = shop.user("keeper1", Role.KEEPER, warehouses=[shop.main])
    return shop, count, keeper


def _phone(browser, live_server, user, **context_options):
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  viewport={"width": 360, "height": 760}, is_mobile=True, has_touch=True,
                                  **context_options)
    page = context.new_page()
    sign_in(page, live_server, user)
    return context, page


def _wait_ready(page, selector, log):
    try:
        page.wait_for_selector(selector, timeout=60000)
    except playwright.TimeoutError:
        state = page.evaluate("JSON.stringify(document.querySelector('.scan-card').dataset)")
        raise AssertionError(f"not ready: {state} {page.inner_text('#outbox-bar')!r} {log}") from None


def _scan(page, code, qty=None):
    if qty is not None:
        page.fill("input[name=quantity]", qty)
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


def _pending(page):
    return page.inner_text("#pending-count")


def test_a_keeper_counts_offline_reloads_and_uploads_exactly_once(live_server, wipeable_ledger, browser):
    shop, count, keeper = _counting()
    context, page = _phone(browser, live_server, keeper)
    log = []
    page.on("console", lambda m: log.append(m.text))
    page.goto(f"{live_server.url}/counts/{count.pk}/")
    # ready: a terminal for this phone, the page kept for an offline reload, the outbox uploading
    _wait_ready(page, ".scan-card[data-ready='1'][data-terminal][data-kept='1']", log)
    terminal = Terminal.objects.get(operator=keeper)
    assert terminal.warehouse == shop.main and terminal.kind == "pda"
    assert page.inner_text("#net-state") == "在线" and _pending(page) == "0"

    context.set_offline(True)
    page.wait_for_selector("#net-state[data-online='0']")
    assert page.inner_text("#net-state") == "离线"
    _scan(page, WATER)
    _scan(page, FLOUR, "2.5")
    _scan(page, WATER)
    _scan(page, FLOUR, "1.5")
    _scan(page, WATER)
    expect(page.locator("#pending-count")).to_have_text("5")
    assert page.locator("#entry-log .entry[data-state=queued]").count() == 5
    assert "待上传" in page.inner_text("#outbox-bar") and "待上传" in page.inner_text("#entry-log")
    # offline, each waiting entry still names its item (the page carries the count's names)
    assert "矿泉水 (6920000000017)" in page.inner_text("#entry-log")
    assert page.locator("#scan-result [data-scan=queued]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    if os.environ.get("JXC_SCREENSHOTS") == "1":
        page.screenshot(path=SCREENSHOT, full_page=False)
    assert not CountEntry.objects.exists()

    # the page reloaded with no network: it opens (service worker) and the entries are still waiting
    page.reload()
    page.wait_for_selector(".scan-card[data-ready='1']")
    assert _pending(page) == "5" and page.inner_text("#net-state") == "离线"
    assert page.locator("#entry-log .entry[data-state=queued]").count() == 5
    assert not CountEntry.objects.exists()

    context.set_offline(False)  # the 'online' event starts the upload
    expect(page.locator("#pending-count")).to_have_text("0", timeout=20000)
    expect(page.locator("#entry-log .entry[data-state=saved]")).to_have_count(5)
    assert page.inner_text("#net-state") == "在线"
    assert "已保存" in page.inner_text("#entry-log") and "实盘数 4" in page.inner_text("#entry-log")
    context.close()

    water = CountLine.objects.get(count=count, item=shop.water)
    flour = CountLine.objects.get(count=count, item=shop.flour)
    assert (water.counted_quantity, flour.counted_quantity) == (D(3), D(4))
    entries = CountEntry.objects.filter(line__count=count)
    assert entries.count() == 5 and {e.counted_by_id for e in entries} == {keeper.pk}
    assert TerminalOperation.objects.filter(terminal=terminal, status="accepted").count() == 5

    # the manager finishes the count and posts the adjustment: water 10 -> 3, flour stays 4
    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    count = counts.create_count_document(count, by=shop.admin)
    doc = count.document
    docs.submit_document(doc, by=shop.admin)
    docs.approve_document(doc, by=shop.admin)
    doc = docs.post_document(doc, by=shop.admin)
    assert doc.status == Status.POSTED
    on_hand = {b.item_id: b.quantity for b in StockBalance.objects.filter(location__warehouse=shop.main)}
    assert (on_hand[shop.water.pk], on_hand[shop.flour.pk]) == (D(3), D(4))
    assert_ledger_consistent()


def test_a_lost_answer_does_not_double_an_entry(live_server, wipeable_ledger, browser):
    shop, count, keeper = _counting()
    # no service worker here: page.route must see the page's own uploads
    context, page = _phone(browser, live_server, keeper, service_workers="block")
    page.goto(f"{live_server.url}/counts/{count.pk}/")
    page.wait_for_selector(".scan-card[data-ready='1'][data-terminal]")
    lost = []

    def lose_the_first_answer(route):
        if lost:
            route.continue_()
            return
        response = route.fetch()  # the server commits the entry ...
        lost.append(response.json()["results"][0]["status"])
        route.abort("connectionreset")  # ... and the phone never hears it

    page.route("**/api/sync/push", lose_the_first_answer)
    _scan(page, WATER, "7")
    expect(page.locator("#entry-log .entry[data-state=saved]")).to_have_count(1, timeout=20000)
    expect(page.locator("#pending-count")).to_have_text("0")
    assert lost == ["accepted"]
    assert "实盘数 7" in page.inner_text("#entry-log")  # the first answer, replayed to the retry
    assert page.locator("#scan-result [data-scan=ok]").count() == 1
    context.close()

    line = CountLine.objects.get(count=count, item=shop.water)
    assert line.counted_quantity == D(7) and CountEntry.objects.filter(line=line).count() == 1
    assert TerminalOperation.objects.filter(status="accepted").count() == 1
    assert_ledger_consistent()


def test_a_revoked_phone_keeps_its_entries_and_says_why(live_server, wipeable_ledger, browser):
    shop, count, keeper = _counting()
    context, page = _phone(browser, live_server, keeper, service_workers="block")
    page.goto(f"{live_server.url}/counts/{count.pk}/")
    _wait_ready(page, ".scan-card[data-ready='1'][data-terminal]", [])
    terminals.revoke_terminal(by=shop.admin, terminal_id=Terminal.objects.get(operator=keeper).pk)
    _scan(page, WATER)
    expect(page.locator("#outbox-error")).to_contain_text("吊销")
    page.wait_for_timeout(1500)  # the back-off would have tried again by now: it does not, and keeps the entry
    assert _pending(page) == "1" and page.locator("#entry-log .entry[data-state=queued]").count() == 1
    assert "吊销" in page.inner_text("#outbox-error")
    context.close()
    assert not CountEntry.objects.exists()
    assert Terminal.objects.filter(operator=keeper).count() == 1  # not registered anew behind the admin's back
