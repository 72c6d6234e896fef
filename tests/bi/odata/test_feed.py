"""The OData feed over HTTP (Django's test client): authentication, scoping, cost masking, query options, paging
and errors, against the real BI entities over facts built by posting documents."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from openjxc.bi.entities import ENTITIES
from tests.bi.odata.conftest import basic

SALES = "/odata/fact_sales_line"


def get(client, trade, path, who="admin", headers=None, **params):
    response = client.get(path, params, **(trade.auth(who) if who else {}), **(headers or {}))
    assert response["OData-Version"] == "4.0"
    return response


def rows(client, trade, path=SALES, who="admin", **params) -> list[dict]:
    response = get(client, trade, path, who, **params)
    assert response.status_code == 200, response.content
    return json.loads(response.content, parse_float=Decimal)["value"]


def follow(client, trade, path, who="admin", page=2, **params) -> tuple[list[dict], int]:
    """Every row of a query, page by page through @odata.nextLink; with the number of pages read."""
    out, pages = [], 0
    headers = {"HTTP_PREFER": f"odata.maxpagesize={page}"}
    response = get(client, trade, path, who, headers, **params)
    while True:
        assert response.status_code == 200, response.content
        assert response["Preference-Applied"] == f"odata.maxpagesize={page}"
        body = json.loads(response.content, parse_float=Decimal)
        assert len(body["value"]) <= page
        out += body["value"]
        pages += 1
        link = body.get("@odata.nextLink")
        if link is None:
            return out, pages
        parts = urlsplit(link)
        response = client.get(f"{parts.path}?{parts.query}", **trade.auth(who), **headers)


def key(row, entity="fact_sales_line"):
    return tuple(row[k] for k in ENTITIES[entity].key)


def test_service_document_lists_every_entity_set(client, trade):
    response = get(client, trade, "/odata/")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["@odata.context"] == "http://testserver/odata/$metadata"
    assert [s["name"] for s in body["value"]] == list(ENTITIES)
    assert all(s["kind"] == "EntitySet" and s["url"] == s["name"] for s in body["value"])


def test_sales_rows_are_the_company_facts_with_odata_types(client, trade):
    response = get(client, trade, SALES)
    assert response["Content-Type"].startswith("application/json;odata.metadata=minimal")
    body = json.loads(response.content, parse_float=Decimal)
    assert body["@odata.context"] == "http://testserver/odata/$metadata#fact_sales_line"
    by_day = {(r["day"], r["warehouse_id"], r["item_id"]): r for r in body["value"]}
    shop = trade.shop
    assert set(by_day) == {("2026-03-02", shop.main.pk, shop.flour.pk), ("2026-03-02", shop.main.pk, shop.water.pk),
                           ("2026-03-03", shop.main.pk, shop.flour.pk), ("2026-03-03", shop.store.pk, shop.water.pk),
                           ("2026-03-04", shop.store.pk, shop.water.pk)}
    flour = by_day[("2026-03-02", shop.main.pk, shop.flour.pk)]
    assert flour["sales_qty"] == Decimal("10") and flour["revenue"] == Decimal("80")
    assert flour["cogs"] == Decimal("50") and flour["channel"] == "order"
    assert isinstance(flour["item_id"], int)


def test_ieee754_compatible_sends_numbers_as_strings(client, trade):
    response = get(client, trade, SALES, headers={"HTTP_ACCEPT": "application/json;IEEE754Compatible=true"},
                   **{"$filter": "sales_qty eq 10"})
    assert "IEEE754Compatible=true" in response["Content-Type"]
    [row] = json.loads(response.content)["value"]
    assert row["sales_qty"] in ("10", "10.0", "10.0000") and row["item_id"] == str(trade.shop.flour.pk)


def test_token_as_basic_password_query_key_or_bearer(client, trade):
    raw = trade.tokens["admin"]
    assert client.get(SALES, HTTP_AUTHORIZATION=basic(raw, user="")).status_code == 200
    assert client.get(SALES, {"key": raw}).status_code == 200
    assert client.get(SALES, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


@pytest.mark.parametrize("auth", [None, basic("jxc_wrong"), "Basic !!!", basic("")])
def test_no_or_bad_token_is_401_with_a_basic_challenge(client, trade, auth):
    for path in ("/odata/", "/odata/$metadata", SALES, SALES + "/$count"):
        response = client.get(path, **({"HTTP_AUTHORIZATION": auth} if auth else {}))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="OpenJXC"'
        assert response["OData-Version"] == "4.0"
        assert json.loads(response.content)["error"]["code"] == "odata.unauthorized"


def test_another_company_sees_none_of_this_one(client, trade):
    mine = rows(client, trade)
    theirs = rows(client, trade, who="other")
    assert len(theirs) == 1 and theirs[0]["item_id"] == trade.other.flour.pk
    assert not {r["item_id"] for r in theirs} & {r["item_id"] for r in mine}
    for name in ENTITIES:
        for row in rows(client, trade, f"/odata/{name}", who="other"):
            for column in ("item_id", "warehouse_id", "partner_id", "customer_id", "supplier_id"):
                assert row.get(column) not in {trade.shop.flour.pk, trade.shop.water.pk, trade.shop.main.pk,
                                               trade.shop.customer.pk, trade.shop.supplier.pk} or column not in row


def test_costs_are_null_without_the_cost_right_and_cannot_be_filtered_on(client, trade):
    admin = rows(client, trade, **{"$orderby": "day,item_id,warehouse_id"})
    seller = rows(client, trade, who="seller", **{"$orderby": "day,item_id,warehouse_id"})
    cost_columns = [c.name for c in ENTITIES["fact_sales_line"].columns if c.cost]
    assert "cogs" in cost_columns
    assert len(seller) == len(admin)
    assert all(r["cogs"] is not None for r in admin)
    for a, s in zip(admin, seller, strict=True):
        assert all(s[c] is None for c in cost_columns)
        assert {k: v for k, v in s.items() if k not in cost_columns} == {
            k: v for k, v in a.items() if k not in cost_columns}
    # a filter on a masked column cannot reveal it either
    assert rows(client, trade, who="seller", **{"$filter": "cogs gt 0"}) == []
    assert len(rows(client, trade, who="seller", **{"$filter": "cogs eq null"})) == len(admin)


def test_a_scoped_cashier_sees_their_store_only(client, trade):
    store = trade.shop.store.pk
    cashier = rows(client, trade, who="cashier")
    assert cashier and {r["warehouse_id"] for r in cashier} == {store}
    assert all(r["cogs"] is None for r in cashier)  # cashiers have no stock.cost
    assert [r["warehouse_id"] for r in rows(client, trade, "/odata/dim_warehouse", who="cashier")] == [store]
    count = get(client, trade, SALES + "/$count", who="cashier")
    assert count.content == str(len(cashier)).encode()
    # partner balances are not kept per warehouse: refused to a scoped reader, as the file feeds refuse them
    partners = get(client, trade, "/odata/fact_partner_day", who="cashier")
    assert partners.status_code == 403
    assert json.loads(partners.content)["error"]["code"] == "permission.denied"


@pytest.fixture
def timed_entity(monkeypatch):
    """An entity with a date-time column and a % in its SQL (none of the registry's has either yet)."""
    from openjxc.bi import entities

    entity = entities.Entity(
        "test_item_times", (entities.C("item_id", "int", "商品ID", "Item id"),
                            entities.C("created_at", "datetime", "创建时间", "Created at"),
                            entities.C("note", "string", "备注", "Note")),
        ("item_id",), True, "测试", "Test",
        "SELECT i.id AS item_id, i.created_at AS created_at, 'a%b' AS note, i.company_id AS company_id "
        "FROM catalog_item i")
    monkeypatch.setitem(entities.ENTITIES, entity.name, entity)
    return entity


def test_datetimes_are_utc_iso_and_filterable(client, trade, timed_entity):
    path = "/odata/test_item_times"
    everything = rows(client, trade, path)
    assert len(everything) == 3
    for row in everything:
        moment = dt.datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        assert moment.utcoffset() == dt.timedelta(0) and row["note"] == "a%b"
    first = min(everything, key=lambda r: r["created_at"])["created_at"]
    assert len(rows(client, trade, path, **{"$filter": f"created_at ge {first}"})) == 3
    assert rows(client, trade, path, **{"$filter": "created_at lt 2000-01-01T08:00:00+08:00"}) == []
    assert len(rows(client, trade, path, **{"$filter": "contains(note, '%') and year(created_at) ge 2000"})) == 3
    assert get(client, trade, path, **{"$filter": "created_at gt 2000-01-01"}).status_code == 400


def test_a_page_costs_two_statements(client, trade, django_assert_num_queries):
    rows(client, trade)  # the token's last use is recorded at most once a minute: not in the counted request
    with django_assert_num_queries(2):  # the token (with user, company and the user's warehouses), the page
        assert len(rows(client, trade)) == 5
    with django_assert_num_queries(3):  # and the count
        get(client, trade, SALES, **{"$count": "true"})
