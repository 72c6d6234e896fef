"""The notification inbox in a real Chromium, in Chinese, on a phone (360 px) and a desktop: a page of 20 grouped
by day, a long digest folded to three lines that opens on a tap, nothing wider than the screen, a page a person
can scroll (not 6,000 pixels). Screenshots go to docs/screenshots with JXC_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from openjxc.alerts import engine
from openjxc.alerts.models import Notification
from openjxc.alerts.notify import notify
from openjxc.alerts.rule_models import AlertKind
from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.core.models import Role
from tests.browser import NEEDS_CHROMIUM, sign_in
from tests.conftest import Shop
from tests.e2e.shots import shot

pytestmark = NEEDS_CHROMIUM
D = Decimal


@pytest.fixture
def inbox(db):
    shop = Shop()
    manager = shop.user("mgr", Role.MANAGER)
    engine.save_rule(by=shop.admin, kind=AlertKind.LOW_STOCK, name="低库存提醒")  # the rule's name is the user's
    for n in range(12):  # one scan, twelve low-stock items: one digest
        item = catalog.create_item(by=shop.admin, code=f"X{n:03}", name=f"矿泉水{n}号", base_unit=shop.pcs)
        catalog.set_levels(item, shop.main, by=shop.admin, safety_stock=D("6"))
    with translation.override("en"):  # a worker in English raised them
        engine.scan_company(shop.company.pk)
    now = clock.now()
    with transaction.atomic():
        for n in range(40):
            notify(company=shop.company, recipients=[manager], topic="workflow.waiting",
                   data={"document": 1, "number": f"BSD-20261130-{n:04}", "step": "经理审核",
                         "due_at": (now + dt.timedelta(hours=4)).isoformat()})
    for i, pk in enumerate(Notification.objects.filter(recipient=manager, topic="workflow.waiting")
                           .order_by("id").values_list("pk", flat=True)):
        Notification.objects.filter(pk=pk).update(created_at=now - dt.timedelta(hours=1 + i * 5))
    return shop, manager


@pytest.mark.parametrize("width", [360, 1280], ids=["phone", "desktop"])
def test_the_inbox_is_a_short_page_grouped_by_day_with_long_digests_folded(live_server, inbox, browser, width):
    shop, manager = inbox
    page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                            viewport={"width": width, "height": 800})
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/notifications/")

    assert page.locator(".inbox li").count() == 20
    days = page.locator(".inbox-day").all_inner_texts()
    assert days[0] == "今天" and len(days) >= 3
    digest = page.locator(".inbox li", has_text="12 条预警：低库存提醒")
    assert "库存不足：总仓 的 X000 矿泉水0号" in digest.inner_text()
    assert digest.locator(".note-body").first.inner_text().count("\n") == 2  # three lines shown
    digest.locator("summary").click()
    assert "X011 矿泉水11号" in digest.inner_text()
    assert "alert.low_stock" not in page.inner_text("main") and "Low stock" not in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < (4500 if width <= 360 else 3000), height
    shot(page, f"notifications-{'phone' if width <= 360 else 'desktop'}.png", full_page=True)

    page.click("[data-family='workflow.']")
    page.wait_for_url("**topic=workflow.*")
    assert page.locator(".inbox li[data-topic^='alert.']").count() == 0
    page.click("a[rel=next]")
    assert page.locator(".inbox li").count() == 20  # 40 approvals: a second full page
    page.close()
