"""What each channel kind needs (config), what it sends (payload, signature) and how to read the answer.

Formats and signing follow /work/shared/reference/specs.md §2:
- WeCom group robot: markdown message, the key in the URL is the only secret.
- DingTalk custom robot: markdown message; 加签 mode appends `timestamp` (ms) and
  `sign = urlencode(base64(HMAC-SHA256(secret, f"{ts}\\n{secret}")))` to the URL.
- Feishu custom bot: `post` (rich text) message; signature mode puts `timestamp` (seconds, string) and
  `sign = base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b""))` into the JSON body.
- Generic webhook: our JSON; headers `X-OpenJXC-Timestamp` (seconds) and
  `X-OpenJXC-Signature: sha256=<hex HMAC-SHA256(secret, f"{ts}.".encode() + body)>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from openjxc.alerts.models import ChannelKind
from openjxc.core import egress
from openjxc.core.errors import DomainError

HTTP_TIMEOUT = 10.0
SNIPPET = 500
PLATFORM_MESSAGE = 200  # of a robot platform's error message, kept in the delivery's error

# the robots post only to their platform (or to a host the server's operator allow-listed, e.g. a relay)
OFFICIAL_HOSTS = {
    ChannelKind.WECOM: ("qyapi.weixin.qq.com",),
    ChannelKind.DINGTALK: ("oapi.dingtalk.com",),
    ChannelKind.FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}

# (window seconds, most calls in the window) per robot, from the platforms' documented limits
RATE_LIMITS = {
    ChannelKind.WECOM: [(60, 20)],
    ChannelKind.DINGTALK: [(60, 20)],
    ChannelKind.FEISHU: [(1, 5), (60, 100)],
    ChannelKind.EMAIL: [],
}
DEFAULT_WEBHOOK_RATE = 120  # per minute, unless the channel's config says otherwise

# error codes in the platforms' answers that mean "too many messages": back off, don't hammer
RATE_LIMIT_CODES = {ChannelKind.WECOM: {45009}, ChannelKind.DINGTALK: {130101}, ChannelKind.FEISHU: {11232}}
RATE_LIMIT_BACKOFF = {ChannelKind.DINGTALK: 600}  # DingTalk throttles a robot for 10 minutes
DEFAULT_RATE_LIMIT_BACKOFF = 60


class ChannelConfigInvalid(DomainError):
    code = "channel.config_invalid"
    http_status = 422
    message = gettext_lazy("The channel settings are not valid: %(field)s %(reason)s")


class SmtpNotConfigured(DomainError):
    code = "channel.smtp_not_configured"
    http_status = 422
    message = gettext_lazy("Email cannot be sent: the server has no SMTP settings (JXC_SMTP_URL).")


@dataclass
class Outcome:
    """What one send attempt gave."""

    ok: bool
    error: str = ""
    response: str = ""  # what the answer was ("HTTP 200, 35 ms"), never the answer's body
    min_delay: int = 0  # seconds to wait at least before the next try (rate limited)
    permanent: bool = False
    elapsed_ms: int | None = None


@dataclass
class Message:
    delivery_id: int
    topic: str
    title: str
    body: str
    link: str  # absolute
    data: dict
    company_code: str
    address: str = ""


# -- configuration ---------------------------------------------------------------------------------------

FIELDS = {  # kind -> (required, optional, secret fields)
    ChannelKind.EMAIL: ((), ("from_address", "subject_prefix"), ()),
    ChannelKind.WECOM: (("url",), (), ("url",)),
    ChannelKind.DINGTALK: (("url",), ("secret", "keyword", "robot_confirmed"), ("url", "secret")),
    ChannelKind.FEISHU: (("url",), ("secret", "keyword"), ("url", "secret")),
    ChannelKind.WEBHOOK: (("url", "secret"), ("rate_per_minute",), ("url", "secret")),
}


def validate_config(kind: str, config: dict) -> dict:
    """The cleaned config of a channel of `kind`; ChannelConfigInvalid names the first bad field."""
    if kind not in ChannelKind.values:
        raise ChannelConfigInvalid(field="kind", reason=_("is not a known channel kind"))
    if not isinstance(config, dict):
        raise ChannelConfigInvalid(field="config", reason=_("must be an object"))
    required, optional, _secret = FIELDS[kind]
    unknown = sorted(set(config) - set(required) - set(optional))
    if unknown:
        raise ChannelConfigInvalid(field=unknown[0], reason=_("is not a setting of this channel kind"))
    out = {}
    for name, value in config.items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store NUL in JSON text
            raise ChannelConfigInvalid(field=name, reason=_("must not contain NUL characters"))
    for name in required:
        value = config.get(name)
        if value in (None, ""):
            raise ChannelConfigInvalid(field=name, reason=_("is required"))
    for name, value in config.items():
        if name == "url":
            out[name] = _check_url(kind, str(value).strip())
        elif name == "robot_confirmed":
            if not isinstance(value, bool):
                raise ChannelConfigInvalid(field=name, reason=_("must be true or false"))
            out[name] = value
        elif name == "rate_per_minute":
            if value in (None, ""):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6000:
                raise ChannelConfigInvalid(field=name, reason=_("must be a whole number from 1 to 6000"))
            out[name] = value
        elif name == "from_address":
            value = str(value or "").strip()
            if value and ("@" not in value or " " in value):
                raise ChannelConfigInvalid(field=name, reason=_("is not an email address"))
            domain = sender_domain()
            if value and domain and value.rpartition("@")[2].lower() != domain:
                # the server's mail domain only: a company must not send as someone else's address
                raise ChannelConfigInvalid(field=name, reason=_("must be an address at %(domain)s") % {"domain": domain})
            out[name] = value
        else:
            if not isinstance(value, str):
                raise ChannelConfigInvalid(field=name, reason=_("must be text"))
            if len(value) > 500:
                raise ChannelConfigInvalid(field=name, reason=_("is too long"))
            out[name] = value.strip()
    if kind == ChannelKind.WEBHOOK and len(out["secret"]) < 16:
        raise ChannelConfigInvalid(field="secret", reason=_("must be at least 16 characters"))
    if kind == ChannelKind.EMAIL and not settings.JXC_SMTP:
        raise SmtpNotConfigured()
    return out


def sender_domain() -> str:
    """The domain of the server's own sender address (JXC_SMTP_URL from=…); '' without email."""
    smtp = settings.JXC_SMTP
    return smtp["from_address"].rpartition("@")[2].lower() if smtp else ""


