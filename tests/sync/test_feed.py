"""The change feed (sync/feed.py, GET /api/feed): order, paging, company and warehouse visibility, errors.

These tests commit (transaction=True): on PostgreSQL the feed only hands out events of finished
transactions, so an event written by a still-open test transaction is, rightly, not in it yet.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import transaction

from openjxc.catalog import services as catalog
from openjxc.core.events import record_event
from openjxc.core.models import Event, Role
from openjxc.sync.feed import BadCursor, BadLimit, FeedScope, feed_head, read_feed
from tests.api.conftest import Api
from tests.conftest import Shop, assert_ledger_consistent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(wipeable_ledger):
    return Shop()


def _all(company_id, *, scope=None, limit=500, cursor=None):
    events, pages = [], 0
    while True:
        page = read_feed(company_id=company_id, cursor=cursor, limit=limit, scope=scope)
        events += page.events
        cursor = page.next_cursor
        pages += 1
        if not page.has_more:
            return events, cursor, pages


def test_feed_returns_every_event_once_in_order_and_continues_from_its_cursor(shop):
    committed = list(Event.objects.filter(company=shop.company).order_by("id").values_list("id", flat=True))
    events, cursor, _ = _all(shop.company.pk)
    assert [e.id for e in events] == committed and committed  # the setup's events, in commit order
    assert read_feed(company_id=shop.company.pk, cursor=cursor).events == []

    doc = shop.receive(shop.flour, 10, 5)
    page = read_feed(company_id=shop.company.pk, cursor=cursor)
    topics = [e.topic for e in page.events]
    assert "stock.changed" in topics and "document.post" in topics
    assert {e.object_id for e in page.events if e.topic.startswith("document.")} == {str(doc.pk)}
    assert page.has_more is False
    assert read_feed(company_id=shop.company.pk, cursor=page.next_cursor).events == []
    assert_ledger_consistent()


def test_small_pages_add_up_to_the_whole_feed_without_repeats(shop):
    for n in range(4):
        shop.receive(shop.water, n + 1, 1)
    whole, _, _ = _all(shop.company.pk)
    paged, _, pages = _all(shop.company.pk, limit=3)
    assert [e.id for e in paged] == [e.id for e in whole]
    assert pages >= len(whole) // 3
    assert len({e.id for e in paged}) == len(paged)


def test_an_event_id_works_as_a_cursor_and_the_head_skips_history(shop):
    events, _, _ = _all(shop.company.pk)
    middle = events[len(events) // 2]
    after = read_feed(company_id=shop.company.pk, cursor=middle.id).events
    assert [e.id for e in after] == [e.id for e in events if e.id > middle.id]
    head = feed_head(shop.company.pk)
    assert read_feed(company_id=shop.company.pk, cursor=head).events == []
    shop.receive(shop.flour, 1, 5)
    assert {e.topic for e in read_feed(company_id=shop.company.pk, cursor=head).events} >= {"stock.changed"}


def test_other_companies_events_are_never_in_the_feed(shop):
    other = Shop(code="OTHER")
    other.receive(other.flour, 3, 5)
    mine, _, _ = _all(shop.company.pk)
    theirs, _, _ = _all(other.company.pk)
    assert mine and theirs
    assert not {e.id for e in mine} & {e.id for e in theirs}
    assert set(Event.objects.filter(company=other.company).values_list("id", flat=True)) == {e.id for e in theirs}
    # another company's event id is not a cursor here
    with pytest.raises(BadCursor):
        read_feed(company_id=shop.company.pk, cursor=theirs[-1].id)


def test_a_store_user_sees_their_stores_stock_and_documents_and_the_catalogue_but_no_cost(shop):
    cashier = shop.user("cashier", Role.CASHIER, warehouses=[shop.store])
    start = feed_head(shop.company.pk)
    in_main = shop.receive(shop.flour, 10, 5)
    in_store = shop.receive(shop.flour, 4, 5, warehouse=shop.store)
    catalog.create_item(by=shop.admin, code="N001", name="新品", base_unit=shop.pcs, sale_price=D("3"))

    everything, _, _ = _all(shop.company.pk, cursor=start)
    seen, _, _ = _all(shop.company.pk, cursor=start, scope=FeedScope.for_user(cashier))
    doc_ids = {e.object_id for e in seen if e.object_type == "documents.document"}
    assert doc_ids == {str(in_store.pk)}
    assert {e.object_id for e in everything if e.object_type == "documents.document"} == {str(in_main.pk), str(in_store.pk)}
    stock = [e for e in seen if e.topic == "stock.changed"]
    assert len(stock) == 1 and stock[0].warehouse_ids == [shop.store.pk]
    assert all("value" not in b for b in stock[0].payload["balances"])  # a cashier may not see cost
    admin_stock = [e for e in everything if e.topic == "stock.changed"]
    assert all("value" in b for e in admin_stock for b in e.payload["balances"])
    assert any(e.topic.startswith("item") for e in seen)  # the catalogue is for everyone
    assert_ledger_consistent()


def test_a_terminal_scope_limits_topics(shop):
    start = feed_head(shop.company.pk)
    shop.receive(shop.flour, 2, 5, warehouse=shop.store)
    with transaction.atomic():
        record_event(company=shop.company, topic="settlement.created", payload={"amount": "9"})
    seen, _, _ = _all(shop.company.pk, cursor=start, scope=FeedScope.store_terminal([shop.store.pk]))
    topics = {e.topic for e in seen}
    assert "stock.changed" in topics and "settlement.created" not in topics


def test_the_cursor_moves_past_events_a_scope_hides(shop):
    cashier = shop.user("cashier", Role.CASHIER, warehouses=[shop.store])
    scope = FeedScope.for_user(cashier)
    _, cursor, _ = _all(shop.company.pk, scope=scope)
    for _ in range(3):
        shop.receive(shop.flour, 1, 5)  # main warehouse: hidden from the cashier
    page = read_feed(company_id=shop.company.pk, cursor=cursor, limit=2, scope=scope)
    assert page.events == [] and page.has_more is False
    assert page.next_cursor == feed_head(shop.company.pk) != cursor


@pytest.mark.parametrize("cursor", ["abc", "1-", "-1-2", "9" * 30, "1-2-3", 10**12, "999999", True])
def test_bad_cursors_are_refused(shop, cursor):
    with pytest.raises(BadCursor):
        read_feed(company_id=shop.company.pk, cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_bad_limits_are_refused(shop, limit):
    with pytest.raises(BadLimit):
        read_feed(company_id=shop.company.pk, cursor=None, limit=limit)


def test_api_feed_pages_and_renders_errors(shop):
    api = Api(shop.admin)
    r = api.get("/feed", {"limit": 2})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"events", "next_cursor", "has_more"} and len(body["events"]) == 2 and body["has_more"]
    ids = [e["id"] for e in body["events"]]
    r2 = api.get("/feed", {"cursor": body["next_cursor"], "limit": 1000}).json()
    ids += [e["id"] for e in r2["events"]]
    assert ids == list(Event.objects.filter(company=shop.company).order_by("id").values_list("id", flat=True))
    assert r2["has_more"] is False

    bad = api.get("/feed", {"cursor": "nope"})
    assert bad.status_code == 400 and bad.json()["code"] == "feed.bad_cursor"
    bad = api.get("/feed", {"limit": 0})
    assert bad.status_code == 400 and bad.json()["code"] == "feed.bad_limit"


def test_api_feed_needs_a_login(shop, client):
    assert client.get("/api/feed").status_code == 401
