"""Channels are no way into the server's own network (server-side request forgery).

The outside world here is DNS: `socket.getaddrinfo` is replaced for made-up names only, so a name can point
at loopback, or change its answer between two look-ups (DNS rebinding). Every connection stays on loopback.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.delivery import dispatch_due
from openjxc.alerts.models import Channel, Delivery
from openjxc.alerts.notify import notify
from openjxc.core import egress
from openjxc.core.models import AuditRecord
from tests.alerts.conftest import LOOPBACK_ALLOWED, WEBHOOK_SECRET
from tests.api.conftest import Api

NOT_PUBLIC = [
    "http://127.0.0.1:8000/admin", "http://127.1.2.3/", "http://localhost:8000/", "http://app.localhost/",
    "http://10.0.0.5/hook", "http://172.16.3.4/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://0.0.0.0:8000/", "http://224.0.0.1/", "http://240.0.0.1/", "http://[::1]:8000/",
    "http://[fe80::1]/", "http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/", "http://[2002:7f00:1::]/",
]


@pytest.fixture
def dns(monkeypatch):
    """Made-up names answered from a table; a list of answers is used one per look-up (the last one repeats)."""
    real = socket.getaddrinfo
    table: dict[str, list[str]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            asked.append(host)
            answers = table[host]
            ip = answers.pop(0) if len(answers) > 1 else answers[0]
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (ip, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    table["asked"] = asked  # type: ignore[assignment]
    return table


def _notify(shop):
    with transaction.atomic():
        notify(company=shop.company, recipients=[shop.admin], topic="alert.low_stock", title="低库存", body="面粉")
    return dispatch_due()


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_a_channel_to_a_non_public_address_is_refused_when_saved(shop, url):
    api = Api(shop.admin)
    audits = AuditRecord.objects.count()
    r = api.post("/channels", {"kind": "webhook", "name": "内网", "config": {"url": url, "secret": WEBHOOK_SECRET}})
    assert r.status_code == 422 and r.json()["code"] == "channel.config_invalid", (url, r.content)
    assert r.json()["data"]["field"] == "url"
    assert not Channel.objects.exists() and AuditRecord.objects.count() == audits


def test_the_robots_post_only_to_their_platforms(shop, settings):
    api = Api(shop.admin)
    for kind, url in [("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=k"),
                      ("dingtalk", "https://hooks.example.com/robot/send?access_token=t"),
                      ("feishu", "https://open.feishu.cn@evil.example/open-apis/bot/v2/hook/x")]:
        r = api.post("/channels", {"kind": kind, "name": kind, "config": {"url": url}})
        assert r.status_code == 422 and r.json()["data"]["field"] == "url", (kind, r.content)
    ok = api.post("/channels", {"kind": "wecom", "name": "企微",
                                "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}})
    assert ok.status_code == 201
    ok = api.post("/channels", {"kind": "feishu", "name": "飞书",
                                "config": {"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"}})
    assert ok.status_code == 201


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time(shop, platforms, dns, settings):
    dns["hooks.example.net"] = ["127.0.0.1"]
    url = platforms.url("webhook").replace("127.0.0.1", "hooks.example.net")
    create_channel(by=shop.admin, kind="webhook", name="erp", config={"url": url, "secret": WEBHOOK_SECRET})
    settings.JXC_WEBHOOK_ALLOW = (frozenset(), ())  # the operator allow-lists nothing
    assert _notify(shop) == {"failed": 1}  # for good: the address will not become public by waiting
    assert platforms.hits == []
    assert Delivery.objects.get().last_error == "the address is not allowed (not a public internet address)"


def test_the_checked_address_is_the_one_connected_to_no_rebinding(shop, platforms, dns, settings):
    # the first answer is the allow-listed receiver, every later one another loopback address that is not allowed
    dns["rebind.example.net"] = ["127.0.0.1", "127.0.0.2"]
    port = platforms.server_address[1]
    create_channel(by=shop.admin, kind="webhook", name="erp",
                   config={"url": f"http://rebind.example.net:{port}/hooks/openjxc", "secret": WEBHOOK_SECRET})
    assert _notify(shop) == {"sent": 1}
    [hit] = platforms.hits
    assert hit["headers"]["Host"] == f"rebind.example.net:{port}"  # the name, although the address was dialled
    assert dns["asked"] == ["rebind.example.net"]  # looked up once, the check and the connection share it
    assert _notify(shop) == {"failed": 1}  # the next look-up answers 127.0.0.2: refused, never dialled
    assert len(platforms.hits) == 1


def test_the_answer_body_is_never_stored_or_shown(shop, platforms):
    platforms.forced.append((500, {"secret": "root:x:0:0", "internal": "db password hunter2"}))
    ch = create_channel(by=shop.admin, kind="webhook", name="erp",
                        config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET})
    r = Api(shop.admin).post(f"/channels/{ch.pk}/test")
    assert r.status_code == 200 and r.json()["ok"] is False and r.json()["error"] == "HTTP 500"
    assert r.json()["response"].startswith("HTTP 500, ") and r.json()["elapsed_ms"] >= 0
    assert "hunter2" not in r.content.decode() and "root:x" not in r.content.decode()
    d = Delivery.objects.get()
    assert "hunter2" not in d.response + d.last_error
    log = Api(shop.admin).get(f"/channels/{ch.pk}/deliveries").content.decode()
    assert "hunter2" not in log


def test_every_network_failure_reads_the_same(shop, platforms, dns):
    closed = _closed_port()
    dns["nowhere.example.net"] = ["127.0.0.1"]
    results = []
    for url in [f"http://127.0.0.1:{closed}/hook", f"http://nowhere.example.net:{closed}/hook",
                "http://no-such-host.invalid/hook"]:
        ch = create_channel(by=shop.admin, kind="webhook", name=url[-30:], config={"url": url, "secret": WEBHOOK_SECRET})
        body = Api(shop.admin).post(f"/channels/{ch.pk}/test").json()
        results.append((body["ok"], body["error"], body["response"]))
    assert results == [(False, "could not connect", "")] * 3  # no "connection refused" against "unknown host"


def test_allow_list_is_read_from_the_environment(monkeypatch):
    from openjxc.config.env import ConfigError, read_env

    monkeypatch.setenv("JXC_WEBHOOK_ALLOW_HOSTS", "hooks.intranet, 10.1.2.0/24,192.168.5.7 ,[fd00::1]")
    names, networks = read_env().webhook_allow
    assert names == {"hooks.intranet"}
    assert ipaddress.ip_address("10.1.2.99") in networks[0] and len(networks) == 3
    monkeypatch.setenv("JXC_WEBHOOK_ALLOW_HOSTS", "http://hooks.intranet/")
    with pytest.raises(ConfigError, match="JXC_WEBHOOK_ALLOW_HOSTS"):
        read_env()


def test_an_allow_listed_internal_host_may_be_used(shop, platforms, settings):
    settings.JXC_WEBHOOK_ALLOW = (frozenset(), ())
    api = Api(shop.admin)
    config = {"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET}
    assert api.post("/channels", {"kind": "webhook", "name": "erp", "config": config}).status_code == 422
    settings.JXC_WEBHOOK_ALLOW = LOOPBACK_ALLOWED
    assert api.post("/channels", {"kind": "webhook", "name": "erp", "config": config}).status_code == 201
    assert _notify(shop) == {"sent": 1}


# ---------------------------------------------------------------- TLS to the checked address


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A test CA and a certificate for hooks.example.net signed by it (openssl)."""
    d = tmp_path_factory.mktemp("tls")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=OpenJXC test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hook.key", "-out", "hook.csr",
        "-subj", "/CN=hooks.example.net")
    (d / "san.ext").write_text("subjectAltName=DNS:hooks.example.net\n")
    run("x509", "-req", "-in", "hook.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "hook.pem", "-days", "2", "-extfile", "san.ext")
    return d


class _Echo(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"host": self.headers["Host"], "sni": getattr(self.connection, "sni", None)}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def https_receiver(tls):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls / "hook.pem", tls / "hook.key")
    seen = []
    ctx.sni_callback = lambda sock, name, _ctx: seen.append(name)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.sni_seen = seen
    yield server
    server.shutdown()
    server.server_close()


def test_https_to_the_checked_address_keeps_the_host_name_for_sni_and_the_certificate(https_receiver, tls, dns,
                                                                                       settings):
    settings.JXC_WEBHOOK_ALLOW = LOOPBACK_ALLOWED
    port = https_receiver.server_address[1]
    dns["hooks.example.net"] = ["127.0.0.1"]
    trust = ssl.create_default_context(cafile=str(tls / "ca.pem"))
    answer = egress.post(f"https://hooks.example.net:{port}/x", content=b"{}", headers={}, timeout=5, verify=trust)
    assert answer.status_code == 200
    assert json.loads(answer.text)["host"] == f"hooks.example.net:{port}"
    assert https_receiver.sni_seen == ["hooks.example.net"]
    # the same server under a name its certificate does not carry: the certificate check refuses it
    dns["other.example.net"] = ["127.0.0.1"]
    with pytest.raises(egress.Unreachable):
        egress.post(f"https://other.example.net:{port}/x", content=b"{}", headers={}, timeout=5, verify=trust)
