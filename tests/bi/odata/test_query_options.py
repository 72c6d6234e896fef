"""$filter, $orderby, $top, $skip, $count, $select and server-driven paging: each answer is compared with the same
selection made in Python over the unfiltered rows, on whichever engine the run uses."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.bi.odata.test_feed import SALES, follow, get, key, rows

D = Decimal

FILTERS = [
    ("sales_qty eq 10", lambda r: r["sales_qty"] == 10),
    ("sales_qty ne 10", lambda r: r["sales_qty"] != 10),
    ("revenue gt 48", lambda r: r["revenue"] > 48),
    ("revenue ge 48", lambda r: r["revenue"] >= 48),
    ("revenue lt 42.5", lambda r: r["revenue"] < D("42.5")),
    ("revenue le 42.5", lambda r: r["revenue"] <= D("42.5")),
    ("day eq 2026-03-03", lambda r: r["day"] == "2026-03-03"),
    ("day gt 2026-03-02 and day lt 2026-03-04", lambda r: "2026-03-02" < r["day"] < "2026-03-04"),
    ("day eq 2026-03-02 or sales_qty le 6", lambda r: r["day"] == "2026-03-02" or r["sales_qty"] <= 6),
    ("(day eq 2026-03-02 or day eq 2026-03-04) and sales_qty gt 6",
     lambda r: r["day"] in ("2026-03-02", "2026-03-04") and r["sales_qty"] > 6),
    ("day eq 2026-03-02 or day eq 2026-03-04 and sales_qty gt 6",  # and binds tighter than or
     lambda r: r["day"] == "2026-03-02" or (r["day"] == "2026-03-04" and r["sales_qty"] > 6)),
    ("not (day eq 2026-03-02)", lambda r: r["day"] != "2026-03-02"),
    ("not day eq 2026-03-02 and sales_qty gt 6", lambda r: r["day"] != "2026-03-02" and r["sales_qty"] > 6),
    ("contains(channel, 'rde')", lambda r: "rde" in r["channel"]),
    ("not contains(channel,'rde')", lambda r: "rde" not in r["channel"]),
    ("startswith(channel, 'or') and endswith(channel, 'er')", lambda r: r["channel"] == "order"),
    ("toupper(channel) eq 'ORDER'", lambda r: r["channel"] == "order"),
    ("year(day) eq 2026 and day(day) eq 3", lambda r: r["day"].endswith("-03")),
    ("salesperson_id eq 0 and channel ne null", lambda r: r["salesperson_id"] == 0),
    ("channel eq null", lambda r: False),
    ("revenue gt null", lambda r: False),
    ("not (revenue gt null)", lambda r: True),
    ("item_id eq warehouse_id", lambda r: r["item_id"] == r["warehouse_id"]),
    ("revenue gt cogs", lambda r: r["revenue"] > r["cogs"]),
    ("sales_qty gt 5.5", lambda r: r["sales_qty"] > D("5.5")),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_filter_selects_what_python_selects(client, trade, text, expected):
    everything = rows(client, trade)
    assert len(everything) == 5
    want = sorted(key(r) for r in everything if expected(r))
    got = sorted(key(r) for r in rows(client, trade, **{"$filter": text}))
    assert got == want


def test_filters_on_strings_with_quotes_and_booleans(client, trade):
    items = rows(client, trade, "/odata/dim_item")
    assert rows(client, trade, "/odata/dim_item", **{"$filter": "name eq '面粉'"}) == [
        r for r in items if r["name"] == "面粉"]
    assert rows(client, trade, "/odata/dim_item", **{"$filter": "name eq 'O''Brien'"}) == []
    assert len(rows(client, trade, "/odata/dim_item", **{"$filter": "is_active eq true"})) == len(items)
    assert len(rows(client, trade, "/odata/dim_item", **{"$filter": "is_active"})) == len(items)
    assert rows(client, trade, "/odata/dim_item", **{"$filter": "not is_active"}) == []
    store = rows(client, trade, "/odata/dim_warehouse", **{"$filter": "is_store eq true"})
    assert [r["warehouse_id"] for r in store] == [trade.shop.store.pk]


def test_a_value_is_never_pasted_into_the_sql(client, trade):
    injected = "name eq 'x'' OR 1=1 --'"
    assert rows(client, trade, "/odata/dim_item", **{"$filter": injected}) == []
    assert rows(client, trade, "/odata/dim_item", **{"$filter": "contains(name, '%')"}) == []
    assert rows(client, trade, "/odata/dim_item", **{"$filter": "contains(name, '_')"}) == []


def test_orderby_several_keys_and_directions(client, trade):
    got = rows(client, trade, **{"$orderby": "day desc,revenue asc"})
    assert [(r["day"], r["revenue"]) for r in got] == sorted(
        ((r["day"], r["revenue"]) for r in got), key=lambda t: (-int(t[0].replace("-", "")), t[1]))
    assert [r["revenue"] for r in rows(client, trade, **{"$orderby": "revenue desc"})] == sorted(
        (r["revenue"] for r in got), reverse=True)


def test_top_skip_select_and_count(client, trade):
    ordered = rows(client, trade, **{"$orderby": "revenue"})
    body = json.loads(get(client, trade, SALES, **{"$orderby": "revenue", "$top": "2", "$skip": "1",
                                                   "$count": "true", "$select": "day,revenue"}).content,
                      parse_float=Decimal)
    assert body["@odata.count"] == 5
    assert body["value"] == [{"day": r["day"], "revenue": r["revenue"]} for r in ordered[1:3]]
    assert body["@odata.context"].endswith("$metadata#fact_sales_line(day,revenue)")
    assert "@odata.nextLink" not in body
    count = get(client, trade, SALES + "/$count", **{"$filter": "day ge 2026-03-03"})
    assert count["Content-Type"].startswith("text/plain") and count.content == b"3"
    assert json.loads(get(client, trade, SALES, **{"$top": "0", "$count": "true"}).content) == {
        "@odata.context": "http://testserver/odata/$metadata#fact_sales_line", "@odata.count": 5, "value": []}


@pytest.mark.parametrize("params", [
    {},  # keyset on the entity key ($skiptoken)
    {"$orderby": "revenue desc"},  # offsets over the order, completed by the key
    {"$filter": "day ge 2026-03-03", "$count": "true"},
    {"$skip": "1"},
    {"$top": "4"},
    {"$top": "3", "$orderby": "item_id"},
])
def test_next_link_paging_gives_every_row_exactly_once(client, trade, params):
    whole = rows(client, trade, **params)
    paged, pages = follow(client, trade, SALES, page=2, **params)
    assert sorted(map(key, paged)) == sorted(map(key, whole)) and len(paged) == len(set(map(key, paged)))
    if "$orderby" in params:
        assert paged == whole
    assert pages == max(1, -(-len(whole) // 2))


def test_keyset_paging_over_a_composite_key_with_a_computed_column(client, trade):
    """fact_stock_day's key ends with flow, shown as text: pages still meet exactly."""
    whole = rows(client, trade, "/odata/fact_stock_day")
    assert len(whole) > 6
    for page in (1, 2, 3):
        paged, _ = follow(client, trade, "/odata/fact_stock_day", page=page)
        assert [key(r, "fact_stock_day") for r in paged] == [key(r, "fact_stock_day") for r in whole]


