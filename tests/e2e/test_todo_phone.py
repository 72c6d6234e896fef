"""The 待办 inbox on a 360 px phone (and a desktop), in Chinese: a manager sees the write-off to approve and the
approved issue to post in one list, its number is the dashboard's "To-do" card, approving from the list with the
"approve and post" step posts the write-off, and nothing is wider than the screen (issue 13, items 14 and 15).
Screenshots go to /tmp/shots-approvals/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.workflow import services as wf
from tests.browser import NEEDS_CHROMIUM, sign_in
from tests.conftest import Shop
from tests.workflow.conftest import Team

pytestmark = NEEDS_CHROMIUM
SHOTS = Path("/tmp/shots-approvals")


@pytest.fixture
def work(wipeable_ledger):
    team = Team(Shop())
    team.receive()
    shop = team.shop
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库主管", "approvers": [{"type": "warehouse_manager"}], "post_on_approve": True}])
    team.write_off_doc = team.write_off("3")  # by the keeper: waits for wang, the warehouse manager
    flour = [LineInput(item=shop.flour.pk, quantity=Decimal("2"))]
    team.issue = docs.advance_document(docs.create_document(by=team.keeper, kind="other_out", warehouse=shop.main,
                                                            lines=flour), by=team.boss, to="approved")
    return team


def login(browser, live_server, user, width):
    page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                            viewport={"width": width, "height": 800})
    sign_in(page, live_server, user)
    return page


@pytest.mark.parametrize("width", [360, 1280], ids=["phone", "desktop"])
def test_the_inbox_lists_all_my_work_counts_as_the_dashboard_and_approves_and_posts(live_server, work, browser,
                                                                                   width):
    team = work
    page = login(browser, live_server, team.wang, width)
    card = int(page.locator("#kpi-todo .kpi-value").inner_text())
    assert "待办" in page.locator("#kpi-todo").inner_text()
    page.click("#kpi-todo")
    page.wait_for_url("**/inbox/")
    tab = int(page.locator(".tab.active .tab-count").inner_text())
    assert card == tab == 2
    assert team.write_off_doc.number in page.locator("#todo-approvals").inner_text()
    assert team.issue.number in page.locator("#todo-postings").inner_text()
    assert "待过账" in page.inner_text("main") and "待审批" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = "phone" if width <= 360 else "desktop"
    page.screenshot(path=str(SHOTS / f"todo-{name}.png"), full_page=True)

    item = page.locator(f"#todo-{team.write_off_doc.pk}")
    item.locator("button.btn-primary").click()
    page.wait_for_selector(f"#todo-{team.write_off_doc.pk}.done")
    assert re.search("已过账", page.locator(f"#todo-{team.write_off_doc.pk}").inner_text())
    assert Document.objects.get(pk=team.write_off_doc.pk).status == Status.POSTED
    page.screenshot(path=str(SHOTS / f"todo-{name}-after.png"), full_page=True)
    page.reload()
    assert int(page.locator(".tab.active .tab-count").inner_text()) == 1
