"""Bad input never gives a 500 or a partial write: each case is refused with a 4xx and a code, and nothing changes."""

import json

import pytest

from openjxc.config.api import api as ninja_api
from openjxc.stock.models import Location
from tests.api.conftest import Api, counts, receipt_body
from tests.conftest import assert_ledger_consistent

REQUEST_CODES = {"request.invalid", "request.malformed", "validation.failed"}


def _line(shop, **over):
    line = {"item": shop.flour.pk, "quantity": "1", "unit_price": "5"}
    line.update(over)
    return line


def hostile_documents(shop, other):
    """(name, body or raw text, expected status, expected code or None for any request.* code)."""
    def doc(**over):
        body = receipt_body(shop, advance_to="posted")
        body.update(over)
        return body

    def one_line(**over):
        return doc(lines=[_line(shop, **over)])

    second_loc = Location.objects.get(warehouse=shop.second).pk
    return [
        ("malformed json", '{"kind": "purchase_receipt", ', 400, "request.malformed"),
        ("not json at all", "kind=purchase_receipt", 400, "request.malformed"),
        ("deeply nested", "[" * 100_000 + "]" * 100_000, 400, "request.malformed"),
        ("array body", "[]", 422, "request.invalid"),
        ("null body", "null", 422, "request.invalid"),
        ("number body", "42", 422, "request.invalid"),
        ("kind is a number", doc(kind=5), 422, "request.invalid"),
        ("unknown kind", doc(kind="teleport"), 404, "document.kind_unknown"),
        ("lines is a string", doc(lines="abc"), 422, "request.invalid"),
        ("no lines", doc(lines=[]), 422, "request.invalid"),
        ("line is a number", doc(lines=[1]), 422, "request.invalid"),
        ("item is a string", one_line(item="abc"), 422, "request.invalid"),
        ("item id huge", one_line(item=10**30), 422, "request.invalid"),
        ("item id negative", one_line(item=-1), 422, "request.invalid"),
        ("warehouse id huge", doc(warehouse=2**63), 422, "request.invalid"),
        ("quantity is text", one_line(quantity="abc"), 422, "request.invalid"),
        ("quantity is a list", one_line(quantity=[1]), 422, "request.invalid"),
        ("quantity negative", one_line(quantity="-5"), 422, "request.invalid"),
        ("quantity zero", one_line(quantity=0), 422, "request.invalid"),
        ("quantity huge", one_line(quantity="1e30"), 422, "request.invalid"),
        ("quantity huge int", one_line(quantity=10**40), 422, "request.invalid"),
        ("quantity too precise", one_line(quantity="1.00001"), 422, "request.invalid"),
        ("quantity NaN", one_line(quantity="NaN"), 422, "request.invalid"),
        ("quantity Infinity", one_line(quantity="Infinity"), 422, "request.invalid"),
        ("quantity overflowing float", f'{{"kind": "purchase_receipt", "warehouse": {shop.main.pk}, '
         f'"partner": {shop.supplier.pk}, "lines": [{{"item": {shop.flour.pk}, "quantity": 1e400}}]}}', 422, None),
        ("price negative", one_line(unit_price="-1"), 422, "request.invalid"),
        ("amount overflows", one_line(quantity="99999999999999", unit_price="999999999999"), 422, None),
        ("base quantity overflows", one_line(item=shop.water.pk, unit="BOX", quantity="99999999999999"), 422, None),
        ("total overflows", doc(lines=[_line(shop, quantity="90000000000000", unit_price="0")] * 3), 422, None),
        ("unknown item", one_line(item=999_999), 404, "item.not_found"),
        ("unknown warehouse", doc(warehouse=999_999), 404, "warehouse.not_found"),
        ("unknown partner", doc(partner=999_999), 404, "partner.not_found"),
        ("unknown location", one_line(location=999_999), 404, "location.not_found"),
        ("unknown unit id", one_line(unit=999_999), 422, "validation.failed"),
        ("unknown source", doc(source=999_999), 404, "document.not_found"),
        ("another company's item", one_line(item=other.flour.pk), 404, "item.not_found"),
        ("another company's partner", doc(partner=other.supplier.pk), 404, "partner.not_found"),
        ("another company's warehouse", doc(warehouse=other.main.pk), 404, "warehouse.not_found"),
        ("another company's location", one_line(location=Location.objects.get(warehouse=other.main).pk), 404,
         "location.not_found"),
        ("another warehouse's location", one_line(location=second_loc), 422, "validation.failed"),
        ("customer as supplier", doc(partner=shop.customer.pk), 422, "partner.wrong_role"),
        ("memo too long", doc(memo="长" * 501), 422, "request.invalid"),
        ("lot code too long", one_line(lot_code="x" * 65), 422, "request.invalid"),
        ("kind too long", doc(kind="k" * 1000), 422, "request.invalid"),
        ("NUL in memo", doc(memo="a\x00b"), 422, "request.invalid"),
        ("NUL in custom", doc(custom={"k": "a\x00b"}), 422, "request.invalid"),
        ("custom too big", doc(custom={"k": "x" * 30_000}), 422, "request.invalid"),
        ("custom not an object", doc(custom=[1, 2]), 422, "request.invalid"),
        ("impossible date", doc(business_on="2026-02-30"), 422, "request.invalid"),
        ("date is text", doc(business_on="yesterday"), 422, "request.invalid"),
        ("bad advance_to", doc(advance_to="deleted"), 422, "request.invalid"),
        ("lot on an untracked item", one_line(lot_code="L1"), 422, "validation.failed"),
        ("tracked item without lot", one_line(item=shop.milk.pk), 422, "lot.required"),
        ("too many lines", doc(lines=[_line(shop)] * 10_001), 422, "request.invalid"),
    ]


