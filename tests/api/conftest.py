"""An API client signed in with a Bearer token, and a snapshot of row counts to prove nothing was written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from openjxc.catalog.models import Barcode, Category, Item, ItemUnit, Unit
from openjxc.core.models import AuditRecord, Event, IdempotencyRecord, User
from openjxc.core.tokens import create_token
from openjxc.documents.models import Document, DocumentLine
from openjxc.partners.models import Partner, Region
from openjxc.stock.models import Location, Lot, StockBalance, StockMove, Warehouse
from tests.conftest import Shop

WRITTEN = [Document, DocumentLine, StockMove, StockBalance, Lot, Event, AuditRecord, Item, ItemUnit, Barcode, Unit,
           Category, Partner, Region, Warehouse, Location, User, IdempotencyRecord]


def counts() -> dict[str, int]:
    """Rows per table that an API write could touch."""
    return {m.__name__: m.objects.count() for m in WRITTEN}


class Api:
    """`/api` calls as `user`, authenticated by a fresh API token."""

    def __init__(self, user):
        self.user = user
        _token, self.token = create_token(by=user, name="tests")
        self.client = Client(headers={"Authorization": f"Bearer {self.token}"})

    def get(self, path, params=None):
        return self.client.get(f"/api{path}", params or {})

    def _send(self, method, path, body, key, raw):
        headers = {"Idempotency-Key": key} if key else {}
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(f"/api{path}", data, content_type="application/json", headers=headers)

    def post(self, path, body=None, *, key=None, raw=None):
        return self._send("post", path, body, key, raw)

    def patch(self, path, body=None, *, key=None, raw=None):
        return self._send("patch", path, body, key, raw)

    def put(self, path, body=None, *, key=None, raw=None):
        return self._send("put", path, body, key, raw)

    def delete(self, path):
        return self.client.delete(f"/api{path}")


@pytest.fixture
def api(shop):
    return Api(shop.admin)


@pytest.fixture
def as_user(shop):
    """Make an API client for a new user of the shop with the given roles (and warehouse scope)."""

    def make(username, *roles, warehouses=()):
        return Api(shop.user(username, *roles, warehouses=warehouses))

    return make


@pytest.fixture
def other(db):
    """A second company, with its own warehouses and items."""
    return Shop("OTHER")


def receipt_body(shop, *, qty="10", price="5.00", item=None, advance_to=None, **extra):
    body = {
        "kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": shop.supplier.pk,
        "lines": [{"item": (item or shop.flour).pk, "quantity": qty, "unit_price": price}],
    }
    if advance_to:
        body["advance_to"] = advance_to
    body.update(extra)
    return body
