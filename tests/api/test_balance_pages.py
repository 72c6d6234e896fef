"""Pages of current stock (GET /api/stock/balances): every page is its slice of the whole list, ordered by item code,
location code and lot, for every filter and page size, on both engines. On PostgreSQL an early page of many balances
is read by walking the items in code order (stock/selectors.py, issue 15): it must give the same rows as reading them
all and sorting, take no more statements, and give way to that reading when the items walked hold too few of the
rows asked for."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openjxc.catalog import services as catalog
from openjxc.stock import services as stock
from openjxc.stock.models import StockBalance
from openjxc.stock.selectors import WALK_SHARE
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line

pytestmark = pytest.mark.django_db

WALKED = "CROSS JOIN LATERAL"  # the walk's statement (PostgreSQL only)


@pytest.fixture
def stocked(shop, today):
    """20 items in the main warehouse (4 of them also on a second shelf, one sold out), lots of milk, and 6 items
    only in the store, whose codes sort after all others; a shelf in each warehouse besides the default one."""
    by = shop.admin
    items = [catalog.create_item(by=by, code=f"G{n:02d}", name=f"商品{n}", base_unit=shop.pcs) for n in range(20)]
    late = [catalog.create_item(by=by, code=f"Z{n:02d}", name=f"门店商品{n}", base_unit=shop.pcs) for n in range(6)]
    shelf = stock.create_location(by=by, warehouse=shop.main, code="A-01", name="A 架")
    store_shelf = stock.create_location(by=by, warehouse=shop.store, code="B-01", name="B 架")
    shop.post("purchase_receipt", [line(item, n + 1, "2.00") for n, item in enumerate(items)], partner=shop.supplier)
    shop.post("purchase_receipt", [line(item, 3, "2.50", location=shelf.pk) for item in items[:4]],
              partner=shop.supplier)
    shop.post("purchase_receipt", [line(shop.milk, 5 + n, "3.00", lot_code=lot,
                                        expires_on=today + dt.timedelta(days=30 + n))
                                   for n, lot in enumerate(("L2", "L1"))], partner=shop.supplier)
    shop.post("sales_delivery", [line(items[7], 8)], partner=shop.customer)  # sold out: quantity and value 0
    shop.post("purchase_receipt", [line(item, 4, "1.00") for item in late], partner=shop.supplier,
              warehouse=shop.store)
    shop.post("purchase_receipt", [line(shop.water, 6, "1.20", location=store_shelf.pk)], partner=shop.supplier,
              warehouse=shop.store)
    shop.post("purchase_receipt", [line(shop.water, 2, "1.20", location=shelf.pk)], partner=shop.supplier)
    shop.shelf, shop.items = shelf, items
    return shop


def _truth(company_id, *, warehouse=None, item=None, location=None, include_zero=False, cost=True) -> list[tuple]:
    """The oracle: every balance row of the company, filtered and sorted here."""
    rows = []
    for b in StockBalance.objects.filter(company_id=company_id).select_related("item", "location", "lot"):
        if ((warehouse is not None and b.location.warehouse_id != warehouse) or (item is not None and b.item_id != item)
                or (location is not None and b.location_id != location)
                or (not include_zero and b.quantity == 0 and b.value == 0)):
            continue
        key = (b.item.code, b.location.code, b.lot_key)
        rows.append((key, (b.item_id, b.item.code, b.location.warehouse_id, b.location_id, b.location.code,
                           b.lot_id, b.lot.code if b.lot else None, b.quantity, b.value if cost else None)))
    return [r for _k, r in sorted(rows)]


def _shown(row: dict) -> tuple:
    return (row["item"], row["item_code"], row["warehouse"], row["location"], row["location_code"], row["lot"],
            row["lot_code"], D(row["quantity"]), None if row["value"] is None else D(row["value"]))


def test_every_page_is_its_slice_of_the_whole_list(stocked):
    api = Api(stocked.admin)
    cashier = Api(stocked.user("till", "cashier", warehouses=[stocked.store]))
    company = stocked.company.pk
    cases = [  # (caller, filters, the oracle's filters)
        (api, {}, {}),
        (api, {"warehouse": stocked.main.pk}, {"warehouse": stocked.main.pk}),
        (api, {"warehouse": stocked.main.pk, "include_zero": "true"}, {"warehouse": stocked.main.pk,
                                                                       "include_zero": True}),
        (api, {"warehouse": stocked.store.pk}, {"warehouse": stocked.store.pk}),
        (api, {"location": stocked.shelf.pk}, {"location": stocked.shelf.pk}),
        (api, {"item": stocked.water.pk}, {"item": stocked.water.pk}),
        (cashier, {}, {"warehouse": stocked.store.pk, "cost": False}),  # the caller's scope, without cost
    ]
    walked = early = 0
    for client, params, where in cases:
        truth = _truth(company, **where)
        assert len(truth) >= 2, params  # every case has rows to page through
        for size in (1, 2, 3, 7, 500):
            for offset in range(0, len(truth) + 2):
                with CaptureQueriesContext(connection) as ctx:
                    body = client.get("/stock/balances", {**params, "limit": size, "offset": offset}).json()
                assert body["count"] == len(truth), (params, size, offset)
                assert [_shown(r) for r in body["items"]] == truth[offset:offset + size], (params, size, offset)
                walked += any(WALKED in q["sql"] for q in ctx.captured_queries)
                early += (offset + size) * WALK_SHARE <= len(truth)
    # on PostgreSQL the early pages of the larger lists were walked: every page that ends in their first quarter
    assert early > 50 and walked == (early if connection.vendor == "postgresql" else 0)
    assert_ledger_consistent()


def test_a_walked_page_takes_no_more_statements_and_gives_way_when_the_items_walked_hold_too_few(stocked):
    api = Api(stocked.admin)
    pg = connection.vendor == "postgresql"

    def page(params):
        api.get("/stock/balances", params)  # warm
        with CaptureQueriesContext(connection) as ctx:
            body = api.get("/stock/balances", params).json()
        return body, [q["sql"] for q in ctx.captured_queries]

    # all the main warehouse's 24 rows in pages of 2: the first pages are walked, in the same 4 statements as
    # reading all rows and sorting them (the token, the warehouse, the count, the page)
    first, statements = page({"warehouse": stocked.main.pk, "limit": 2})
    assert [r["item_code"] for r in first["items"]] == ["G00", "G00"]
    assert len(statements) == 4 and any(WALKED in s for s in statements) == pg
    deep, statements = page({"warehouse": stocked.main.pk, "limit": 2, "offset": 20})
    assert len(statements) == 4 and not any(WALKED in s for s in statements)  # past the first quarter: sorted

    # the store's 7 rows are of items whose codes come last (Z00-Z05) but for the water: walking the first 4 items
    # finds none of them (F001, G00, G01, G02), so the page is read by sorting after all: one statement more
    store, statements = page({"warehouse": stocked.store.pk, "limit": 1})
    assert [r["item_code"] for r in store["items"]] == ["W001"] and store["count"] == 7
    assert len(statements) == (5 if pg else 4)
    assert any(WALKED in s for s in statements) == pg
