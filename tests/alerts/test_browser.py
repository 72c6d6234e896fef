"""In a real browser on a phone-sized screen: the bell, the inbox, and an administrator adding a WeCom channel
and testing it against the local platform server."""

from __future__ import annotations

import pytest
from django.db import transaction

from openjxc.alerts.models import Channel, Notification
from openjxc.alerts.notify import notify
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def test_bell_inbox_and_channel_setup_on_a_phone(live_server, wipeable_ledger, platforms):
    # all database work happens before the browser starts: Playwright's sync API runs an event loop
    shop = Shop()
    with transaction.atomic():
        notify(company=shop.company, recipients=[shop.admin], topic="approval.pending",
               title="待审批：采购订单 CGDD-0001", body="金额 12,000.00，超过 10,000", link="/documents/")
        notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title="低库存：面粉")

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)

        bell = page.locator("header .bell")
        assert bell.is_visible() and page.inner_text("header .bell-count") == "2"
        bell.click()
        page.wait_for_url(f"{live_server.url}/notifications/")
        assert page.locator(".inbox li.unread").count() == 2
        page.screenshot(path="/tmp/jxc-notify/inbox-360.png", full_page=True)
        page.locator(".inbox li", has_text="CGDD-0001").locator("button:text-is('打开')").click()
        page.wait_for_url(f"{live_server.url}/documents/")
        assert page.inner_text("header .bell-count") == "1"

        page.goto(f"{live_server.url}/notifications/channels/")
        page.click("a:has-text('企业微信群机器人')")
        page.fill("input[name=name]", "仓库群")
        page.fill("input[name=topics]", "alert.")
        page.fill("input[name=url]", platforms.url("wecom"))
        page.click("button:text-is('保存')")
        page.wait_for_selector("text=发送测试消息")
        page.click("button:text-is('发送测试消息')")
        page.wait_for_selector("#flash .alert-success")
        assert "测试消息已送达" in page.inner_text("#flash")
        assert page.locator("table .badge.status-posted").count() == 1  # the delivery log shows it sent
        page.screenshot(path="/tmp/jxc-notify/channel-360.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
        browser.close()

    assert len(platforms.accepted("wecom")) == 1
    assert Channel.objects.get().topics == ["alert."]
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
