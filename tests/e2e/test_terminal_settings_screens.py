"""The terminal settings page and a customer's store limits page in a real Chromium, at 1280 and 360 px, in
Chinese: reached by their links, saved by clicking, nothing wider than the screen (screenshots in
/tmp/shots-settings/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openjxc.core.models import Role
from openjxc.sync import terminals
from openjxc.sync.models import StoreCustomer
from tests.browser import NEEDS_CHROMIUM
from tests.conftest import Shop

pytestmark = NEEDS_CHROMIUM
SHOTS = Path("/tmp/shots-settings")


@pytest.mark.parametrize("width", [1280, 360])
def test_terminal_settings_and_store_limits_pages(live_server, browser, db, width):
    shop = Shop()
    shop.user("mgr", Role.MANAGER)
    SHOTS.mkdir(exist_ok=True)
    url = live_server.url
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  viewport={"width": width, "height": 860})
    page = context.new_page()

    def login(username):
        context.clear_cookies()
        page.goto(f"{url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "pw-12345678")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")

    login(shop.admin.username)
    page.goto(f"{url}/terminals/")
    page.click("a:text-is('终端设置')")
    page.wait_for_url(f"{url}/terminals/settings/")
    page.fill("input[name=max_line_quantity]", "50")
    page.screenshot(path=str(SHOTS / f"terminal-settings-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("form.form button.btn-primary")
    page.wait_for_selector("text=终端设置已保存")
    assert terminals.terminal_settings(shop.company.pk)["max_line_quantity"] == 50

    login("mgr")
    page.goto(f"{url}/masterdata/partners/{shop.customer.pk}/edit/")
    page.click("a:text-is('门店限制')")
    page.wait_for_url(f"{url}/masterdata/partners/{shop.customer.pk}/stores/")
    page.check(f"input[name=stores][value='{shop.store.pk}']")
    page.screenshot(path=str(SHOTS / f"customer-stores-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("form.form button.btn-primary")
    page.wait_for_selector("text=C001 的门店已保存")
    assert list(StoreCustomer.objects.values_list("warehouse_id", flat=True)) == [shop.store.pk]
    context.close()
