"""Live screens: Server-Sent Events from the change feed, GET /api/feed/stream.

Every connection polls the feed (sync/feed.py) in the database, so an event committed through any app
server reaches clients of every other one; there is no in-process fan-out to get out of step. The SSE
`id:` of each event is its feed cursor: a browser that reconnects sends it back as `Last-Event-ID` and
resumes exactly after it (nothing lost, nothing twice). Without one the stream starts at the feed's
head (what is final now) and says so in a first `ready` event carrying that cursor as its id, so even a
reconnect before the first change resumes from where the stream started.

Wire format (WHATWG): `retry:` once, then per change `id: <cursor>` and `data: <json>` (default event
type "message"), and a `: keepalive` comment when nothing was sent for KEEPALIVE seconds. A connection
ends itself after MAX_AGE seconds (the client reconnects with Last-Event-ID) so servers can be rolled.
Needs ASGI (uvicorn): under WSGI Django would buffer the stream. On disconnect Django cancels the
generator; nothing is held but the poll loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from openjxc.core.errors import DomainError
from openjxc.core.permissions import allowed
from openjxc.sync.feed import FeedScope, decode_cursor, encode_cursor, feed_head, read_feed

POLL = float(os.environ.get("JXC_SSE_POLL_SECONDS", "0.25"))  # how often each stream asks the database
KEEPALIVE = float(os.environ.get("JXC_SSE_KEEPALIVE_SECONDS", "15"))
RETRY_MS = 2000
MAX_AGE = float(os.environ.get("JXC_SSE_MAX_AGE_SECONDS", "300"))
PAGE = 200


def _db(fn):
    """Run `fn` in a worker thread with a usable connection (the thread pool keeps a few, reused)."""

    def call(*args, **kwargs):
        close_old_connections()  # drops a broken or over-age connection; CONN_MAX_AGE keeps good ones
        return fn(*args, **kwargs)

    return sync_to_async(call, thread_sensitive=False)


def _viewer(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not allowed(user, "stock.view"):
        return None, None
    return user, FeedScope.for_user(user)


def _start(company_id: int, last_event_id: str | None) -> str:
    if last_event_id:
        return encode_cursor(decode_cursor(last_event_id, company_id=company_id))
    return feed_head(company_id)


def format_event(cursor: str, data: dict, event: str | None = None) -> str:
    lines = [f"id: {cursor}"]
    if event:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n\n"


async def _stream(company_id: int, scope: FeedScope, cursor: str):
    started = last_sent = time.monotonic()
    yield f"retry: {RETRY_MS}\n\n" + format_event(cursor, {"cursor": cursor}, event="ready")
    read = _db(read_feed)
    # a client that goes away cancels this generator (Django, under ASGI) at the next await
    while time.monotonic() - started < MAX_AGE:
        page = await read(company_id=company_id, cursor=cursor, limit=PAGE, scope=scope)
        cursor = page.next_cursor
        if page.events:
            yield "".join(format_event(e.cursor, e.as_dict()) for e in page.events)
            last_sent = time.monotonic()
            if page.has_more:
                continue
        elif time.monotonic() - last_sent >= KEEPALIVE:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL)
    # MAX_AGE reached: end the response; the browser reconnects after `retry` with Last-Event-ID


async def stream(request):
    """GET /api/feed/stream: the caller's feed as Server-Sent Events (session or API token)."""
    if request.method != "GET":
        return JsonResponse({"code": "http.method_not_allowed", "message": _("Use GET."),
                             "data": {"allowed": ["GET"]}}, status=405, headers={"Allow": "GET"})
    if not isinstance(request, ASGIRequest):
        # under WSGI (Django's test live server, a WSGI deployment) Django would buffer the endless
        # stream and hold a worker: refuse at once; the page then shows "offline" and tries again later
        return JsonResponse({"code": "feed.stream_needs_asgi",
                             "message": _("Live updates need the ASGI server (jxc serve)."), "data": {}}, status=503)
    user, scope = await sync_to_async(_viewer)(request)
    if user is None:
        return JsonResponse({"code": "auth.required", "message": _("Sign in or send a valid API token."),
                             "data": {}}, status=401)
    last = request.headers.get("Last-Event-ID") or request.GET.get("cursor") or None
    try:
        cursor = await _db(_start)(user.company_id, last)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.http_status)
    response = StreamingHttpResponse(_stream(user.company_id, scope, cursor), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
