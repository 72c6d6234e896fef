"""The till in a real Chromium, on a 360 px phone and a desktop (screenshots in /tmp/shots-till-polish/):

* the receipt prints each item's spec (规格) beside its name;
* a message never hides the till's controls: it can be dismissed, closing the receipt takes "sale saved" away,
  and while one floats at the bottom the page leaves room to scroll the last buttons out from under it;
* a sale made offline ten days ago (the browser's clock set back) is held by the server for review; the till
  reads its pull's `reviews` and tells the cashier it waits, then that a manager accepted it (its number on the
  receipt list) — and a rejected one with the manager's reason."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.sync import protocol, review
from openjxc.sync.models import Terminal, TerminalReview
from tests.browser import NEEDS_CHROMIUM, launch, wait_for
from tests.conftest import assert_ledger_consistent
from tests.e2e.till import cash_till_shop, open_registered_till

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM
WATER = "6920000000017"
SHOTS = Path("/tmp/shots-till-polish")


def _uncovered(page, selector: str) -> bool:
    """Whether the middle of `selector`, scrolled into view, is the element itself (nothing floats over it)."""
    page.locator(selector).scroll_into_view_if_needed()
    return page.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit === el || el.contains(hit);
    }""", selector)


def test_receipt_spec_messages_and_held_sales_at_the_till(live_server, wipeable_ledger, db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test reads the database between page actions
    shop, walk_in, cashier, code = cash_till_shop()
    catalog.update_item(shop.water, by=shop.admin, spec="550ml")
    SHOTS.mkdir(exist_ok=True)
    now = clock.now()
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                      viewport={"width": 360, "height": 760})
        till = context.new_page()
        till.clock.install(time=now - dt.timedelta(days=10))  # the till's clock: ten days ago, time flowing
        open_registered_till(till, live_server.url, code)

        # a sale made offline "ten days ago": the receipt names the item with its spec
        context.set_offline(True)
        till.fill("#scan", WATER)
        till.press("#scan", "Enter")
        till.click("#pay")
        till.wait_for_selector("#receipt-dialog:not([hidden])")
        assert "矿泉水 550ml W001" in till.inner_text("#r-lines")
        till.screenshot(path=str(SHOTS / "receipt-360.png"))
        # closing the receipt takes "sale saved" with it: nothing floats over the till's controls
        till.click("#next-sale")
        till.wait_for_selector("#receipt-dialog", state="hidden")
        assert till.is_hidden("#pos-message")

        # a message that stays (an unknown barcode) floats above the bottom: the last buttons scroll out from
        # under it, and it can be dismissed
        till.fill("#scan", "6999999999999")
        till.press("#scan", "Enter")
        till.wait_for_selector("#pos-message[data-kind='error']")
        for button in ("#open-returns", "#refresh-catalogue", "#upload-now", "#reregister"):
            assert _uncovered(till, button), button
        till.screenshot(path=str(SHOTS / "message-over-foot-360.png"))
        till.click("#pos-message-close")
        assert till.is_hidden("#pos-message")

        # the network and the right time come back: the server holds the sale (ten days old) and the till says so
        till.clock.set_system_time(clock.now())
        context.set_offline(False)
        till.evaluate("window.dispatchEvent(new Event('online'))")
        till.locator("#reviews li[data-status='pending']").wait_for(timeout=30000)
        row = till.inner_text("#reviews")
        assert "#POS1-1" in row and "¥2.00" in row and "等待主管审核" in row and "日期早于审核期限" in row, row
        assert till.inner_text("[data-testid=pending]") == "全部已上传"
        till.locator("#reviews-card").scroll_into_view_if_needed()
        till.screenshot(path=str(SHOTS / "held-360.png"))

        # the manager accepts it; another held sale (pushed by the same till) is rejected with a reason
        terminal = Terminal.objects.get(code="POS1")
        held = TerminalReview.objects.get()
        review.accept_review(held.pk, by=shop.admin)
        other = {"id": str(uuid.uuid4()), "type": "sale", "created_at": (now - dt.timedelta(days=12)).isoformat(),
                 "data": {"lines": [{"item": "W001", "qty": "1"}],
                          "payment": {"method": "cash", "amount": "2.00"}}}
        pushed = protocol.push(terminal, ops=[other])["results"][0]
        assert pushed["status"] == "held", pushed
        review.reject_review(TerminalReview.objects.get(status="pending").pk, by=shop.admin, note="重复录入")
        till.reload()
        till.wait_for_selector("body[data-ready='1']")
        till.locator("#reviews li[data-status='rejected']").wait_for(timeout=30000)
        number = held.operation.__class__.objects.get(pk=held.operation_id).document.number
        accepted = till.inner_text("#reviews li[data-status='accepted']")
        assert f"主管已接受：{number}" in accepted and "#POS1-1" in accepted, accepted
        assert "主管已驳回：重复录入" in till.inner_text("#reviews li[data-status='rejected']")
        # the local sale learnt its number: the returns list offers it under it
        till.click("#open-returns")
        # openReturns() fills the list after an IndexedDB read: wait for its first entry before reading it
        till.locator("#returns-sales li").first.wait_for(timeout=30000)
        assert number in till.inner_text("#returns-sales")
        till.click("#returns-close")
        till.locator("#reviews-card").scroll_into_view_if_needed()
        till.screenshot(path=str(SHOTS / "decided-360.png"))
        till.set_viewport_size({"width": 1280, "height": 860})
        wait_for(till, "document.getElementById('reviews-card').offsetWidth > 400")
        till.screenshot(path=str(SHOTS / "decided-1280.png"), full_page=True)
        assert till.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.close()
    assert_ledger_consistent(shop.company.pk)
