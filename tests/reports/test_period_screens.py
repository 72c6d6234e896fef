"""The weekly and monthly report pages in Debian's Chromium over the March story (today = 2026-04-02): a desktop at
1280 px and a 360 px phone (nothing wider than the screen, charts drawn), previous / next, the PDF and Excel
downloads, and subscribing from the page. Screenshots go to docs/screenshots/ with JXC_SCREENSHOTS=1."""

from __future__ import annotations

import io

import openpyxl
import pytest

from openjxc.alerts.models import Channel
from openjxc.reports.models import ReportSubscription
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.e2e.shots import shot

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]


def test_monthly_and_weekly_report_on_a_desktop_and_a_phone(story, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    admin = story.shop.admin
    Channel.objects.create(company=story.shop.company, kind="feishu", name="飞书经营群",
                           config={"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"})
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                      viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, live_server, admin)
        page.click("nav a[href='/reports/monthly/']")  # from the reports navigation: 经营月报
        page.wait_for_selector("[data-report-chart] svg", timeout=15_000)
        assert page.inner_text("h1") == "经营月报"
        assert page.inner_text("[data-period]") == "2026-03"  # the last complete month
        assert page.get_attribute("[data-section='sales'] [data-figure='revenue'] [data-value]",
                                  "data-value") == "306.00"
        assert page.get_attribute("[data-figure='gross_margin'] [data-value]", "data-value") == "39.6078"
        assert "销售收入（不含税） +306.00：粮油 分类，总仓" in page.inner_text("[data-summary]")
        assert page.locator("[data-report-chart] svg").count() >= 5
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # a shop's real week (13,991.58 against 11,148.60) still fits the half-width cards without a scroll bar
        assert page.evaluate("""() => { for (const row of document.querySelectorAll('[data-section] tbody tr')) {
            const [v, p, c] = row.querySelectorAll('td');
            v.textContent = '13,991.58'; p.textContent = '11,148.60';
            c.innerHTML = '+2,842.98 <span class="muted">(+25.5%)</span>'; }
          return [...document.querySelectorAll('[data-section] .table-scroll')]
            .map(e => e.scrollWidth - e.clientWidth); }""") == [0] * page.locator("[data-section]").count()
        assert not errors, errors
        page.reload()
        page.wait_for_selector("[data-report-chart] svg", timeout=15_000)
        shot(page, "period-report-desktop.png", full_page=True)

        with page.expect_download() as pdf_download:
            page.click("[data-pdf]")
        with open(pdf_download.value.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"
        with page.expect_download() as xlsx_download:
            page.click("[data-xlsx]")
        with open(xlsx_download.value.path(), "rb") as f:
            wb = openpyxl.load_workbook(io.BytesIO(f.read()))
        assert wb.sheetnames[:3] == ["摘要", "销售与客流", "毛利与毛利率"]

        page.click("[data-previous]")
        page.wait_for_url("**/reports/monthly/?start=2026-02-01")
        assert page.inner_text("[data-period]") == "2026-02"
        page.click("[data-next]")
        page.wait_for_url("**/reports/monthly/?start=2026-03-01")

        # the weekly report of the week holding 12 March, then subscribing from the page
        page.goto(f"{live_server.url}/reports/weekly/?start=2026-03-12")
        assert page.inner_text("[data-period]") == "2026-03-09 – 2026-03-15"
        assert page.get_attribute("[data-figure='gross_margin'] [data-value]", "data-value") == "48.4375"
        page.click("text=订阅")
        page.select_option("select[name=kind]", "week")
        page.click("[data-subscribe] button[type=submit]")
        page.wait_for_selector("[data-subscriptions]")
        assert "飞书经营群" in page.inner_text("[data-subscriptions]")
        assert ReportSubscription.objects.filter(user=admin, kind="week").count() == 1
        # paused and resumed with the row's button
        page.click("[data-subscriptions] [data-pause]")
        page.wait_for_selector("[data-subscriptions] [data-resume]")
        assert "已暂停" in page.inner_text("[data-subscriptions]")
        assert not ReportSubscription.objects.get(user=admin, kind="week").is_active
        page.click("[data-subscriptions] [data-resume]")
        page.wait_for_selector("[data-subscriptions] [data-pause]")
        assert ReportSubscription.objects.get(user=admin, kind="week").is_active

        # a 360 px phone: nothing wider than the screen, the charts drawn
        phone = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                    viewport={"width": 360, "height": 780}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True)
        mobile = phone.new_page()
        sign_in(mobile, live_server, admin)
        mobile.goto(f"{live_server.url}/reports/monthly/?start=2026-03-01")
        mobile.wait_for_selector("[data-report-chart] svg", timeout=15_000)
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
        # and no table scrolls sideways inside its card (each row: the name, then its three numbers under it)
        assert mobile.evaluate("""() => [...document.querySelectorAll('[data-section] .table-scroll, '
          + '[data-movers] .table-scroll')].map(e => e.scrollWidth - e.clientWidth)""") == [0] * mobile.locator(
            "[data-section] .table-scroll, [data-movers] .table-scroll").count()
        size = mobile.evaluate("parseFloat(getComputedStyle(document.querySelector('[data-summary] li')).fontSize)")
        assert size >= 14
        shot(mobile, "period-report-phone.png", full_page=True)
        mobile.goto(f"{live_server.url}/reports/subscriptions/")
        mobile.wait_for_selector("[data-subscriptions] [data-pause]")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()
