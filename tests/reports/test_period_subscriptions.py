"""Report subscriptions end to end, through the worker's periodic task (`reports.send_period_reports`), with a real
SMTP server (aiosmtpd) and a real HTTP server on loopback standing in for WeCom (markdown, upload_media, file
message), DingTalk and Feishu (tests/alerts/conftest.py; the WeCom upload is added here, written from WeCom's
documentation: multipart field `media`, type=file, 5 B – 20 MB, answering a media_id).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import threading
import urllib.parse
from http.server import ThreadingHTTPServer

import openpyxl
import pypdf
import pytest

from openjxc.alerts import channel_services, delivery, engine
from openjxc.alerts.models import Channel, Notification
from openjxc.alerts.rule_models import AlertKind
from openjxc.core import clock
from openjxc.core.errors import Conflict, NotFound, ValidationFailed
from openjxc.core.models import Event
from openjxc.reports.models import ReportDelivery, ReportDeliveryStatus
from openjxc.reports.subscriptions import subscribe_report, unsubscribe_report
from openjxc.reports.tasks import send_period_reports
from tests.alerts.conftest import (  # noqa: F401 - fixtures
    DING_SECRET,
    FEISHU_SECRET,
    LOOPBACK_ALLOWED,
    WECOM_KEY,
    Platforms,
    _Handler,
    smtp_server,
)
from tests.conftest import Shop


class _WeComFiles(_Handler):
    def do_POST(self):
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != "/cgi-bin/webhook/upload_media":
            return super().do_POST()
        query = urllib.parse.parse_qs(parts.query)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer, upload = 200, {"errcode": 0, "errmsg": "ok", "type": "file", "created_at": "1"}, None
        if query.get("key") != [WECOM_KEY]:
            answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        elif query.get("type") != ["file"]:
            answer = {"errcode": 40004, "errmsg": "invalid media type"}
        else:
            msg = email.message_from_bytes(b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n"
                                           + raw, policy=email.policy.HTTP)
            media = [p for p in msg.iter_parts() if p.get_param("name", header="content-disposition") == "media"]
            data = media[0].get_payload(decode=True) if media else b""
            if not media or not media[0].get_filename() or not 5 <= len(data) <= 20 * 1024 * 1024:
                answer = {"errcode": 40006, "errmsg": "invalid media size"}
            else:
                with self.server.lock:
                    media_id = f"media-{len(self.server.files) + 1}"
                    self.server.files[media_id] = (media[0].get_filename(), data)
                answer["media_id"] = media_id
                upload = media_id
        with self.server.lock:
            self.server.hits.append({"platform": "wecom-upload", "ok": upload is not None, "payload": upload,
                                     "answer": answer, "headers": dict(self.headers), "query": query})
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def _wecom(self, query, raw):
        p = json.loads(raw)
        if p.get("msgtype") == "file" and query.get("key") == [WECOM_KEY]:
            known = p["file"].get("media_id") in self.server.files
            return 200, {"errcode": 0, "errmsg": "ok"} if known else {"errcode": 40007, "errmsg": "invalid media_id"}
        return super()._wecom(query, raw)


class Robots(Platforms):
    def __init__(self):
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _WeComFiles)
        self.hits, self.forced, self.files = [], [], {}
        self.now = lambda: clock.now().timestamp()
        self.lock = threading.Lock()
        self.delay = 0.0


@pytest.fixture
def robots(settings):
    settings.JXC_WEBHOOK_ALLOW = LOOPBACK_ALLOWED
    server = Robots()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def channels(admin, robots) -> dict[str, Channel]:
    return {
        "email": channel_services.create_channel(by=admin, kind="email", name="邮件", config={}),
        "wecom": channel_services.create_channel(by=admin, kind="wecom", name="老板群",
                                                 config={"url": robots.url("wecom")}),
        "dingtalk": channel_services.create_channel(by=admin, kind="dingtalk", name="钉钉群", config={
            "url": robots.url("dingtalk"), "secret": DING_SECRET, "robot_confirmed": True}),
        "feishu": channel_services.create_channel(by=admin, kind="feishu", name="飞书群", config={
            "url": robots.url("feishu"), "secret": FEISHU_SECRET}),
    }


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(r) for r in wb[title].iter_rows(values_only=True)]


@pytest.mark.django_db(transaction=True)
def test_monthly_report_through_every_channel_once(story, smtp_server, robots, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "zh-hans"
    s = story
    admin = s.shop.admin
    admin.email = "boss@example.com"
    admin.save(update_fields=["email"])
    clock.freeze(utc(2026, 3, 20, 4))
    chans = channels(admin, robots)
    for ch in chans.values():
        subscribe_report(by=admin, kind="month", channel=ch.pk)
    with pytest.raises(Conflict):
        subscribe_report(by=admin, kind="month", channel=chans["email"].pk)

    clock.freeze(utc(2026, 3, 31, 23, 59))  # 07:59 on 1 April in Shanghai: not yet
    send_period_reports.call_local()
    assert ReportDelivery.objects.count() == 0 and robots.hits == [] and smtp_server.messages == []

    clock.freeze(utc(2026, 4, 1, 0, 0))  # 08:00 on 1 April in Shanghai: March's report goes out
    send_period_reports.call_local()
    rows = list(ReportDelivery.objects.order_by("id"))
    assert [(r.period_start, r.period_end, r.status, r.attempts) for r in rows] == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), ReportDeliveryStatus.SENT, 1)] * 4

    # email: the summary, the PDF and the workbook
    [mail] = smtp_server.messages
    assert mail["to"] == ["boss@example.com"]
    msg = email.message_from_bytes(mail["raw"], policy=email.policy.default)
    assert "经营月报 · 2026-03" in msg["Subject"]
    files = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
    assert sorted(files) == ["monthly-report-20260301.pdf", "monthly-report-20260301.xlsx"]
    text = pdf_text(files["monthly-report-20260301.pdf"])
    for words in ("经营月报", "变化最大的指标", "销售与客流", "毛利与毛利率", "销售收入（不含税）", "306.00", "121.20",
                  "39.61%"):
        assert words in text, words
    sales = sheet_rows(files["monthly-report-20260301.xlsx"], "销售与客流")
    assert ("销售收入（不含税）", 306, 0, 306) == sales[1][:4]
    # February sold nothing: revenue is told first, with where it came from
    assert "销售收入（不含税） +306.00：粮油 分类，总仓" in msg.get_body(("plain",)).get_content()

    # WeCom: the summary as markdown, the workbook uploaded and sent as a file message
    wecom = [h for h in robots.hits if h["platform"] in ("wecom", "wecom-upload")]
    assert [(h["platform"], h["ok"]) for h in wecom] == [("wecom", True), ("wecom-upload", True), ("wecom", True)]
    assert "销售收入（不含税） +306.00：粮油 分类，总仓" in wecom[0]["payload"]["markdown"]["content"]
    assert wecom[2]["payload"] == {"msgtype": "file", "file": {"media_id": "media-1"}}
    name, data = robots.files["media-1"]
    assert name == "monthly-report-20260301.xlsx" and sheet_rows(data, "销售与客流")[1][1] == 306
    # DingTalk and Feishu: the summary with a link to the report page
    [ding] = robots.accepted("dingtalk")
    assert "/reports/monthly/?start=2026-03-01" in ding["payload"]["markdown"]["text"]
    [feishu] = robots.accepted("feishu")
    post = feishu["payload"]["content"]["post"]["zh_cn"]
    assert post["content"][-1][0]["href"].endswith("/reports/monthly/?start=2026-03-01")

    # the worker runs again in the same period (and an hour later): nothing more is sent
    hits = len(robots.hits)
    send_period_reports.call_local()
    clock.freeze(utc(2026, 4, 1, 1, 0))
    send_period_reports.call_local()
    assert len(robots.hits) == hits and len(smtp_server.messages) == 1
    assert ReportDelivery.objects.filter(attempts=1, status="sent").count() == 4


@pytest.mark.django_db
def test_a_failing_robot_is_retried_then_raised_as_a_channel_alert(robots, settings):
    shop = Shop()
    admin = shop.admin
    engine.save_rule(by=admin, kind=AlertKind.CHANNEL_FAILING)
    clock.freeze(utc(2026, 3, 4, 4))
    try:
        ding = channel_services.create_channel(by=admin, kind="dingtalk", name="钉钉群", config={
            "url": robots.url("dingtalk"), "secret": DING_SECRET, "robot_confirmed": True})
        sub = subscribe_report(by=admin, kind="week", channel=ding.pk)
        robots.forced = [(500, {})] * delivery.MAX_ATTEMPTS
        at = utc(2026, 3, 9, 0, 0)  # Monday 08:00 in Shanghai: the week of 2 March is due
        results, waits = [], []
        for _n in range(delivery.MAX_ATTEMPTS):
            clock.freeze(at)
            send_period_reports.call_local()
            send_period_reports.call_local()  # a second run before the retry is due sends nothing
            row = ReportDelivery.objects.get(subscription=sub)
            results.append(row.status)
            if row.status == "retrying":
                waits.append(int((row.next_attempt_at - at).total_seconds()))
                at = row.next_attempt_at
        assert results == ["retrying"] * (delivery.MAX_ATTEMPTS - 1) + ["failed"]
        row = ReportDelivery.objects.get(subscription=sub)
        assert (row.attempts, row.period_start, row.last_error) == (delivery.MAX_ATTEMPTS, dt.date(2026, 3, 2),
                                                                     "HTTP 500")
        assert len(robots.hits) == delivery.MAX_ATTEMPTS and not robots.accepted()
        assert waits == [delivery.backoff(n) for n in range(1, delivery.MAX_ATTEMPTS)] == [
            30, 60, 120, 240, 480, 960, 1920]  # the channels' back-off
        ding.refresh_from_db()
        assert ding.is_failing and "HTTP 500" in ding.last_error
        assert Event.objects.filter(topic="channel.failing", company=shop.company).count() == 1
        assert Notification.objects.filter(recipient=admin, topic="channel.failing").exists()
        raised = engine.scan_company(shop.company.pk).raised
        assert [(a.kind, a.data["channel"]) for a in raised] == [(AlertKind.CHANNEL_FAILING, "钉钉群")]
        # given up: later runs of the same week send nothing more
        clock.freeze(at + dt.timedelta(days=1))
        send_period_reports.call_local()
        assert len(robots.hits) == delivery.MAX_ATTEMPTS
    finally:
        clock.freeze(None)


@pytest.mark.django_db
def test_subscription_refusals(robots):
    shop = Shop()
    ding = channel_services.create_channel(by=shop.admin, kind="dingtalk", name="钉钉群", config={
        "url": robots.url("dingtalk"), "secret": DING_SECRET, "robot_confirmed": True})
    with pytest.raises(ValidationFailed):
        subscribe_report(by=shop.admin, kind="day", channel=ding.pk)
    with pytest.raises(NotFound):
        subscribe_report(by=shop.admin, kind="week", channel=ding.pk + 999)
    other = Shop("OTHER")
    with pytest.raises(NotFound):  # another company's channel
        subscribe_report(by=other.admin, kind="week", channel=ding.pk)
    sub = subscribe_report(by=shop.admin, kind="week", channel=ding.pk)
    with pytest.raises(NotFound):  # not theirs
        unsubscribe_report(by=other.admin, pk=sub.pk)
    unsubscribe_report(by=shop.admin, pk=sub.pk)
    assert not ReportDelivery.objects.exists()