def _check_url(kind: str, url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ChannelConfigInvalid(field="url", reason=_("has a port that is not a number")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise ChannelConfigInvalid(field="url", reason=_("must be an http:// or https:// address"))
    if parts.username or parts.password:
        raise ChannelConfigInvalid(field="url", reason=_("must not contain a user name or password"))
    host = parts.hostname
    official = OFFICIAL_HOSTS.get(kind)
    if official and host not in official and not egress.allow_listed(host):
        raise ChannelConfigInvalid(field="url", reason=_("must be an address of the platform (%(hosts)s)")
                                   % {"hosts": ", ".join(official)})
    if egress.host_refused(host):
        raise ChannelConfigInvalid(field="url", reason=_(
            "must be a public internet address (an internal host needs the server administrator's "
            "JXC_WEBHOOK_ALLOW_HOSTS)"))
    return url


def mask_config(kind: str, config: dict) -> dict:
    """The config as shown to people: secrets reduced to their last four characters."""
    secret = FIELDS.get(kind, ((), (), ()))[2]
    return {k: (mask(v, url=(k == "url")) if k in secret else v) for k, v in config.items()}


def mask(value: str, *, url: bool = False) -> str:
    if not value:
        return ""
    if url:  # the key/token lives in the query (WeCom, DingTalk) or the last path segment (Feishu)
        parts = urllib.parse.urlsplit(value)
        query = urllib.parse.urlencode([(k, mask(v)) for k, v in urllib.parse.parse_qsl(parts.query)], safe="*")
        path = parts.path
        if not parts.query and "/" in path.strip("/"):
            head, _sep, last = path.rpartition("/")
            path = f"{head}/{mask(last)}"
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    return "****" + value[-4:] if len(value) > 8 else "****"


def merge_config(kind: str, old: dict, new: dict) -> dict:
    """An edit's config: a secret sent back masked (unchanged in the form) keeps the stored value."""
    secret = FIELDS.get(kind, ((), (), ()))[2]
    merged = dict(new)
    for k in secret:
        if k in merged and k in old and merged[k] == mask(old[k], url=(k == "url")):
            merged[k] = old[k]
    return merged


def rate_limits(channel) -> list[tuple[int, int]]:
    if channel.kind == ChannelKind.WEBHOOK:
        return [(60, int(channel.config.get("rate_per_minute") or DEFAULT_WEBHOOK_RATE))]
    return RATE_LIMITS.get(channel.kind, [])


# -- signing ---------------------------------------------------------------------------------------------

def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


# -- payloads --------------------------------------------------------------------------------------------

def _cut(text: str, max_bytes: int) -> str:
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 3].decode(errors="ignore") + "…"


def _with_keyword(text: str, keyword: str) -> str:
    # keyword security mode: the platform refuses messages that do not contain the keyword
    return text if not keyword or keyword in text else f"[{keyword}] {text}"


def build_request(channel, msg: Message, *, now_ts: float) -> tuple[str, dict, bytes]:
    """(url, headers, body) of the HTTP call for a robot/webhook channel."""
    cfg = channel.config
    url = cfg["url"]
    headers = {"Content-Type": "application/json; charset=utf-8"}
    open_label = pgettext("notification link", "Open")
    if channel.kind == ChannelKind.WECOM:
        text = f"**{msg.title}**\n{msg.body}" + (f"\n[{open_label}]({msg.link})" if msg.link else "")
        payload = {"msgtype": "markdown", "markdown": {"content": _cut(text, 4096)}}
    elif channel.kind == ChannelKind.DINGTALK:
        text = _with_keyword(f"#### {msg.title}\n\n{msg.body}", cfg.get("keyword", ""))
        if msg.link:
            text += f"\n\n[{open_label}]({msg.link})"
        payload = {"msgtype": "markdown", "markdown": {"title": msg.title, "text": _cut(text, 18000)}}
        if cfg.get("secret"):
            ts = int(now_ts * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(cfg['secret'], ts)}"
    elif channel.kind == ChannelKind.FEISHU:
        title = _with_keyword(msg.title, cfg.get("keyword", ""))
        content = [[{"tag": "text", "text": _cut(msg.body, 15000)}]] if msg.body else []
        if msg.link:
            content.append([{"tag": "a", "text": open_label, "href": msg.link}])
        payload = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": content}}}}
        if cfg.get("secret"):
            ts = int(now_ts)
            payload["timestamp"] = str(ts)
            payload["sign"] = feishu_sign(cfg["secret"], ts)
    elif channel.kind == ChannelKind.WEBHOOK:
        payload = {"id": msg.delivery_id, "company": msg.company_code, "topic": msg.topic, "title": msg.title,
                   "body": msg.body, "link": msg.link, "data": msg.data}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        ts = int(now_ts)
        headers.update({"X-OpenJXC-Timestamp": str(ts), "X-OpenJXC-Delivery": str(msg.delivery_id),
                        "X-OpenJXC-Topic": msg.topic,
                        "X-OpenJXC-Signature": webhook_signature(cfg["secret"], ts, body)})
        return url, headers, body
    else:
        raise ValueError(channel.kind)
    return url, headers, json.dumps(payload, ensure_ascii=False).encode()


def interpret(kind: str, status_code: int, text: str) -> Outcome:
    """Read a platform's HTTP answer: success, a retryable error, or a rate limit. Only the status (and a robot
    platform's error code and message) is kept: the body of a webhook's answer is never stored or shown."""
    snippet = f"HTTP {status_code}"
    try:
        answer = json.loads(text) if text else None
    except ValueError:
        answer = None
    if status_code == 429:
        return Outcome(False, "HTTP 429", snippet, min_delay=RATE_LIMIT_BACKOFF.get(kind, DEFAULT_RATE_LIMIT_BACKOFF))
    if kind == ChannelKind.WEBHOOK:
        if 200 <= status_code < 300:
            return Outcome(True, response=snippet)
        return Outcome(False, f"HTTP {status_code}", snippet)
    code = None
    if isinstance(answer, dict):
        if kind == ChannelKind.FEISHU:
            code = answer.get("code", answer.get("StatusCode"))
        else:
            code = answer.get("errcode")
    if status_code >= 300 and code in (None, 0):
        return Outcome(False, f"HTTP {status_code}", snippet)
    if code is None:
        return Outcome(False, _("unexpected answer (HTTP %(status)s)") % {"status": status_code}, snippet)
    if code == 0:
        return Outcome(True, response=snippet)
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    error = f"{code} {str(message)[:PLATFORM_MESSAGE]}".strip()
    if code in RATE_LIMIT_CODES.get(kind, ()):
        return Outcome(False, error, snippet, min_delay=RATE_LIMIT_BACKOFF.get(kind, DEFAULT_RATE_LIMIT_BACKOFF))
    return Outcome(False, error, snippet)


# -- sending ---------------------------------------------------------------------------------------------

def send(channel, msg: Message, *, now_ts: float) -> Outcome:
    """One attempt to deliver `msg` through `channel`; never raises for the outside world's failures."""
    if channel.kind == ChannelKind.EMAIL:
        return _send_email(channel, msg)
    url, headers, body = build_request(channel, msg, now_ts=now_ts)
    try:
        answer = egress.post(url, content=body, headers=headers, timeout=HTTP_TIMEOUT)
    except egress.AddressRefused:
        return Outcome(False, _("the address is not allowed (not a public internet address)"), permanent=True)
    except egress.Unreachable:
        return Outcome(False, _("could not connect"))
    outcome = interpret(channel.kind, answer.status_code, answer.text)
    outcome.response = f"{outcome.response}, {answer.elapsed_ms} ms"
    outcome.elapsed_ms = answer.elapsed_ms
    return outcome


def smtp_backend() -> EmailBackend:
    smtp = settings.JXC_SMTP
    return EmailBackend(host=smtp["host"], port=smtp["port"], username=smtp["username"] or None,
                        password=smtp["password"] or None, use_tls=smtp["starttls"], use_ssl=smtp["ssl"],
                        timeout=HTTP_TIMEOUT, fail_silently=False)


def _send_email(channel, msg: Message) -> Outcome:
    smtp = settings.JXC_SMTP
    if not smtp:
        return Outcome(False, str(SmtpNotConfigured().render_message()))
    if not msg.address:
        return Outcome(False, _("no email address"), permanent=True)
    prefix = channel.config.get("subject_prefix", "")
    subject = f"{prefix} {msg.title}".strip() if prefix else msg.title
    text = msg.body + (f"\n\n{msg.link}" if msg.link else "")
    sender = channel.config.get("from_address") or smtp["from_address"]
    email = EmailMessage(subject=subject.replace("\n", " "), body=text, from_email=sender, to=[msg.address],
                         connection=smtp_backend(), headers={"X-OpenJXC-Topic": msg.topic})
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, f"recipient refused: {exc.recipients}"[:SNIPPET], permanent=True)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:SNIPPET])
    return Outcome(True, response="250 accepted")