BAD = [
    ("$filter", "nosuch eq 1", "odata.unknown_property"),
    ("$filter", "sales_qty eq 'ten'", "odata.type"),
    ("$filter", "day gt 5", "odata.type"),
    ("$filter", "sales_qty eq", "odata.syntax"),
    ("$filter", "(sales_qty eq 1", "odata.syntax"),
    ("$filter", "sales_qty eq 1)", "odata.syntax"),
    ("$filter", "sales_qty ~ 1", "odata.syntax"),
    ("$filter", "day eq 2026-02-30", "odata.literal"),
    ("$filter", "sales_qty", "odata.not_condition"),
    ("$filter", "substringof('a', channel)", "odata.unknown_function"),
    ("$filter", "contains(channel)", "odata.arguments"),
    ("$filter", "contains(sales_qty, 'a')", "odata.type"),
    ("$filter", "channel gt true", "odata.type"),
    ("$orderby", "nosuch", "odata.unknown_property"),
    ("$orderby", "day sideways", "odata.orderby"),
    ("$select", "day,nosuch", "odata.unknown_property"),
    ("$top", "-1", "odata.number"),
    ("$skip", "ten", "odata.number"),
    ("$count", "maybe", "odata.count"),
    ("$skiptoken", "bm9wZQ", "odata.skiptoken"),
    ("$skiptoken", "%%%", "odata.skiptoken"),
    ("$expand", "item", "odata.unsupported"),
    ("$format", "xml", "odata.format"),
]


@pytest.mark.parametrize(("option", "value", "code"), BAD, ids=[f"{o}={v}" for o, v, _ in BAD])
def test_a_bad_query_is_a_400_odata_error(client, trade, option, value, code):
    response = get(client, trade, SALES, **{option: value})
    assert response.status_code == 400, response.content
    error = json.loads(response.content)["error"]
    assert error["code"] == code and error["message"]


def test_errors_are_translated_and_unknown_sets_are_404(client, trade):
    response = get(client, trade, SALES, headers={"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, **{"$filter": "nosuch eq 1"})
    assert json.loads(response.content)["error"]["message"] == "没有属性 nosuch。"
    missing = get(client, trade, "/odata/nosuch")
    assert missing.status_code == 404 and json.loads(missing.content)["error"]["code"] == "odata.not_found"
    assert get(client, trade, "/odata/nosuch/$count").status_code == 404
    by_key = get(client, trade, SALES + "(1)")
    assert by_key.status_code == 404 and json.loads(by_key.content)["error"]["code"] == "odata.not_found"
    post = client.post(SALES, **trade.auth())
    assert post.status_code == 405 and json.loads(post.content)["error"]["code"] == "odata.method_not_allowed"