@pytest.fixture
def cases(shop, other):
    return hostile_documents(shop, other)


def test_hostile_document_bodies(api, shop, other, cases):
    before = counts()
    for name, body, status, code in cases:
        raw = body if isinstance(body, str) else None
        r = api.post("/documents", None if raw else body, raw=raw, key=f"hostile-{name}")
        assert r.status_code == status, (name, r.status_code, r.content[:300])
        payload = r.json()
        assert set(payload) == {"code", "message", "data"}, name
        if code:
            assert payload["code"] == code, (name, payload)
        else:
            assert payload["code"] in REQUEST_CODES, (name, payload)
        assert counts() == before, name
    assert_ledger_consistent()


def test_hostile_query_and_path_params(api, shop):
    for path, params in [
        ("/catalog/items", {"q": "a\x00b"}),
        ("/catalog/items", {"q": "x" * 1000}),
        ("/catalog/items", {"category": "abc"}),
        ("/catalog/items", {"limit": "1e3"}),
        ("/documents", {"warehouse": str(2**64)}),
        ("/documents", {"date_from": "0000-00-00"}),
        ("/stock/balances", {"lot": "-3"}),
        ("/stock/fefo", {"item": shop.milk.pk, "warehouse": shop.main.pk, "quantity": "NaN"}),
        ("/catalog/barcodes/a%00b", {}),
        (f"/documents/{2**64}", {}),
    ]:
        r = api.get(path, params)
        assert 400 <= r.status_code < 500, (path, params, r.status_code, r.content[:200])


def test_hostile_patch_of_a_draft(api, shop):
    doc = api.post("/documents", receipt_body(shop)).json()
    before = counts()
    for body in ({"lines": []}, {"lines": [_line(shop, quantity="-1")]}, {"memo": "x" * 501},
                 {"warehouse": 10**30}, {"partner": "abc"}, {"custom": "nope"},
                 {"lines": [_line(shop, quantity="99999999999999", unit_price="999999999999")]}):
        r = api.patch(f"/documents/{doc['id']}", body)
        assert r.status_code == 422, (body, r.content)
    r = api.patch(f"/documents/{doc['id']}", {"partner": 999_999})
    assert r.status_code == 404
    assert counts() == before


