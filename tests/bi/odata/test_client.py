"""An independent OData v4 client (python-odata, from PyPI) reads the feed over real HTTP: it reflects the entity
types from $metadata, reads every entity set, filters, and follows @odata.nextLink page by page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from odata import ODataService
from requests.auth import HTTPBasicAuth

from openjxc.bi.entities import ENTITIES


@pytest.fixture
def service(live_server):
    """python-odata services over requests sessions (Basic auth, the token as password); closed after the test, so
    no keep-alive connection outlives it on the live server."""
    sessions = []

    def make(token, page=None):
        session = requests.Session()
        session.auth = HTTPBasicAuth("powerbi", token)
        if page:
            # on the session: python-odata's extra_headers would update a dict its class shares with every service
            session.headers["Prefer"] = f"odata.maxpagesize={page}"
        sessions.append(session)
        return ODataService(f"{live_server.url}/odata/", session=session, reflect_entities=True, quiet_progress=True)

    yield make
    for session in sessions:
        session.close()


def raw(live_server, token, name):
    """The whole entity set in one page, read with plain HTTP: what the client's answer is compared with."""
    response = requests.get(f"{live_server.url}/odata/{name}", auth=("x", token), timeout=30)
    assert response.status_code == 200
    return json.loads(response.content, parse_float=Decimal)["value"]


def test_the_client_reads_every_entity_set_page_by_page(live_trade, live_server, service):
    token = live_trade.tokens["admin"]
    client = service(token, page=2)
    assert set(client.entities) >= set(ENTITIES)
    for name, entity in ENTITIES.items():
        expected = raw(live_server, token, name)
        got = [row.__odata__.data if hasattr(row, "__odata__") else row
               for row in client.query(client.entities[name])]
        keys = [tuple(getattr(row, k) for k in entity.key) for row in client.query(client.entities[name])]
        assert len(got) == len(expected) > 0, name
        assert len(set(keys)) == len(keys), name
        assert sorted(keys, key=repr) == sorted((tuple(r[k] for k in entity.key) for r in expected), key=repr), name


def test_the_client_filters(live_trade, service):
    shop = live_trade.shop
    client = service(live_trade.tokens["admin"], page=1)
    Sales = client.entities["fact_sales_line"]
    flour = client.query(Sales).filter(Sales.item_id == shop.flour.pk).order_by(Sales.day.asc()).all()
    assert [(r.day, r.sales_qty) for r in flour] == [("2026-03-02", Decimal("10")), ("2026-03-03", Decimal("5"))]
    Items = client.entities["dim_item"]
    assert [i.code for i in client.query(Items).filter(Items.name.contains("粉")).all()] == ["F001"]
    assert client.query(Sales).filter(Sales.warehouse_id == shop.store.pk).count() == 2


def test_the_client_sees_what_its_token_may(live_trade, service):
    client = service(live_trade.tokens["cashier"])
    Sales = client.entities["fact_sales_line"]
    rows = client.query(Sales).all()
    assert {r.warehouse_id for r in rows} == {live_trade.shop.store.pk}
    assert all(r.cogs is None for r in rows)
