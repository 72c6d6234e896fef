"""Web pages of the notifications: the bell, the inbox, the channel admin pages — in Chinese and English."""

from __future__ import annotations

import re

from django.db import transaction
from django.urls import reverse

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.models import Channel, Notification
from openjxc.alerts.notify import notify
from openjxc.core.models import Role
from tests.alerts.conftest import DING_SECRET, FEISHU_SECRET, WECOM_KEY
from tests.conftest import Shop

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _bell_count(html):
    m = re.search(r'class="bell-count" data-unread="(\d+)"', html)
    return int(m.group(1)) if m else 0


def _notify(shop, user, title, link=""):
    with transaction.atomic():
        return notify(company=shop.company, recipients=[user], topic="approval.pending", title=title,
                      body="请尽快处理", link=link)[0]


def test_bell_counts_unread_and_inbox_marks_read(client, shop):
    keeper = shop.user("keeper1", Role.KEEPER)
    client.force_login(keeper)
    assert _bell_count(client.get(reverse("web:home"), **ZH).content.decode()) == 0
    a = _notify(shop, keeper, "待审批: CGRK-0001", link="/documents/")
    _notify(shop, keeper, "待审批: CGRK-0002")
    page = client.get(reverse("web:notifications"), **ZH).content.decode()
    assert _bell_count(page) == 2 and "待审批: CGRK-0001" in page and "全部标为已读" in page

    r = client.post(reverse("web:notification_open", args=[a.pk]))  # open: read, then to its link
    assert r.status_code == 302 and r["Location"] == "/documents/"
    a.refresh_from_db()
    assert a.read_at is not None
    assert _bell_count(client.get(reverse("web:notifications"), **ZH).content.decode()) == 1
    unread = client.get(reverse("web:notifications"), {"show": "unread"}, **ZH).content.decode()
    assert "CGRK-0002" in unread and "CGRK-0001" not in unread
    client.post(reverse("web:notifications_read_all"))
    assert Notification.objects.filter(recipient=keeper, read_at__isnull=True).count() == 0
    # someone else's notification cannot be opened
    theirs = _notify(shop, shop.admin, "admin's")
    assert client.post(reverse("web:notification_open", args=[theirs.pk])).status_code == 404


def test_open_never_redirects_off_site(client, shop):
    note = _notify(shop, shop.admin, "phish", link="https://evil.example/login")
    client.force_login(shop.admin)
    r = client.post(reverse("web:notification_open", args=[note.pk]))
    assert r["Location"] == reverse("web:notifications")


def test_inbox_renders_in_english(client, shop):
    _notify(shop, shop.admin, "Approve PO-1")
    client.force_login(shop.admin)
    page = client.get(reverse("web:notifications"), **EN).content.decode()
    assert "Mark all read" in page and "Approve PO-1" in page and "1 unread" in page


def test_channel_pages_in_chinese_and_english(client, shop, platforms):
    ch = create_channel(by=shop.admin, kind="wecom", name="仓库群", config={"url": platforms.url("wecom")})
    client.force_login(shop.admin)
    for url, zh, en in [
        (reverse("web:channels"), "通知渠道", "Notification channels"),
        (reverse("web:channel_new", args=["dingtalk"]), "加签", "signed"),
        (reverse("web:channel_new", args=["webhook"]), "签名密钥", "Signing secret"),
        (reverse("web:channel_new", args=["email"]), "发件人地址", "Sender address"),
        (reverse("web:channel_edit", args=[ch.pk]), "发送记录", "Delivery log"),
    ]:
        assert zh in client.get(url, **ZH).content.decode(), url
        client.cookies.pop("django_language", None)
        assert en in client.get(url, **EN).content.decode(), url
        client.cookies.pop("django_language", None)
    # the webhook key is not shown in full anywhere
    assert WECOM_KEY not in client.get(reverse("web:channel_edit", args=[ch.pk]), **ZH).content.decode()


def test_create_channel_per_kind_test_it_and_see_the_log(client, shop, platforms):
    client.force_login(shop.admin)
    r = client.post(reverse("web:channel_new", args=["feishu"]), {
        "name": "飞书运营群", "enabled": "on", "topics": "alert.， approval.", "url": platforms.url("feishu"),
        "secret": FEISHU_SECRET, "keyword": ""}, **ZH)
    assert r.status_code == 302
    ch = Channel.objects.get(name="飞书运营群")
    assert ch.kind == "feishu" and ch.topics == ["alert.", "approval."] and ch.config["secret"] == FEISHU_SECRET

    # edit with the masked secret left as shown: kept
    page = client.get(reverse("web:channel_edit", args=[ch.pk]), **ZH)
    shown = page.context["form"].initial
    assert shown["secret"] != FEISHU_SECRET
    r = client.post(reverse("web:channel_edit", args=[ch.pk]), {**shown, "enabled": "on", "name": "飞书群"}, **ZH)
    assert r.status_code == 302
    ch.refresh_from_db()
    assert ch.name == "飞书群" and ch.config["secret"] == FEISHU_SECRET

    r = client.post(reverse("web:channel_test", args=[ch.pk]), follow=True, **ZH)
    html = r.content.decode()
    assert "测试消息已送达" in html and "success" in html
    assert len(platforms.accepted("feishu")) == 1
    log = client.get(reverse("web:channel_edit", args=[ch.pk]), **ZH).content.decode()
    assert "已发送" in log and "OpenJXC" in log


def test_refusals_show_beside_the_field(client, shop):
    client.force_login(shop.admin)
    r = client.post(reverse("web:channel_new", args=["dingtalk"]), {
        "name": "钉钉", "enabled": "on", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "secret": DING_SECRET}, **ZH)
    assert r.status_code == 200 and r.context["form"].errors["robot_confirmed"]
    r = client.post(reverse("web:channel_new", args=["webhook"]), {
        "name": "h", "enabled": "on", "url": "http://h.example/x", "secret": "short"}, **ZH)
    assert r.status_code == 200 and r.context["form"].errors["secret"]
    assert Channel.objects.count() == 0


def test_channel_pages_are_for_admins_of_the_company(client, shop, platforms):
    other = Shop("OTHER")
    theirs = create_channel(by=other.admin, kind="wecom", name="w", config={"url": platforms.url("wecom")})
    client.force_login(shop.admin)
    assert client.get(reverse("web:channel_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:channel_test", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:channel_delete", args=[theirs.pk])).status_code == 404
    client.force_login(shop.user("keeper1", Role.KEEPER))
    assert client.get(reverse("web:channels")).status_code == 403
    assert platforms.hits == [] and Channel.objects.filter(pk=theirs.pk).exists()
