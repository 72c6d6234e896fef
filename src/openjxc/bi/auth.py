"""Who is reading a BI feed: the API token, sent the ways BI tools can send it.

    Authorization: Bearer jxc_…      (core/tokens.py's middleware has already resolved it)
    Authorization: Basic …           any user name, the token as the password (Excel, Power BI "Basic")
    ?key=jxc_…                       for Power BI Web.Contents and scheduled pulls that cannot set a header

Every way ends in core.tokens.user_for_token: one token check. A browser session does not count here.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest

from openjxc.core.tokens import user_for_token


def raw_token(request: HttpRequest) -> str | None:
    """The token the request carries in Basic auth or `?key=`, or None."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    key = request.GET.get("key")
    return key if key is not None else None


def token_user(request: HttpRequest):
    """The active user whose API token the request carries, or None (no token, or a wrong or revoked one)."""
    if getattr(request, "auth_via_token", False):
        return request.user
    if getattr(request, "bad_token", False):
        return None
    raw = raw_token(request)
    return user_for_token(raw) if raw else None
