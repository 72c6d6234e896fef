"""Each channel kind against a real local server that checks the platform's payload and signature."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from django.db import transaction

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.delivery import dispatch_due
from openjxc.alerts.models import Delivery
from openjxc.alerts.notify import notify
from tests.alerts.conftest import DING_SECRET, FEISHU_SECRET, WEBHOOK_SECRET


def _channel(shop, platforms, kind, **config):
    base = {"url": platforms.url(kind)}
    if kind == "dingtalk":
        base.update(secret=DING_SECRET, robot_confirmed=True)
    if kind == "feishu":
        base.update(secret=FEISHU_SECRET)
    if kind == "webhook":
        base.update(secret=WEBHOOK_SECRET)
    base.update(config)
    return create_channel(by=shop.admin, kind=kind, name=kind, config=base)


def _notify(shop, title="低库存: 面粉", body="总仓 面粉 可用 3 千克, 低于安全库存 10", link="/stock/balances/?item=1"):
    with transaction.atomic():
        notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title=title, body=body,
               link=link)
    return dispatch_due()


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_each_platform_accepts_our_payload_and_signature(shop, platforms, kind):
    _channel(shop, platforms, kind)
    assert _notify(shop) == {"sent": 1}
    [hit] = platforms.hits
    assert hit["ok"], hit["answer"]
    text = str(hit["payload"])
    assert "低库存: 面粉" in text and "低于安全库存" in text
    assert "http://127.0.0.1:8000/stock/balances/?item=1" in text  # absolute link (JXC_BASE_URL)
    d = Delivery.objects.get()
    assert d.status == "sent" and d.attempts == 1 and d.response


def test_wecom_markdown_is_cut_to_the_platform_limit(shop, platforms):
    _channel(shop, platforms, "wecom")
    assert _notify(shop, body="库存" * 3000) == {"sent": 1}
    content = platforms.hits[0]["payload"]["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.startswith("**低库存: 面粉**")


def test_dingtalk_keyword_is_put_into_the_message(shop, platforms):
    _channel(shop, platforms, "dingtalk", keyword="OpenJXC")
    _notify(shop)
    assert "OpenJXC" in platforms.hits[0]["payload"]["markdown"]["text"]


@pytest.mark.parametrize("kind,code", [("dingtalk", 310000), ("feishu", 19021)])
def test_wrong_secret_is_refused_by_the_platform_and_retried(shop, platforms, fake_clock, kind, code):
    _channel(shop, platforms, kind, secret="not-the-secret-at-all")
    assert _notify(shop) == {"retrying": 1}
    answer = platforms.hits[0]["answer"]
    assert answer.get("errcode", answer.get("code")) == code
    d = Delivery.objects.get()
    assert d.status == "retrying" and str(code) in d.last_error and d.next_attempt_at > fake_clock.at


@pytest.mark.parametrize("kind,code", [("dingtalk", 310000), ("feishu", 19021)])
def test_stale_timestamp_is_refused_like_the_platform_does(shop, platforms, fake_clock, kind, code):
    _channel(shop, platforms, kind)
    real = fake_clock.at
    platforms.now = lambda: (real + dt.timedelta(hours=2)).timestamp()  # our clock is two hours behind
    assert _notify(shop) == {"retrying": 1}
    assert str(code) in Delivery.objects.get().last_error
    platforms.now = lambda: (real + dt.timedelta(minutes=5)).timestamp()  # clock fixed: next try works
    fake_clock.advance(minutes=1)
    assert dispatch_due() == {"sent": 1}


def test_webhook_with_wrong_secret_gets_401(shop, platforms):
    _channel(shop, platforms, "webhook", secret="another-secret-of-16+chars")
    assert _notify(shop) == {"retrying": 1}
    assert Delivery.objects.get().last_error == "HTTP 401"
    assert platforms.hits[0]["answer"] == {"error": "bad signature"}


def test_wecom_invalid_key_code_is_recorded(shop, platforms):
    create_channel(by=shop.admin, kind="wecom", name="w",
                   config={"url": platforms.url("wecom").replace("wecom-key", "wrong-key")})
    assert _notify(shop) == {"retrying": 1}
    assert Delivery.objects.get().last_error.startswith("93000")


def test_email_reaches_a_real_smtp_server(shop, smtp_server):
    shop.admin.email = "boss@example.com"
    shop.admin.save()
    create_channel(by=shop.admin, kind="email", name="mail", config={"subject_prefix": "[JXC]"})
    assert _notify(shop) == {"sent": 1}
    [m] = smtp_server.messages
    assert m["to"] == ["boss@example.com"] and m["from"] == "jxc@example.com"
    parsed = email.message_from_bytes(m["raw"], policy=email.policy.default)
    assert parsed["Subject"] == "[JXC] 低库存: 面粉"
    text = parsed.get_content()
    assert "低于安全库存" in text and "http://127.0.0.1:8000/stock/balances/?item=1" in text


def test_email_to_an_unreachable_server_is_retried(shop, smtp_server, settings, fake_clock):
    shop.admin.email = "boss@example.com"
    shop.admin.save()
    create_channel(by=shop.admin, kind="email", name="mail", config={})
    settings.JXC_SMTP = {**settings.JXC_SMTP, "port": 1}  # nothing listens there
    assert _notify(shop) == {"retrying": 1}
    settings.JXC_SMTP = {**settings.JXC_SMTP, "port": smtp_server_port(smtp_server)}
    fake_clock.advance(seconds=30)
    assert dispatch_due() == {"sent": 1}
    assert len(smtp_server.messages) == 1


def smtp_server_port(inbox):
    return inbox.port
