"""The outside world of the notification tests: a real SMTP server (aiosmtpd) and a real HTTP server on
loopback that behaves like WeCom, DingTalk, Feishu and a signed-webhook receiver.

The HTTP server checks each platform's payload shape and verifies signatures on its own, written from
the platforms' documentation (not by calling our signing code), and answers with the platform's error
codes when a key, token, signature or timestamp is wrong.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from openjxc.core import clock

WECOM_KEY = "wecom-key-0123456789"
DING_TOKEN = "ding-token-abcdef"
DING_SECRET = "SECd1e2f3a4b5c6d7e8f9"
FEISHU_HOOK = "feishu-hook-7f9e"
FEISHU_SECRET = "feishu-secret-xyz123"
WEBHOOK_SECRET = "webhook-secret-0123456789"


class Platforms(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[dict] = []  # every request: platform, accepted, payload
        self.forced: list[tuple[int, dict]] = []  # answers to give next, instead of checking
        self.now = lambda: clock.now().timestamp()  # the platform's clock (the tests' fake clock by default)
        self.lock = threading.Lock()
        self.delay = 0.0

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def accepted(self, platform=None):
        return [h for h in self.hits if h["ok"] and (platform is None or h["platform"] == platform)]

    def url(self, kind):
        return {
            "wecom": f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{self.base}/robot/send?access_token={DING_TOKEN}",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/{FEISHU_HOOK}",
            "webhook": f"{self.base}/hooks/openjxc",
        }[kind]


class _Handler(BaseHTTPRequestHandler):
    server: Platforms

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query)
        if self.server.delay:
            time.sleep(self.server.delay)
        if parts.path == "/cgi-bin/webhook/send":
            platform, (status, answer) = "wecom", self._wecom(query, raw)
        elif parts.path == "/robot/send":
            platform, (status, answer) = "dingtalk", self._dingtalk(query, raw)
        elif parts.path.startswith("/open-apis/bot/v2/hook/"):
            platform, (status, answer) = "feishu", self._feishu(parts.path.rsplit("/", 1)[1], raw)
        elif parts.path == "/hooks/openjxc":
            platform, (status, answer) = "webhook", self._webhook(raw)
        else:
            platform, status, answer = "?", 404, {"error": "not found"}
        with self.server.lock:
            forced = self.server.forced.pop(0) if self.server.forced else None
            if forced is not None:
                status, answer = forced
            ok = status == 200 and (answer.get("errcode", answer.get("code", 0)) == 0)
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            self.server.hits.append({"platform": platform, "ok": ok, "payload": payload, "answer": answer,
                                     "headers": dict(self.headers), "query": query})
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # each platform, as its documentation describes it (specs.md §2)

    def _wecom(self, query, raw):
        if query.get("key") != [WECOM_KEY]:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        p = json.loads(raw)
        if p.get("msgtype") == "markdown":
            content = p["markdown"]["content"]
            if not isinstance(content, str) or len(content.encode()) > 4096:
                return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        elif p.get("msgtype") == "text":
            if len(p["text"]["content"].encode()) > 2048:
                return 200, {"errcode": 40058, "errmsg": "content exceed max length"}
        else:
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, query, raw):
        if query.get("access_token") != [DING_TOKEN]:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        ts = query.get("timestamp", [""])[0]
        sign = query.get("sign", [""])[0]  # parse_qs has undone the URL-encoding
        if not ts.isdigit() or abs(int(ts) - self.server.now() * 1000) > 3600 * 1000:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
        expected = base64.b64encode(
            hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(sign, expected):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        p = json.loads(raw)
        if p.get("msgtype") != "markdown" or not p["markdown"].get("title") or not p["markdown"].get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, hook, raw):
        if hook != FEISHU_HOOK:
            return 404, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        p = json.loads(raw)
        ts, sign = p.get("timestamp"), p.get("sign")
        if not isinstance(ts, str) or not ts.isdigit() or abs(int(ts) - self.server.now()) > 3600:
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        expected = base64.b64encode(
            hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
        if sign != expected:
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        if p.get("msg_type") != "post":
            return 200, {"code": 9499, "msg": "Bad Request"}
        post = p["content"]["post"]["zh_cn"]
        if not post.get("title") or not isinstance(post.get("content"), list):
            return 200, {"code": 9499, "msg": "Bad Request"}
        if len(raw) > 20 * 1024:
            return 200, {"code": 9499, "msg": "request body too large"}
        return 200, {"code": 0, "msg": "success", "data": {}, "StatusCode": 0, "StatusMessage": "success"}

    def _webhook(self, raw):
        ts = self.headers.get("X-OpenJXC-Timestamp", "")
        sig = self.headers.get("X-OpenJXC-Signature", "")
        if not ts.isdigit() or abs(int(ts) - self.server.now()) > 300:
            return 401, {"error": "stale timestamp"}
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, expected):
            return 401, {"error": "bad signature"}
        p = json.loads(raw)
        if not {"id", "topic", "title", "body", "link"} <= set(p):
            return 400, {"error": "bad payload"}
        return 200, {"received": True}


LOOPBACK_ALLOWED = (frozenset(), (ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
def platforms(settings):
    """The platforms on loopback, which the server's operator allow-listed (JXC_WEBHOOK_ALLOW_HOSTS=127.0.0.1):
    the robot channels may post to it as they would to their relay."""
    settings.JXC_WEBHOOK_ALLOW = LOOPBACK_ALLOWED
    server = Platforms()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nowhere.invalid"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "raw": envelope.original_content or envelope.content})
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; JXC_SMTP points at it."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    settings.JXC_SMTP = {"host": "127.0.0.1", "port": port, "username": "", "password": "", "starttls": False,
                         "ssl": False, "from_address": "jxc@example.com"}
    yield inbox
    controller.stop()


class FakeClock:
    def __init__(self, start):
        self.at = start
        clock.freeze(start)

    def advance(self, **kw):
        self.at += dt.timedelta(**kw)
        clock.freeze(self.at)


@pytest.fixture
def fake_clock():
    c = FakeClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    yield c
    clock.freeze(None)
