"""Notifications and alerts in the reader's language, whoever caused them: the text is rendered from the topic and
its data when it is read (the inbox page, the API) and, for messages that leave the app, in the recipient's
language when written. The inbox is grouped by day, filtered by kind and paged. Virtual locations (suppliers,
customers, in transit …) are named in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from openjxc.alerts import engine
from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.models import Delivery, Notification
from openjxc.alerts.notify import notify
from openjxc.alerts.rule_models import AlertKind
from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.workflow import services as wf
from tests.conftest import Shop

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    s = Shop()
    s.manager = s.user("mgr", Role.MANAGER)  # no language of their own: follows the browser
    s.boss = s.user("boss", Role.MANAGER)
    s.boss.language, s.boss.email = "zh-hans", "boss@example.com"
    s.boss.save()
    return s


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (no tags, no attributes)."""
    return re.sub(r"<[^>]+>", " ", html)


def low_stock_alert_in_an_english_worker(shop):
    """The periodic scan runs in a worker whose language is English."""
    engine.save_rule(by=shop.admin, kind=AlertKind.LOW_STOCK)
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("24"))
    with translation.override("en"):
        return engine.scan_company(shop.company.pk)


def test_an_alert_raised_in_english_reads_in_chinese_in_a_chinese_inbox_and_api(shop):
    assert len(low_stock_alert_in_an_english_worker(shop).raised) == 1
    note = Notification.objects.get(recipient=shop.manager)
    assert note.title.startswith("Low stock:")  # stored in the worker's language: only the fallback

    browser = Client()
    browser.force_login(shop.manager)
    zh = visible_text(browser.get(reverse("web:notifications"), **ZH).content.decode())
    assert "库存不足：总仓 的 W001 矿泉水 可用 0，低于安全库存 24" in zh
    assert "Low stock" not in zh and "alert.low_stock" not in zh  # no English sentence, no raw code
    en = visible_text(browser.get(reverse("web:notifications"), **EN).content.decode())
    assert "Low stock: W001 矿泉水 in 总仓" in en

    api = browser.get("/api/notifications", **ZH).json()["items"][0]
    assert api["title"].startswith("库存不足：") and api["topic_label"] == "库存不足"
    assert api["topic"] == "alert.low_stock"  # the code stays for programs


def test_an_approval_request_reads_in_the_readers_language_with_the_due_time_in_company_time(shop, settings):
    keeper = shop.user("keeper", Role.KEEPER)
    wf.create_flow(by=shop.admin, name="报损审批", kind="write_off", steps=[
        {"name": "经理审核", "approvers": [{"type": "user", "user": shop.manager.pk}], "time_limit_hours": 2}])
    doc = docs.create_document(by=keeper, kind="write_off", warehouse=shop.main,
                               lines=[LineInput(item=shop.flour.pk, quantity=D("1"))])
    clock.freeze(dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC))  # Monday 10:00 in Shanghai
    try:
        with translation.override("en"):
            docs.submit_document(doc, by=keeper)
    finally:
        clock.freeze(None)
    note = Notification.objects.get(recipient=shop.manager, topic="workflow.waiting")
    browser = Client()
    browser.force_login(shop.manager)
    zh = visible_text(browser.get(reverse("web:notifications"), **ZH).content.decode())
    assert f"{doc.number} 等待您审批（经理审核）" in zh
    assert "截止时间 2026-11-02 12:00" in zh and "+00:00" not in zh  # Shanghai time, not an ISO timestamp
    assert note.data["due_at"].startswith("2026-11-02T04:00")


def test_messages_that_leave_the_app_are_written_in_the_recipients_language(shop, smtp_server, platforms):
    create_channel(by=shop.admin, kind="email", name="邮件", config={})
    create_channel(by=shop.admin, kind="wecom", name="仓库群", config={"url": platforms.url("wecom")})
    shop.manager.email = "mgr@example.com"
    shop.manager.language = "en"
    shop.manager.save()
    with translation.override("en"):
        low_stock_alert_in_an_english_worker(shop)
    email = {d.address: d.title for d in Delivery.objects.filter(channel__kind="email")}
    assert email["boss@example.com"].startswith("库存不足：") and email["mgr@example.com"].startswith("Low stock:")
    boss_note = Notification.objects.get(recipient=shop.boss)
    assert boss_note.title.startswith("库存不足：")  # stored in the recipient's language too
    group = Delivery.objects.get(channel__kind="wecom")
    assert group.title.startswith("Low stock:")  # a group chat reads the server's language (JXC_LANGUAGE)


