"""The SSE view through Django's ASGI test client, on SQLite and PostgreSQL alike (no server process).

tests/sync/test_sse.py runs the same stream over real uvicorn servers on PostgreSQL; this one checks
the wire format, resume and clean close on every engine.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from tests.conftest import Shop, assert_ledger_consistent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(wipeable_ledger):
    return Shop()


def _blocks(text: str) -> list[dict]:
    out = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                k, _, v = line.partition(": ")
                fields[k] = v
        if "data" in fields:
            out.append(fields)
    return out


async def _read_until(it, predicate, timeout=15.0) -> list[dict]:
    got: list[dict] = []
    async def loop():
        while not any(predicate(b) for b in got):
            got.extend(_blocks((await anext(it)).decode()))
    await asyncio.wait_for(loop(), timeout)
    return got


def test_stream_sends_changes_with_cursor_ids_and_resumes_after_last_event_id(shop):
    token = create_token(by=shop.admin, name="sse")[1]
    cashier = shop.user("cashier", Role.CASHIER, warehouses=[shop.store])
    cashier_token = create_token(by=cashier, name="sse")[1]

    async def scenario():
        r = await AsyncClient().get("/api/feed/stream", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r["Content-Type"].startswith("text/event-stream")
        assert r["Cache-Control"] == "no-cache" and r["X-Accel-Buffering"] == "no"
        it = r.streaming_content.__aiter__()
        first = (await anext(it)).decode()
        assert first.startswith("retry: 2000\n\n") and "event: ready" in first
        start = _blocks(first)[0]["id"]
        assert re.fullmatch(r"\d+-\d+", start)

        doc = await sync_to_async(shop.receive)(shop.flour, 3, 5)
        got = await _read_until(it, lambda b: '"topic":"document.post"' in b["data"])
        await it.aclose()  # the client goes away: the generator is closed, nothing keeps polling
        ids = [b["id"] for b in got]
        assert len(ids) == len(set(ids))
        assert any(f'"object_id":"{doc.pk}"' in b["data"] and '"stock.changed"' in b["data"] for b in got)

        # reconnect after the first of those events: the rest comes again, exactly, then the next change
        r2 = await AsyncClient().get(
            "/api/feed/stream", headers={"Authorization": f"Bearer {token}", "Last-Event-ID": ids[0]})
        it2 = r2.streaming_content.__aiter__()
        ready = _blocks((await anext(it2)).decode())
        assert ready[0]["id"] == ids[0]
        doc2 = await sync_to_async(shop.receive)(shop.flour, 1, 5, warehouse=shop.store)
        again = await _read_until(it2, lambda b: '"topic":"document.post"' in b["data"] and f'"{doc2.pk}"' in b["data"])
        await it2.aclose()
        again_ids = [b["id"] for b in again if b.get("event") != "ready"]
        assert again_ids[:len(ids) - 1] == ids[1:]
        assert len(again_ids) == len(set(again_ids))

        # a cashier's stream: only the store's document, never the main warehouse's
        r3 = await AsyncClient().get(
            "/api/feed/stream", headers={"Authorization": f"Bearer {cashier_token}", "Last-Event-ID": start})
        it3 = r3.streaming_content.__aiter__()
        mine = await _read_until(it3, lambda b: f'"object_id":"{doc2.pk}"' in b["data"])
        await it3.aclose()
        assert not any(f'"object_id":"{doc.pk}"' in b["data"] for b in mine)

        bad = await AsyncClient().get(
            "/api/feed/stream", headers={"Authorization": f"Bearer {token}", "Last-Event-ID": "nonsense"})
        assert bad.status_code == 400 and bad.json()["code"] == "feed.bad_cursor"
        anonymous = await AsyncClient().get("/api/feed/stream")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth.required"

    asyncio.run(scenario())
    assert_ledger_consistent()


def test_under_wsgi_the_stream_is_refused_at_once_instead_of_holding_a_worker(shop, client):
    client.force_login(shop.admin)
    r = client.get("/api/feed/stream")
    assert r.status_code == 503 and r.json()["code"] == "feed.stream_needs_asgi"
