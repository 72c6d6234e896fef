"""The notifications API: my inbox, the company's channels (admins), test messages, the error model."""

from __future__ import annotations

from django.db import transaction

from openjxc.alerts.models import Channel, Delivery
from openjxc.alerts.notify import notify
from openjxc.core.models import Event, Role
from tests.alerts.conftest import DING_SECRET, WEBHOOK_SECRET, WECOM_KEY
from tests.api.conftest import Api
from tests.conftest import Shop


def _note(shop, user, title):
    with transaction.atomic():
        return notify(company=shop.company, recipients=[user], topic="approval.pending", title=title)[0]


def test_inbox_list_unread_count_and_marking_read(shop):
    keeper = shop.user("keeper1", Role.KEEPER)
    api = Api(keeper)
    first, second = _note(shop, keeper, "一"), _note(shop, keeper, "二")
    _note(shop, shop.admin, "not yours")
    assert api.get("/notifications/unread-count").json() == {"unread": 2}
    page = api.get("/notifications").json()
    assert page["count"] == 2 and [n["title"] for n in page["items"]] == ["二", "一"]

    r = api.post(f"/notifications/{first.pk}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert api.get("/notifications/unread-count").json() == {"unread": 1}
    assert [n["id"] for n in api.get("/notifications", {"unread": "true"}).json()["items"]] == [second.pk]
    assert api.post("/notifications/read-all").json() == {"marked": 1}
    assert api.get("/notifications/unread-count").json() == {"unread": 0}


def test_someone_elses_notification_is_not_found(shop):
    note = _note(shop, shop.admin, "admin only")
    r = Api(shop.user("keeper1", Role.KEEPER)).post(f"/notifications/{note.pk}/read")
    assert r.status_code == 404 and r.json()["code"] == "notification.not_found"
    note.refresh_from_db()
    assert note.read_at is None


def test_channel_crud_masks_secrets_and_keeps_them_on_edit(shop, platforms):
    api = Api(shop.admin)
    r = api.post("/channels", {"kind": "dingtalk", "name": "钉钉群", "topics": ["approval.", "alert."],
                               "config": {"url": platforms.url("dingtalk"), "secret": DING_SECRET,
                                          "robot_confirmed": True}})
    assert r.status_code == 201, r.json()
    out = r.json()
    assert out["config"]["secret"] == "****" + DING_SECRET[-4:]
    assert "ding-token-abcdef" not in out["config"]["url"] and out["config"]["url"].endswith("cdef")
    pk = out["id"]
    # the form sends the masked values back: the stored secrets stay
    r = api.patch(f"/channels/{pk}", {"name": "钉钉审批群", "config": out["config"]})
    assert r.status_code == 200, r.json()
    channel = Channel.objects.get(pk=pk)
    assert channel.config["secret"] == DING_SECRET and channel.config["url"] == platforms.url("dingtalk")
    assert channel.name == "钉钉审批群"
    assert [c["id"] for c in api.get("/channels").json()] == [pk]
    assert Event.objects.filter(topic__in=["channel.created", "channel.updated"]).count() == 2
    assert api.delete(f"/channels/{pk}").status_code == 204
    assert not Channel.objects.filter(pk=pk).exists()


def test_bad_channel_config_is_a_4xx_domain_error_and_writes_nothing(shop, settings):
    api = Api(shop.admin)
    cases = [
        ({"kind": "wecom", "name": "w", "config": {}}, "channel.config_invalid", "url"),
        ({"kind": "wecom", "name": "w", "config": {"url": "ftp://x"}}, "channel.config_invalid", "url"),
        ({"kind": "webhook", "name": "h", "config": {"url": "http://h.example/x", "secret": "short"}},
         "channel.config_invalid", "secret"),
        ({"kind": "feishu", "name": "f", "config": {"url": "https://open.feishu.cn/x", "colour": "red"}},
         "channel.config_invalid", "colour"),
        ({"kind": "dingtalk", "name": "d", "config": {"url": "https://oapi.dingtalk.com/robot/send?access_token=t"}},
         "channel.config_invalid", "robot_confirmed"),
    ]
    for body, code, field in cases:
        r = api.post("/channels", body)
        assert r.status_code == 422, (body, r.json())
        assert r.json()["code"] == code and r.json()["data"]["field"] == field, r.json()
    settings.JXC_SMTP = None
    r = api.post("/channels", {"kind": "email", "name": "mail", "config": {}})
    assert r.status_code == 422 and r.json()["code"] == "channel.smtp_not_configured"
    r = api.post("/channels", {"kind": "sms", "name": "x", "config": {}})
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    assert Channel.objects.count() == 0
    api.post("/channels", {"kind": "wecom", "name": "dup", "config": {"url": "https://qyapi.weixin.qq.com/x?key=k"}})
    r = api.post("/channels", {"kind": "wecom", "name": "dup", "config": {"url": "https://qyapi.weixin.qq.com/x?key=k"}})
    assert r.status_code == 409 and r.json()["code"] == "channel.name_taken"


def test_channels_are_for_admins_and_other_companies_channels_are_404(shop, platforms):
    other = Shop("OTHER")
    theirs = Api(other.admin).post("/channels", {"kind": "wecom", "name": "w",
                                                 "config": {"url": platforms.url("wecom")}}).json()
    api = Api(shop.admin)
    for method, path in [("get", f"/channels/{theirs['id']}"), ("patch", f"/channels/{theirs['id']}"),
                         ("delete", f"/channels/{theirs['id']}"), ("post", f"/channels/{theirs['id']}/test"),
                         ("get", f"/channels/{theirs['id']}/deliveries")]:
        r = getattr(api, method)(path)
        assert r.status_code == 404 and r.json()["code"] == "channel.not_found", (method, path)
    assert api.get("/channels").json() == []
    keeper = Api(shop.user("keeper1", Role.KEEPER))
    r = keeper.get("/channels")
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert platforms.hits == []


def test_send_test_message_reports_the_platforms_answer(shop, platforms):
    api = Api(shop.admin)
    good = api.post("/channels", {"kind": "wecom", "name": "good", "config": {"url": platforms.url("wecom")}}).json()
    bad = api.post("/channels", {"kind": "wecom", "name": "bad",
                                 "config": {"url": platforms.url("wecom").replace(WECOM_KEY, "nope")}}).json()
    r = api.post(f"/channels/{good['id']}/test")
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["response"].startswith("HTTP 200, ")
    assert r.json()["elapsed_ms"] >= 0
    r = api.post(f"/channels/{bad['id']}/test")
    body = r.json()
    assert r.status_code == 200 and body["ok"] is False and body["status"] == "failed"
    # the platform's error code and message, its status and timing; never the body of its answer
    assert body["error"] == "93000 invalid webhook url" and body["response"].startswith("HTTP 200, ")
    assert "errcode" not in r.content.decode()
    # a failed test does not mark the channel failing (it is being set up), and it is in the log
    assert Channel.objects.get(pk=bad["id"]).is_failing is False
    log = api.get(f"/channels/{bad['id']}/deliveries").json()
    assert log["count"] == 1 and log["items"][0]["is_test"] is True and log["items"][0]["attempts"] == 1


def test_test_message_of_an_email_channel_needs_an_address(shop, smtp_server):
    api = Api(shop.admin)
    ch = api.post("/channels", {"kind": "email", "name": "mail", "config": {}}).json()
    r = api.post(f"/channels/{ch['id']}/test")
    assert r.status_code == 422 and r.json()["data"]["field"] == "address"  # the admin has no address yet
    shop.admin.email = "me@example.com"
    shop.admin.save()
    r = api.post(f"/channels/{ch['id']}/test", {"address": "someone.else@example.org"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "address"  # only to one's own address
    assert smtp_server.messages == []
    r = api.post(f"/channels/{ch['id']}/test", {"address": "Me@Example.com"})
    assert r.json()["ok"] is True and smtp_server.messages[0]["to"] == ["me@example.com"]
    r = api.post(f"/channels/{ch['id']}/test")
    assert r.json()["ok"] is True and smtp_server.messages[1]["to"] == ["me@example.com"]


def test_delivery_log_filters_by_status(shop, platforms):
    api = Api(shop.admin)
    ch = api.post("/channels", {"kind": "webhook", "name": "h",
                                "config": {"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET}}).json()
    with transaction.atomic():
        notify(company=shop.company, recipients=[shop.admin], topic="alert.x", title="queued")
    assert Delivery.objects.count() == 1
    assert api.get(f"/channels/{ch['id']}/deliveries", {"status": "pending"}).json()["count"] == 1
    assert api.get(f"/channels/{ch['id']}/deliveries", {"status": "sent"}).json()["count"] == 0
    r = api.get(f"/channels/{ch['id']}/deliveries", {"status": "lost"})
    assert r.status_code == 422


def test_an_email_channel_sends_only_from_the_servers_mail_domain(shop, smtp_server):
    api = Api(shop.admin)  # the server sends as jxc@example.com
    for sender in ["ceo@bank.example", "jxc@example.com.evil.example", "x@sub.example.com"]:
        r = api.post("/channels", {"kind": "email", "name": sender, "config": {"from_address": sender}})
        assert r.status_code == 422 and r.json()["data"]["field"] == "from_address", sender
    r = api.post("/channels", {"kind": "email", "name": "mail", "config": {"from_address": "store1@Example.com"}})
    assert r.status_code == 201
    r = api.patch(f"/channels/{r.json()['id']}", {"config": {"from_address": "ceo@bank.example"}})
    assert r.status_code == 422