HOSTILE_VALUES = ["", "x" * 5000, "a\x00b", -1, 0, 10**30, 1e308, True, None, [], {}, [{"item": "x"}], "NaN",
                  "2026-13-45"]
FIELDS = ["kind", "code", "name", "lines", "quantity", "item", "warehouse", "partner", "unit", "base_unit",
          "factor", "reason", "password", "username", "roles", "parent", "credit_limit", "email", "custom",
          "business_on", "advance_to", "safety_stock", "barcodes", "units", "warehouses", "is_active"]
SINGLE_VALUES = ["x" * 5000, -1, None]
RAW_BODIES = ["{", "[]", "null", '"text"', "1", '{"a": {"b": {"c": [1, 2, {"d": null}]}}}', "\x00", "{}"]


def _write_endpoints():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("post", "put", "patch"):
                yield method, path


def test_fuzz_every_write_endpoint_never_500s(api, shop, as_user):
    """For each POST/PUT/PATCH endpoint: malformed bodies and hostile values in every known field → 4xx."""
    draft = api.post("/documents", receipt_body(shop)).json()
    ids = {"doc_id": draft["id"], "item_id": shop.flour.pk, "unit_id": shop.pcs.pk, "category_id": shop.food.pk,
           "warehouse_id": shop.main.pk, "partner_id": shop.supplier.pk, "region_id": 999_999,
           "location_id": Location.objects.filter(warehouse=shop.main).first().pk, "user_id": shop.admin.pk,
           "token_id": 999_999}
    clients = [api, as_user("fuzz-seller", "salesperson"), as_user("fuzz-till", "cashier", warehouses=[shop.store])]
    endpoints = list(_write_endpoints())
    assert len(endpoints) >= 25
    for method, path in endpoints:
        url = path.removeprefix("/api")
        for name, value in ids.items():
            url = url.replace(f"{{{name}}}", str(value))
        raw = [("raw", raw) for raw in RAW_BODIES]
        every = [("json", {field: value for field in FIELDS}) for value in HOSTILE_VALUES]
        # one hostile value per field alone, turning with the endpoint: over the endpoints every (field, value)
        # pair is sent, each endpoint gets every field once (a third of the requests of sending all three)
        k = endpoints.index((method, path))
        single = [("json", {field: SINGLE_VALUES[(i + k) % len(SINGLE_VALUES)]}) for i, field in enumerate(FIELDS)]
        for client in clients:
            # the other roles' bodies meet the same validation as the administrator's: the raw ones and three
            # of the hostile values (turning with the endpoint) are enough to show their path never 500s
            mine = raw + every + single if client is api else raw + [every[(k + j) % len(every)] for j in (0, 5, 9)]
            for how, body in mine:
                if how == "raw":
                    r = getattr(client, method)(url, raw=body)
                else:
                    r = getattr(client, method)(url, body)
                assert r.status_code < 500, (method, url, body if how == "raw" else json.dumps(body)[:200],
                                             r.content[:300])
                if r.status_code >= 400:
                    assert "code" in r.json(), (method, url, r.content[:200])
    assert_ledger_consistent()


def test_another_users_token_cannot_reach_other_company(other, shop):
    them = Api(other.admin)
    before = counts()
    r = them.patch(f"/catalog/items/{shop.flour.pk}", {"name": "x"})
    assert r.status_code == 404
    r = them.post("/stock/locations", {"warehouse": shop.main.pk, "code": "X", "name": "x"})
    assert r.status_code == 404
    assert counts() == before


def test_a_misspelt_document_field_is_refused_not_dropped(api, shop):
    from openjxc.documents.models import Document

    before = Document.objects.count()
    r = api.post("/documents", {
        "kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
        "lines": [{"item": shop.flour.pk, "quantity": "1", "discount_rat": "0.05"}],
    })
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    assert Document.objects.count() == before
