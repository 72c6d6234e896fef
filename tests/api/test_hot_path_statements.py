"""Statements the hot paths over HTTP take (issue 15): a new statement there is a decision, not an accident.

Counted with Django's test client through the whole middleware and ninja stack (token, idempotency, the
service, the response), warm: the first call fills the per-process caches. Figures are (SQLite, PostgreSQL);
changing one means saying why in the commit that changes it. Pages are counted with twice the rows as well:
their statements must not grow with the rows they show.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners
from openjxc.sync import protocol, terminals
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

# path -> (SQLite, PostgreSQL)
EXPECTED = {
    "api: 3-line delivery created and posted": (15, 15),  # decision 0022: the posting's tail in one statement
    # decision 0029: the batch's stored ops read in one statement; on SQLite a group of ops commits together (its
    # SAVEPOINT + RELEASE here) and counts them on its terminal once, and no row lock is taken (SQLite has none);
    # the negative-stock flag comes from the posting's own event, not read back (MAX(id) + the event: 2 fewer);
    # the user's company is the terminal's, read with the token; the cash receipt's partner entry, allocation,
    # audit record and event are written with the posting's changes (finance/counter.py): 4 fewer (32, 31 before)
    "api: a till's sale pushed": (28, 27),
    # each further op of the same push (29 before on SQLite; 24, 26 before the receipt's rows joined the posting's)
    "api: a till's sale pushed, each further op": (20, 22),
    # the token with its user, company and warehouse scope: one statement (decision 0026's follow-up)
    "api: the signed-in user": (1, 1),
    "page: a document": (13, 13),
    # each kind of work is one statement: its first rows, which give its count (a COUNT only beyond 200 rows)
    "page: the inbox": (13, 13),
    "page: stock balances": (9, 9),
    # the warehouse scope is read with the token now (5 -> 4)
    "api: a page of stock balances": (4, 4),
    # decision 0025: the locations, the moves' first and last day, the nearest checkpoint, then the page and its
    # count in one statement (summed, ordered and paged by the database)
    "api: a page of stock balances as of a date": (6, 6),  # 7 -> 6: the scope with the token
}


def _count(run) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def _expected(path: str) -> int:
    return EXPECTED[path][1 if connection.vendor == "postgresql" else 0]


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


@pytest.fixture
def stocked(shop):
    shop.salt = catalog.create_item(by=shop.admin, code="Y001", name="食盐", base_unit=shop.pcs, category=shop.food,
                                    purchase_price=D("1"), sale_price=D("2"))
    for item in (shop.flour, shop.water, shop.salt):
        shop.receive(item, 1000, "2.00")
    shop.receive(shop.water, 1000, "1.20", warehouse=shop.store)
    return shop


def test_a_delivery_through_the_api_takes_its_statements(stocked):
    api = Api(stocked.admin)

    def deliver():
        body = {"kind": "sales_delivery", "warehouse": stocked.main.pk, "partner": stocked.customer.pk,
                "advance_to": "posted", "lines": [{"item": i.pk, "quantity": "1"} for i in
                                                  (stocked.flour, stocked.water, stocked.salt)]}
        _ok(api.post("/documents", body, key=str(uuid.uuid4())), 201)

    deliver()
    path = "api: 3-line delivery created and posted"
    assert (path, _count(deliver)) == (path, _expected(path))


def test_the_signed_in_user_takes_its_statements(stocked):
    api = Api(stocked.user("scoped", "salesperson", warehouses=[stocked.main]))

    def me():
        assert _ok(api.get("/me")).json()["warehouses"] == [stocked.main.pk]

    me()
    assert _count(me) == _expected("api: the signed-in user")


def test_a_till_sale_push_takes_its_statements(stocked, monkeypatch):
    # on SQLite a push's ops commit in groups of up to GROUP_SECONDS (decision 0029): a group that ends because the
    # machine is slow adds its own BEGIN, reads and COMMIT. The count is of ops in one group (CI at load once split
    # the three, 52 statements for 48)
    monkeypatch.setattr(protocol, "GROUP_SECONDS", 600)
    walk_in = partners.create_partner(by=stocked.admin, code="C000", name="散客", kind="customer")
    _terminal, raw = terminals.register_terminal(by=stocked.admin, code="POS1", name="一号收银台", kind="pos",
                                                 warehouse=stocked.store, customer=walk_in)
    client = Client()

    def push(n=1):
        ops = [{"id": str(uuid.uuid4()), "seq": 1, "type": "sale", "created_at": clock.now().isoformat(),
                "data": {"lines": [{"item": "W001", "qty": "1"}], "payment": {"method": "cash", "amount": "2.00"}}}
               for _ in range(n)]
        r = _ok(client.post("/api/sync/push", json.dumps({"client_time": clock.now().isoformat(), "ops": ops}),
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"))
        assert [a["status"] for a in r.json()["results"]] == ["accepted"] * n, r.json()

    push()
    path = "api: a till's sale pushed"
    one = _count(push)
    assert (path, one) == (path, _expected(path))
    path = "api: a till's sale pushed, each further op"
    assert (path, _count(lambda: push(3)) - one) == (path, 2 * _expected(path))


def _delivery(shop, n_lines: int, **kw):
    items = [shop.flour, shop.water, shop.salt]
    return docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                lines=[LineInput(item=items[i % 3], quantity=1) for i in range(n_lines)], **kw)


def test_pages_take_their_statements_whatever_their_rows(stocked, client):
    client.force_login(stocked.admin)
    small, large = _delivery(stocked, 3, advance_to="posted"), _delivery(stocked, 6, advance_to="posted")
    page = "page: a document"
    _ok(client.get(reverse("web:document", args=[small.pk])))
    seen = [_count(lambda d=d: _ok(client.get(reverse("web:document", args=[d.pk])))) for d in (small, large)]
    assert (page, seen) == (page, [_expected(page)] * 2)

    page = "page: the inbox"
    _delivery(stocked, 3, advance_to="submitted")
    _ok(client.get(reverse("workflow:inbox")))
    first = _count(lambda: _ok(client.get(reverse("workflow:inbox"))))
    _delivery(stocked, 3, advance_to="submitted")
    second = _count(lambda: _ok(client.get(reverse("workflow:inbox"))))
    assert (page, [first, second]) == (page, [_expected(page)] * 2)

    page = "page: stock balances"
    _ok(client.get(reverse("web:balances")))
    assert (page, _count(lambda: _ok(client.get(reverse("web:balances"))))) == (page, _expected(page))

    page = "api: a page of stock balances"
    api = Api(stocked.admin)
    _ok(api.get("/stock/balances", {"warehouse": stocked.main.pk}))
    counted = _count(lambda: _ok(api.get("/stock/balances", {"warehouse": stocked.main.pk})))
    assert (page, counted) == (page, _expected(page))

    page = "api: a page of stock balances as of a date"
    as_of = {"as_of": str(clock.today()), "warehouse": stocked.main.pk, "limit": 2}
    _ok(api.get("/stock/balances", as_of))
    assert (page, _count(lambda: _ok(api.get("/stock/balances", as_of)))) == (page, _expected(page))
    assert (page, _count(lambda: _ok(api.get("/stock/balances", {**as_of, "limit": 4})))) == (page, _expected(page))


def test_the_created_documents_answer_is_what_reading_it_back_gives(stocked):
    # the answer to POST /api/documents is built from the lines the service wrote (no second read):
    # it must be exactly what GET gives, decimals at their columns' scale included
    api = Api(stocked.admin)
    for advance in ("posted", None):
        body = {"kind": "sales_delivery", "warehouse": stocked.main.pk, "partner": stocked.customer.pk,
                "lines": [{"item": stocked.flour.pk, "quantity": "1.5", "unit_price": "8.1", "memo": "a"},
                          {"item": stocked.water.pk, "quantity": "2", "unit": "BOX", "discount_rate": "0.05"},
                          {"item": stocked.salt.pk, "quantity": "3"}]}
        if advance:
            body["advance_to"] = advance
        created = _ok(api.post("/documents", body, key=str(uuid.uuid4())), 201).json()
        read = _ok(api.get(f"/documents/{created['id']}")).json()
        assert created == read
        assert [ln["line_no"] for ln in created["lines"]] == [1, 2, 3]
        assert created["lines"][0]["unit_quantity"] == read["lines"][0]["unit_quantity"]
