"""In a real browser (Debian's Chromium via Playwright), in Chinese: a manager adds an approval step with a
condition in the flow editor and new documents follow it; approvers approve and reject from the 待办 inbox on
a 360 px phone; the cycle-time report with its charts. Screenshots go to docs/screenshots/ with JXC_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core import clock
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.documents.services import LineInput
from openjxc.stock import services as stock
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval, Flow
from tests.browser import NEEDS_CHROMIUM, launch
from tests.conftest import Shop, assert_ledger_consistent
from tests.e2e.shots import shot

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def _login(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-12345678")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def _people(shop):
    def user(name, display, *roles, superior=None):
        return core.create_user(by=shop.admin, username=name, password="pw-12345678", roles=list(roles),
                                display_name=display, superior=superior)

    boss = user("boss", "陈总", Role.ADMIN)
    wang = user("wang", "王经理", Role.MANAGER, superior=boss)
    liu = user("liu", "刘会计", Role.FINANCE, superior=boss)
    zhao = user("zhao", "赵保管", Role.KEEPER, superior=wang)
    stock.update_warehouse(shop.main, by=shop.admin, manager=wang)
    return boss, wang, liu, zhao


def _order(shop, amount, by):
    doc = docs.create_document(by=by, kind="purchase_order", warehouse=shop.main, partner=shop.supplier,
                               lines=[LineInput(item=shop.flour.pk, quantity=Decimal("1"),
                                                unit_price=Decimal(str(amount)), tax_rate=Decimal("0"))])
    return docs.submit_document(doc, by=by)


def test_flow_editor_adds_a_step_with_a_condition_then_new_documents_follow_it(live_server, wipeable_ledger):
    shop = Shop()
    boss, wang, liu, _zhao = _people(shop)
    flow = wf.create_flow(by=boss, name="采购订单审批", kind="purchase_order", steps=[
        {"name": "部门经理审批", "approvers": [{"type": "role", "role": "manager"}], "time_limit_hours": "4",
         "reminders": [-60, 0], "escalation": {"rule": "superior", "after_minutes": 120}},
    ])
    flow_pk, liu_pk = flow.pk, liu.pk

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 1280, "height": 900})
        _login(page, live_server.url, "boss")
        page.click("nav a:text-is('审批流程')")
        page.wait_for_url("**/workflow/flows/")
        page.click("a:has-text('采购订单审批')")
        page.click("#add-step")
        page.wait_for_selector("#step-form")
        page.fill("#step-form input[name=name]", "财务复核")
        page.check("#approver-roles input[value=finance]")
        page.click("#add-condition")
        row = page.locator("#cond-rows .cond-row").last
        row.locator("select[name=cond_field]").select_option("amount")
        row.locator("select[name=cond_op]").select_option(">")
        row.locator("input[name=cond_value]").fill("5000")
        page.fill("#step-form input[name=time_limit_hours]", "8")
        page.fill("#step-form input[name=reminder_1]", "-1")
        page.select_option("#step-form select[name=escalation]", "deputy")
        assert page.is_visible(".deputy-field")  # the deputy appears only for that rule
        page.select_option("#step-form select[name=deputy]", str(liu_pk))
        page.fill("#step-form input[name=escalate_after_hours]", "2")
        shot(page.locator("#step-form"), "flow-step-form-desktop.png")
        page.click("#save-step")
        page.wait_for_selector(".flow-step[data-step='2']")
        text = page.inner_text(".flow-steps")
        assert "财务复核" in text and "金额（含税；库存单据按成本） 大于 5000" in text and "升级给指定代理人: 刘会计" in text
        assert "流程已保存" in page.inner_text("#flash")
        shot(page, "flow-editor-desktop.png", full_page=True)

        phone = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                 viewport={"width": 360, "height": 760}, is_mobile=True, has_touch=True)
        _login(phone, live_server.url, "boss")
        phone.goto(f"{live_server.url}/workflow/flows/{flow_pk}/?edit=new")
        phone.wait_for_selector("#step-form")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        shot(phone, "flow-editor-phone.png", full_page=True)
        browser.close()

    steps = wf.latest_version(Flow.objects.get(pk=flow_pk)).steps
    assert [s["name"] for s in steps] == ["部门经理审批", "财务复核"]
    assert steps[1]["condition"] == {"field": "amount", "op": ">", "value": "5000"}
    assert steps[1]["escalation"] == {"rule": "deputy", "after_minutes": 120, "deputy": liu_pk}
    big, small = _order(shop, 8000, shop.admin), _order(shop, 300, shop.admin)
    assert [s.name for s in Approval.objects.get(document=big).steps.all()] == ["部门经理审批", "财务复核"]
    assert [s.name for s in Approval.objects.get(document=small).steps.all()] == ["部门经理审批"]
    docs.approve_document(big, by=wang)
    big = docs.approve_document(big, by=liu)
    assert big.status == Status.APPROVED
    assert_ledger_consistent()


def test_approving_and_rejecting_from_the_inbox_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()
    boss, wang, _liu, zhao = _people(shop)
    shop.receive(shop.flour, 50, "5.00")
    wf.create_flow(by=boss, name="报损审批", kind="write_off", steps=[
        {"name": "仓库负责人审核", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": "4"},
    ])
    made = []
    for qty in ("2", "3"):
        doc = docs.create_document(by=zhao, kind="write_off", warehouse=shop.main, memo="破损",
                                   lines=[LineInput(item=shop.flour.pk, quantity=Decimal(qty))])
        made.append(docs.submit_document(doc, by=zhao))
    first, second = made

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760}, is_mobile=True, has_touch=True)
        _login(page, live_server.url, "wang")
        page.goto(f"{live_server.url}/workflow/inbox/")
        page.wait_for_selector(f"#todo-{first.pk}")
        assert "待我处理 2" in page.inner_text(".tabs")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, "inbox-phone.png", full_page=True)

        item = page.locator(f"#todo-{first.pk}")
        item.locator("textarea[name=comment]").fill("数量属实")
        item.locator("button.btn-primary:has-text('审核')").click()
        page.wait_for_selector(f"#todo-{first.pk}.done")
        assert "已审核" in page.inner_text(f"#todo-{first.pk}")

        item = page.locator(f"#todo-{second.pk}")
        item.locator("button.btn-danger:has-text('驳回')").click()  # no reason: refused beside the item
        page.wait_for_selector(f"#todo-{second.pk} [role=alert]")
        assert "驳回" in page.inner_text(f"#todo-{second.pk} [role=alert]")
        page.locator(f"#todo-{second.pk} textarea[name=comment]").fill("数量对不上，请复盘")
        page.locator(f"#todo-{second.pk} button.btn-danger").click()
        page.wait_for_selector(f"#todo-{second.pk}.done")

        page.goto(f"{live_server.url}/workflow/inbox/?tab=decided")
        assert "数量属实" in page.inner_text("main") and "数量对不上" in page.inner_text("main")

        # the requester sees where each one is; the document shows the lanes
        page.context.clear_cookies()
        _login(page, live_server.url, "zhao")
        page.goto(f"{live_server.url}/workflow/inbox/?tab=submitted")
        assert "数量对不上，请复盘" in page.inner_text("main")
        page.goto(f"{live_server.url}/documents/{first.pk}/")
        lanes = page.inner_text("#approval-timeline")
        assert "仓库负责人审核" in lanes and "王经理" in lanes and "数量属实" in lanes
        shot(page.locator("#approval-timeline"), "approval-timeline-phone.png")
        browser.close()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.APPROVED, Status.DRAFT)
    assert_ledger_consistent()


def test_cycle_time_report_in_the_browser(live_server, wipeable_ledger):
    shop = Shop()
    boss, wang, liu, zhao = _people(shop)
    wf.create_flow(by=boss, name="采购申请审批", kind="purchase_request", steps=[
        {"name": "部门经理", "approvers": [{"type": "role", "role": "manager"}], "time_limit_hours": "8"},
        {"name": "财务", "approvers": [{"type": "role", "role": "finance"}], "time_limit_hours": "8"},
    ])
    start = dt.datetime(2026, 10, 5, 1, 30, tzinfo=dt.UTC)  # Monday 09:30 in Shanghai
    try:
        for week in range(8):
            for n in range(3):
                t = start + dt.timedelta(weeks=week, days=n)
                clock.freeze(t)
                doc = docs.create_document(by=zhao, kind="purchase_request", warehouse=shop.main,
                                           lines=[LineInput(item=shop.flour.pk, quantity=Decimal("10"))])
                docs.submit_document(doc, by=zhao)
                slow = max(1.0, 30 - week * 3.5)  # the requests get quicker week by week
                clock.freeze(t + dt.timedelta(hours=slow * 0.6))
                docs.approve_document(doc, by=wang)
                clock.freeze(t + dt.timedelta(hours=slow))
                docs.approve_document(doc, by=liu)
                clock.freeze(t + dt.timedelta(hours=slow + 1))
                docs.post_document(doc, by=boss)
    finally:
        clock.freeze(None)

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 1280, "height": 900})
        _login(page, live_server.url, "boss")
        query = "start=2026-11-02&end=2026-11-29&compare_start=2026-10-05&compare_end=2026-11-01"
        page.goto(f"{live_server.url}/reports/cycle-times/?{query}")
        page.wait_for_selector("[data-cycle-chart=weekly] svg")
        page.wait_for_selector("[data-cycle-chart=steps] svg")
        text = page.inner_text("#comparison")
        assert "请购单" in text and "从 25.8 小时 到 11.8 小时" in text and "-54%" in text
        assert "财务" in page.inner_text("#per-step") and "刘会计" in page.inner_text("#per-approver")
        shot(page, "cycle-times-desktop.png", full_page=True)
        phone = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                 viewport={"width": 360, "height": 760}, is_mobile=True, has_touch=True)
        _login(phone, live_server.url, "boss")
        phone.goto(f"{live_server.url}/reports/cycle-times/?{query}")
        phone.wait_for_selector("[data-cycle-chart=weekly] svg")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        shot(phone, "cycle-times-phone.png", full_page=True)
        browser.close()
    assert_ledger_consistent()
