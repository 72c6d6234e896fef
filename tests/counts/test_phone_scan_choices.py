"""The count page on a 360 px phone in Chromium (issue 13 items 17 and 19): a second visit reuses the person's
browser terminal, a lot-tracked item scanned by its ordinary barcode shows the lots to pick from, and a typo at
the scan field is refused on the phone without counting against the terminal."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal as D

import pytest

from openjxc.core.models import AuditRecord, Event, Role
from openjxc.counts import services as counts
from openjxc.counts.models import CountLine
from openjxc.sync.models import Terminal
from tests.browser import NEEDS_CHROMIUM
from tests.conftest import Shop
from tests.counts.test_offline_phone import _phone, _scan, _wait_ready

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect  # the page's CSP allows no eval: no wait_for_function(string)
pytestmark = NEEDS_CHROMIUM
SHOTS = "/tmp/shots-counting"
MILK = "6930000000016"


def test_a_phone_reuses_its_terminal_picks_a_lot_and_a_typo_raises_no_alert(live_server, wipeable_ledger, browser):
    shop = Shop()
    shop.receive(shop.milk, 6, "3", lot="L1", expires_on=dt.date(2030, 1, 10))
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    counts.start_count(count, by=shop.admin)
    keeper = shop.user("keeper1", Role.KEEPER, warehouses=[shop.main])
    context, page = _phone(browser, live_server, keeper)
    log: list[str] = []
    page.on("console", lambda m: log.append(m.text))
    page.goto(f"{live_server.url}/counts/{count.pk}/")
    _wait_ready(page, ".scan-card[data-ready='1'][data-terminal]", log)
    terminal = Terminal.objects.get(operator=keeper)
    tokens = AuditRecord.objects.filter(action="terminal.token").count()

    page.goto(f"{live_server.url}/counts/")  # another visit to the count page from the same phone
    page.goto(f"{live_server.url}/counts/{count.pk}/")
    _wait_ready(page, ".scan-card[data-ready='1'][data-terminal]", log)
    assert list(Terminal.objects.filter(operator=keeper)) == [terminal]
    assert AuditRecord.objects.filter(action="terminal.token").count() == tokens  # not even a new token

    _scan(page, MILK)
    page.wait_for_selector("#scan-result .lot-choice .lot-pick", timeout=20000)
    assert "L1" in page.inner_text("#scan-result .lot-choice")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/lot-choice-360.png")
    page.click("#scan-result .lot-pick")
    expect(page.locator("#entry-log .entry[data-state=saved]")).to_have_count(1, timeout=20000)
    assert CountLine.objects.get(count=count, lot__code="L1").counted_quantity == D(1)

    _scan(page, "69300000000l6")  # a typo
    expect(page.locator("#entry-log .entry[data-state=refused]")).to_have_count(2, timeout=20000)
    terminal.refresh_from_db()
    assert terminal.refused_count == 0
    assert not Event.objects.filter(topic="terminal.refused").exists()
    context.close()
