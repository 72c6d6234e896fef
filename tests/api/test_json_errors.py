"""Every answer under /api/ is JSON {code, message, data}: unknown addresses (404) and wrong methods (405) too."""

import pytest
from django.test import Client

from openjxc.core.models import IdempotencyRecord


def _shape(r, status, code):
    assert r.status_code == status, (r.status_code, r.content[:200])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert set(body) == {"code", "message", "data"} and body["code"] == code, body
    return body


@pytest.mark.parametrize("path", ["/api/nope", "/api/catalog/nope", "/api/documents/abc", "/api/documents/1/x/y",
                                  "/api/", "/api", "/api/documents/"])
def test_unknown_api_addresses_answer_json_404(api, path):
    for method in ("get", "post", "put", "patch", "delete"):
        body = _shape(getattr(api.client, method)(path), 404, "http.not_found")
        assert body["data"] == {} and body["message"]


def test_unknown_address_without_credentials_is_still_json(db):
    _shape(Client().get("/api/nope"), 404, "http.not_found")
    # a browser-style POST without a CSRF token gets the JSON 404, not Django's CSRF page
    _shape(Client(enforce_csrf_checks=True).post("/api/nope", {}), 404, "http.not_found")


def test_unknown_address_in_chinese(api):
    body = _shape(api.client.get("/api/nope", headers={"Accept-Language": "zh-hans"}), 404, "http.not_found")
    assert body["message"] == "此地址没有 API 接口。"


def test_wrong_method_answers_json_405_with_allow(api, shop):
    r = api.client.delete("/api/documents")
    body = _shape(r, 405, "http.method_not_allowed")
    assert body["data"]["allowed"] == ["GET", "POST"]
    assert r["Allow"] == "GET, POST"
    assert "DELETE" in body["message"]
    body = _shape(api.client.get("/api/documents/1/submit"), 405, "http.method_not_allowed")
    assert body["data"]["allowed"] == ["POST"]
    body = _shape(api.client.put("/api/documents/1/submit", headers={"Accept-Language": "zh-hans"}), 405,
                  "http.method_not_allowed")
    assert body["message"] == "此 API 接口不接受 PUT 方法。"


def test_refused_address_with_idempotency_key_stores_nothing(api):
    _shape(api.client.post("/api/nope", "{}", content_type="application/json", headers={"Idempotency-Key": "k1"}),
           404, "http.not_found")
    _shape(api.client.put("/api/documents", "{}", content_type="application/json",
                          headers={"Idempotency-Key": "k2"}), 405, "http.method_not_allowed")
    assert not IdempotencyRecord.objects.exists()


def test_known_endpoints_and_pages_are_unchanged(api):
    assert api.client.get("/api/me").status_code == 200
    assert api.client.get("/api/openapi.json").json()["info"]["title"] == "OpenJXC API"
    # outside /api/ the web UI's own 404 page still answers
    r = Client().get("/definitely-not-a-page/")
    assert r.status_code in (302, 404) and not r["Content-Type"].startswith("application/json")