def test_a_digest_lists_its_alerts_in_the_readers_language(shop):
    with translation.override("en"):
        engine.save_rule(by=shop.admin, kind=AlertKind.LOW_STOCK)
    for n in range(8):
        item = catalog.create_item(by=shop.admin, code=f"X{n:03}", name=f"商品{n}", base_unit=shop.pcs)
        catalog.set_levels(item, shop.main, by=shop.admin, safety_stock=D("3"))
    with translation.override("en"):
        engine.scan_company(shop.company.pk)
    browser = Client()
    browser.force_login(shop.manager)
    zh = visible_text(browser.get(reverse("web:notifications"), **ZH).content.decode())
    # the rule kept its default name, given in English when it was created: it reads in Chinese too
    assert engine.AlertRule.objects.get().name == "Low stock"
    assert "8 条预警：库存不足" in zh and "库存不足：总仓 的 X000 商品0" in zh and "还有 5 行" in zh
    browser.force_login(shop.admin)
    assert "库存不足" in visible_text(browser.get(reverse("web:alert_rules"), **ZH).content.decode())


def test_a_topic_without_a_registered_text_keeps_its_stored_words(shop):
    with transaction.atomic():
        notify(company=shop.company, recipients=[shop.manager], topic="approval.pending", title="待审批：CGDD-0001")
    browser = Client()
    browser.force_login(shop.manager)
    assert "待审批：CGDD-0001" in browser.get(reverse("web:notifications"), **EN).content.decode()


def test_the_inbox_is_grouped_by_day_filtered_by_kind_and_paged(shop):
    now = clock.now()
    with transaction.atomic():
        for n in range(45):
            topic = "workflow.approved" if n % 3 else "approval.custom"
            notify(company=shop.company, recipients=[shop.manager], topic=topic, title=f"消息 {n}",
                   data={"number": f"BSD-{n:04}"})
    # spread over three days: 15 today, 15 yesterday, 15 the day before
    for note in Notification.objects.filter(recipient=shop.manager).order_by("id"):
        n = int(note.data["number"][4:])
        Notification.objects.filter(pk=note.pk).update(created_at=now - dt.timedelta(days=n // 15, minutes=n))
    browser = Client()
    browser.force_login(shop.manager)
    first = browser.get(reverse("web:notifications"), **ZH).content.decode()
    assert first.count('<li class="unread"') == 20
    assert re.findall(r'<h2 class="inbox-day">([^<]+)</h2>', first)[:2] == ["今天", "昨天"]
    assert "BSD-0000 已审批通过" in first or "BSD-0001 已审批通过" in first
    assert 'rel="next"' in first
    nxt = re.search(r'href="\?([^"]+)" rel="next"', first)[1].replace("&amp;", "&")
    second = browser.get(reverse("web:notifications") + "?" + nxt, **ZH).content.decode()
    assert second.count('<li class="unread"') == 20 and "消息 0" not in second

    # the kinds: approvals (workflow) and the rest, with their unread counts; a filter keeps to one kind
    kinds = dict(re.findall(r'data-family="([^"]+)"[^>]*>([^<]+)<', first))
    assert kinds["workflow."].strip() == "审批" and "approval." in kinds
    only = browser.get(reverse("web:notifications"), {"topic": "workflow."}, **ZH).content.decode()
    assert 'data-topic="approval.custom"' not in only and only.count('data-topic="workflow.approved"') == 20


def test_virtual_locations_are_named_in_the_readers_language(shop):
    shop.receive(shop.flour, 10, "5")
    shop.sell(shop.flour, 2, price="8")
    browser = Client()
    browser.force_login(shop.admin)
    zh = visible_text(browser.get(reverse("web:item_card", args=[shop.flour.pk]), **ZH).content.decode())
    assert "供应商" in zh and "客户" in zh and "Suppliers" not in zh and "Customers" not in zh
    en = visible_text(browser.get(reverse("web:item_card", args=[shop.flour.pk]), **EN).content.decode())
    assert "Suppliers" in en and "Customers" in en
