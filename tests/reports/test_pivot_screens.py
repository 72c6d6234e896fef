"""The pivot (多维交叉分析) used as a person would, in Debian's Chromium over the March story: choose the dimensions
and measures, read the subtotals, drill down from a cell to its documents, export the same layout to Excel, keep
the view — on a 1280 px desktop and on a 360 px phone (the table scrolls inside its card, the page does not)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.e2e.shots import shot
from tests.reports.story import at, march

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]
MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 760}],
                         ids=["desktop", "phone"])
def test_a_manager_pivots_drills_down_exports_and_keeps_the_view(story, live_server, monkeypatch, viewport):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    at(march(25))
    phone = viewport["width"] <= 360
    with playwright.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                      viewport=viewport, accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, live_server, story.shop.admin)

        # given the pivot for March, when the manager asks for revenue and gross profit by category with subtotals
        page.goto(f"{live_server.url}/reports/pivot/?{MARCH}")
        page.select_option("select[name=row1]", "category")
        page.select_option("select[name=row2]", "")
        page.select_option("select[name=col]", "")
        for box in page.query_selector_all("input[name=measures]"):
            box.set_checked(box.get_attribute("value") in ("revenue", "gross_profit"))
        page.check("input[name=subtotals]")
        page.click("[data-show]")
        page.wait_for_selector("table[data-table=pivot]")
        # then the table shows the story's figures (the same as the pivot's own test through the client)
        table = page.inner_text("table[data-table=pivot]")
        assert "306.00" in table, table
        heads = [h.inner_text() for h in page.query_selector_all("table[data-table=pivot] thead th[data-col]")]
        assert len(heads) == 2, heads
        if phone:  # the wide table scrolls inside its card; the page itself is no wider than the phone
            assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
        shot(page, f"pivot-{'phone' if phone else 'desktop'}.png", full_page=True)

        # when the manager exports it, the workbook holds the same figures in the same layout
        with page.expect_download() as download:
            page.click("[data-export]")
        sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        assert any(str(c) in ("306", "306.0", "306.00") for c in cells), cells[:40]

        # when the manager keeps the view under a name, it is listed and opens the same pivot
        page.click("details.saved-views summary")
        page.fill(".save-view input[name=name]", "三月品类毛利")
        page.click("[data-save-view]")
        page.wait_for_selector("[data-view='三月品类毛利']")
        page.click("[data-view='三月品类毛利']")
        page.wait_for_selector("table[data-table=pivot]")
        assert "306.00" in page.inner_text("table[data-table=pivot]")

        # when the manager clicks a figure, the documents behind it are listed, each linking to its page
        page.click("table[data-table=pivot] a[data-drill] >> nth=0")
        page.wait_for_load_state("networkidle")
        assert "/reports/drill/" in page.url or "drill" in page.url, page.url
        links = page.query_selector_all("a[href*='/documents/']")
        assert links, page.inner_text("main")
        assert errors == [], errors
        context.close()
        browser.close()
