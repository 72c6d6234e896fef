"""How the JSON API knows who is calling: an API token (Authorization: Bearer, resolved by core/tokens.py's
middleware) or the browser session, with CSRF checked on unsafe methods. Used by the NinjaAPI (config/api.py) and
by routers that set their own auth per operation (sync's terminal endpoints)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.utils import check_csrf


def api_auth(request: HttpRequest):
    """Token (Authorization: Bearer) or the browser session (with CSRF on unsafe methods)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if getattr(request, "auth_via_token", False):
        return user
    if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
        return None
    return user
