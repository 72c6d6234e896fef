"""Tokens (created once, hashed, revocable), the browser session with CSRF, /me, the OpenAPI schema."""

from django.test import Client

from openjxc.core.models import ApiToken
from tests.api.conftest import Api


def test_token_create_list_revoke_stops_access(api):
    # when a user creates a token, the raw secret is returned once and only its hash is stored
    r = api.post("/tokens", {"name": "POS till 1"})
    assert r.status_code == 201, r.content
    raw, token_id = r.json()["token"], r.json()["id"]
    assert raw.startswith("jxc_")
    stored = ApiToken.objects.get(pk=token_id)
    assert raw not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64

    till = Client(headers={"Authorization": f"Bearer {raw}"})
    assert till.get("/api/me").json()["username"] == api.user.username
    listed = api.get("/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "POS till 1"}
    assert all("token" not in t for t in listed)

    # when it is revoked, it stops working at once
    r = api.post(f"/tokens/{token_id}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"]
    r = till.get("/api/me")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"


def test_delete_token_and_other_users_tokens(api, as_user):
    clerk = as_user("clerk", "salesperson")
    r = clerk.post("/tokens", {"name": "mine"})
    theirs = r.json()["id"]
    # another user's token cannot be revoked: it is not found
    r = api.delete(f"/tokens/{theirs}")
    assert r.status_code == 404 and r.json()["code"] == "token.not_found"
    r = clerk.delete(f"/tokens/{theirs}")
    assert r.status_code == 200 and r.json()["revoked_at"]
    # a token needs a name
    r = api.post("/tokens", {"name": "   "})
    assert r.status_code == 422


def test_unauthenticated_and_bad_token(shop):
    assert Client().get("/api/me").status_code == 401
    r = Client(headers={"Authorization": "Bearer jxc_not-a-token"}).get("/api/catalog/items")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
    r = Client().post("/api/tokens", "{}", content_type="application/json")
    assert r.status_code == 401


def test_me(api, shop):
    me = api.get("/me").json()
    assert me["company"]["code"] == "ACME"
    assert me["roles"] == ["admin"] and me["warehouses"] is None
    assert "document.approve" in me["permissions"] and "stock.cost" in me["permissions"]


def test_me_of_a_scoped_cashier(as_user, shop):
    cashier = as_user("till", "cashier", warehouses=[shop.store])
    me = cashier.get("/me").json()
    assert me["warehouses"] == [shop.store.pk]
    assert "stock.cost" not in me["permissions"] and "document.approve" not in me["permissions"]


def test_me_of_a_user_limited_to_two_warehouses_and_of_one_with_none(as_user, shop):
    # the scope is read with the token (one statement, core/tokens.py): every linked warehouse, in any number
    clerk = as_user("two", "salesperson", warehouses=[shop.store, shop.second])
    assert clerk.get("/me").json()["warehouses"] == sorted([shop.store.pk, shop.second.pk])
    # a user of no warehouse in particular may see them all (null), as permissions.scoped_warehouse_ids says
    everywhere = as_user("all", "salesperson")
    assert everywhere.get("/me").json()["warehouses"] is None


def test_session_login_needs_csrf_for_writes(shop):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(shop.admin)  # the sign-in form itself: tests/web/test_sign_in_security.py
    # reading works with the session alone
    r = browser.get("/api/catalog/units")
    assert r.status_code == 200 and r.json()["count"] == 3
    # writing without the CSRF token is refused like an unauthenticated request
    r = browser.post("/api/catalog/units", '{"code": "L", "name": "升"}', content_type="application/json")
    assert r.status_code == 401
    # with the CSRF cookie echoed in the header it works
    csrf = "c" * 32  # the secret a page would have set in the csrftoken cookie
    browser.cookies["csrftoken"] = csrf
    r = browser.post("/api/catalog/units", '{"code": "L", "name": "升"}', content_type="application/json",
                     headers={"X-CSRFToken": csrf})
    assert r.status_code == 201, r.content
    assert r.json()["code"] == "L"


def test_openapi_schema_and_docs_render(shop):
    r = Client().get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "OpenJXC API"
    for path in ("/api/documents", "/api/documents/{doc_id}/void", "/api/stock/balances", "/api/tokens",
                 "/api/catalog/barcodes/{code}", "/api/users"):
        assert path in schema["paths"], path
    browser = Client()
    browser.force_login(shop.admin)
    assert browser.get("/api/docs").status_code == 200


def test_token_user_deactivated_loses_access(api, shop):
    shop.admin.is_active = False
    shop.admin.save()
    assert Api.__name__ and api.get("/me").status_code == 401
