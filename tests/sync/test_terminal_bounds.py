"""A terminal stays in its store (issue 14 items 4 and 11, the parts done): a till takes back only what its own
warehouse sold, and a line's quantity is a sane positive number."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from openjxc.core import clock
from openjxc.documents.models import Document
from openjxc.partners import services as partners
from openjxc.stock import services as stock
from openjxc.sync import terminals

pytestmark = pytest.mark.django_db


def _register(shop, warehouse, code):
    walk_in = partners.create_partner(by=shop.admin, code=f"W-{code}", name="散客", kind="customer")
    return terminals.register_terminal(by=shop.admin, code=code, name=code, kind="pos", warehouse=warehouse,
                                       customer=walk_in)[1]


def _push(raw, *ops):
    body = {"client_time": clock.now().isoformat(), "ops": list(ops)}
    r = Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    return r.json()["results"]


def _op(kind, **data):
    return {"id": str(uuid.uuid4()), "type": kind, "created_at": clock.now().isoformat(), "data": data}


def test_a_till_cannot_take_back_a_sale_of_another_store(shop):
    other_store = stock.create_warehouse(by=shop.admin, code="ST2", name="二号门店", kind="store")
    shop.receive(shop.water, 10, "1.2", warehouse=shop.store)
    here, there = _register(shop, shop.store, "POS1"), _register(shop, other_store, "POS2")
    sale = _push(here, _op("sale", lines=[{"item": "W001", "qty": "3"}]))[0]
    assert sale["status"] == "accepted"
    number = sale["document"]["number"]
    refused = _push(there, _op("return", sale=number, lines=[{"item": "W001", "qty": "1"}]))[0]
    assert refused["status"] == "refused" and refused["error"]["code"] == "terminal.other_warehouse"
    assert not Document.objects.filter(kind="sales_return").exists()
    # the store that sold it takes it back
    assert _push(here, _op("return", sale=number, lines=[{"item": "W001", "qty": "1"}]))[0]["status"] == "accepted"


@pytest.mark.parametrize("qty", ["1e11", "1000000.01", "0", "-2", "NaN", "Infinity", "abc"])
def test_a_line_quantity_out_of_bounds_is_refused(shop, qty):
    raw = _register(shop, shop.store, "POS1")
    result = _push(raw, _op("sale", lines=[{"item": "W001", "qty": qty}]))[0]
    assert result["status"] == "refused" and result["error"]["code"] == "validation.failed", result
    assert result["error"]["data"]["field"] == "lines[1].qty"
    assert not Document.objects.filter(kind="sales_delivery").exists()
