"""Costs stay behind "stock.cost" on every way out of the change feed (issue 14 item 9): the feed API, a
terminal's pull and the live stream (SSE) give a cashier no purchase price, no stock value and no purchase amount;
the same events keep them for an administrator."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client

from openjxc.catalog import services as catalog
from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from openjxc.sync import terminals
from openjxc.sync.feed import mask_costs
from tests.api.conftest import Api
from tests.conftest import Shop

COSTLY = {"purchase_price", "value", "unit_cost", "last_cost", "valuation"}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _feed(api) -> list[dict]:
    r = api.get("/feed", {"limit": 500})
    assert r.status_code == 200, r.content
    return r.json()["events"]


def _by_topic(events, topic):
    return [e for e in events if e["topic"] == topic]


@pytest.fixture
def shop(wipeable_ledger):
    """Committed for real: on PostgreSQL the feed shows only transactions that have ended (sync/feed.py)."""
    return Shop()


def test_the_feed_hides_costs_from_a_cashier_and_keeps_them_for_an_admin(shop):
    catalog.create_item(by=shop.admin, code="T001", name="茶叶", base_unit=shop.pcs, purchase_price=Decimal("37.5"),
                        sale_price=Decimal("60"))
    shop.receive(shop.water, 10, "1.2")
    shop.sell(shop.water, 2)
    admin, cashier = Api(shop.admin), Api(shop.user("till", Role.CASHIER))

    full = _feed(admin)
    created = [e for e in _by_topic(full, "item.created") if e["payload"].get("code") == "T001"]
    assert created and created[0]["payload"]["purchase_price"] == "37.5"
    assert any("value" in b for e in full if e["topic"].startswith("stock.") for b in e["payload"]["balances"])

    seen = _feed(cashier)
    assert {e["topic"] for e in seen} >= {"item.created", "document.created", "stock.changed"}
    for e in seen:
        hidden = COSTLY if e["topic"].startswith("stock.") else COSTLY - {"value"}
        assert not _keys(e["payload"]) & hidden, (e["topic"], e["payload"])
    tea = [e for e in _by_topic(seen, "item.created") if e["payload"].get("code") == "T001"][0]
    assert tea["payload"]["sale_price"] == "60"  # what the customer pays stays
    amounts = {e["payload"]["kind"]: "total_amount" in e["payload"] for e in _by_topic(seen, "document.created")}
    assert amounts == {"purchase_receipt": False, "sales_delivery": True}


def test_a_terminal_pull_carries_no_cost(shop):
    from openjxc.partners import services as partners

    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    _t, raw = terminals.register_terminal(by=shop.admin, code="POS1", name="till", kind="pos",
                                          warehouse=shop.store, customer=walk_in)
    catalog.create_item(by=shop.admin, code="T002", name="咖啡", base_unit=shop.pcs, purchase_price=Decimal("9.9"))
    shop.receive(shop.water, 5, "1.2", warehouse=shop.store)
    r = Client().get("/api/sync/pull", {"cursor": "", "limit": 500}, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200, r.content
    events = r.json()["events"]
    assert any(e["topic"] == "item.created" and e["payload"].get("code") == "T002" for e in events)
    assert any(e["topic"].startswith("stock.") for e in events)
    for e in events:
        assert not _keys(e["payload"]) & COSTLY, (e["topic"], e["payload"])


def test_the_live_stream_carries_no_cost_for_a_cashier(shop):
    token = create_token(by=shop.user("till", Role.CASHIER), name="sse")[1]

    async def scenario():
        r = await AsyncClient().get("/api/feed/stream", headers={"Authorization": f"Bearer {token}"})
        it = r.streaming_content.__aiter__()
        await anext(it)  # ready
        await sync_to_async(catalog.create_item)(by=shop.admin, code="T003", name="糖", base_unit=shop.pcs,
                                                 purchase_price=Decimal("4.4"))
        await sync_to_async(shop.receive)(shop.flour, 3, 5)
        text = ""
        while '"stock.' not in text or '"T003"' not in text:
            text += (await asyncio.wait_for(anext(it), 15)).decode()
        await it.aclose()
        return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]

    events = [e for e in asyncio.run(scenario()) if "topic" in e]
    assert any(e["topic"] == "item.created" for e in events)
    for e in events:
        assert not _keys(e["payload"]) & COSTLY, (e["topic"], e["payload"])


def test_masking_keeps_what_is_not_a_cost():
    payload = {"code": "X", "purchase_price": "3", "sale_price": "5", "custom": {"cost": "1", "colour": "red"}}
    assert mask_costs("item.updated", payload) == {"code": "X", "sale_price": "5", "custom": {"colour": "red"}}
    assert mask_costs("company.settings", {"value": 1}) == {"value": 1}  # "value" is a cost only in stock events
    assert mask_costs("stock.changed", {"balances": [{"quantity": "1", "value": "5"}]}) == {
        "balances": [{"quantity": "1"}]}
