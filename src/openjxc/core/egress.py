"""Outbound HTTP to addresses people typed (notification channels): public addresses only.

A company administrator sets a channel's URL; without care, the server would post to its own loopback, the
office network or a cloud metadata service for them (server-side request forgery). So every send:

1. resolves the host once and refuses when any of its addresses is loopback, private, link-local (cloud
   metadata), shared, multicast, reserved or unspecified, unless the server's operator allow-listed the host or
   the network (JXC_WEBHOOK_ALLOW_HOSTS, docs/security.md);
2. connects to exactly the address it checked (a second DNS answer cannot point it elsewhere: no rebinding),
   with the Host header and, for https, the TLS server name (SNI) and certificate check of the real host name;
3. never follows redirects, never uses proxies from the environment, reads at most READ_LIMIT bytes of answer.

What the caller learns is the status, the time taken and a small part of the answer it asked for; every
network failure reads the same ("could not connect"), so the channel test is no port scanner.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

from django.conf import settings

READ_LIMIT = 64 * 1024  # a robot's JSON answer is a few hundred bytes


class AddressRefused(Exception):
    """The host is, or resolves to, an address outside the public internet and is not allow-listed."""


class Unreachable(Exception):
    """Any failure to resolve, connect, or read: one kind, one message."""


@dataclass
class Answer:
    status_code: int
    text: str  # at most READ_LIMIT bytes of the body, decoded
    elapsed_ms: int


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address of the public internet (not loopback, private, link-local, shared, reserved…)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not is_public(inner):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback
                                 or ip.is_link_local or ip.is_private)


def allow_listed(host: str, ip=None) -> bool:
    """The operator allow-listed this host name, or a network holding `ip` (settings.JXC_WEBHOOK_ALLOW)."""
    names, networks = settings.JXC_WEBHOOK_ALLOW
    if host.lower().rstrip(".") in names:
        return True
    if ip is None:
        try:
            ip = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
    return any(ip.version == net.version and ip in net for net in networks)


LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def host_refused(host: str) -> bool:
    """Refuse at once (when a channel is saved) what is visibly not public: an IP literal outside the public
    internet, or a local name. Names are resolved, and checked again, at every send."""
    host = host.lower().rstrip(".")
    if allow_listed(host):
        return False
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not is_public(ip)


def resolve(host: str, port: int) -> str:
    """The one address to connect to: every address the name has must be public (or allow-listed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unreachable() from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not is_public(ip) and not allow_listed(host, ip):
            raise AddressRefused(str(ip))
        addresses.append(str(ip))
    if not addresses:
        raise Unreachable()
    return addresses[0]


def post(url: str, *, content: bytes, headers: dict, timeout: float, verify=True) -> Answer:
    """POST `content` to `url` at the address checked by `resolve`; raise AddressRefused or Unreachable."""
    import httpx  # here: ~17 MB with what it pulls in, which a server process that sends nothing need not hold

    target = httpx.URL(url)
    if target.scheme not in ("http", "https") or not target.host:
        raise AddressRefused(url)
    host = target.host
    address = resolve(host, target.port or (443 if target.scheme == "https" else 80))
    pinned = target.copy_with(host=address)
    headers = {**headers, "Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=verify) as client:
            with client.stream("POST", pinned, content=content, headers=headers, extensions=extensions) as resp:
                body = b""
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) >= READ_LIMIT:
                        break
                encoding = resp.encoding or "utf-8"
    except (httpx.HTTPError, OSError):
        raise Unreachable() from None
    elapsed = int((time.monotonic() - started) * 1000)
    return Answer(resp.status_code, body[:READ_LIMIT].decode(encoding, errors="replace"), elapsed)
