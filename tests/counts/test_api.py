"""Counts through the REST API: a blind count on a phone, the adjustment through /api/documents, and errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from tests.api.conftest import Api, counts
from tests.conftest import Shop, assert_ledger_consistent
from tests.documents.helpers import qty_at

D = Decimal


@pytest.fixture
def api(shop):
    return Api(shop.admin)


def test_a_blind_count_on_a_phone_through_to_the_posted_adjustment(shop, api):
    shop.receive(shop.water, 24, "1.20")
    keeper = shop.user("keeper-phone", Role.KEEPER)
    phone = Api(keeper)
    r = api.post("/counts", {"warehouse": shop.main.pk, "blind": True, "assignees": [keeper.pk], "start": True})
    assert r.status_code == 201, r.json()
    count = r.json()
    assert count["status"] == "counting" and count["lines"] == 1 and count["assignees"] == [keeper.pk]
    mine = phone.get("/counts", {"mine": True}).json()
    assert [c["id"] for c in mine["items"]] == [count["id"]]

    # "only differences" is ignored for a blind counter (it would tell where the book disagrees)
    assert api.get(f"/counts/{count['id']}/lines", {"differences": True}).json()["count"] == 0
    assert phone.get(f"/counts/{count['id']}/lines", {"differences": True}).json()["count"] == 1

    # the keeper scans one bottle's EAN (+1) and types the other 22
    r = phone.post(f"/counts/{count['id']}/entries", {"entries": [{"barcode": "6920000000017"},
                                                                  {"item": shop.water.pk, "quantity": "22"}]})
    assert r.status_code == 201, r.json()
    assert [(D(e["counted_quantity"]), e["expected_quantity"]) for e in r.json()] == [(D(23), None)] * 2
    lines = phone.get(f"/counts/{count['id']}/lines").json()["items"]
    assert lines[0]["counted_quantity"] is not None and lines[0]["expected_quantity"] is None
    assert lines[0]["difference"] is None and lines[0]["snapshot_quantity"] is None
    assert phone.get(f"/counts/{count['id']}/variance").json()["code"] == "permission.denied"
    seen = api.get(f"/counts/{count['id']}/lines").json()["items"][0]
    assert D(seen["expected_quantity"]) == 24 and D(seen["difference"]) == -1

    # unknown barcode: refused with a clear code, nothing written
    before = counts()
    r = phone.post(f"/counts/{count['id']}/entries", {"entries": [{"barcode": "9999999999999"}]})
    assert r.status_code == 404 and r.json()["code"] == "barcode.unknown"
    assert counts() == before

    r = api.post(f"/counts/{count['id']}/finish", {})
    assert r.json()["status"] == "counting" and r.json()["recount"] == 1  # 1 of 24 is beyond 2%
    phone.post(f"/counts/{count['id']}/entries", {"entries": [{"item": shop.water.pk, "quantity": "23"}]})
    r = api.post(f"/counts/{count['id']}/finish", {})
    assert r.json()["status"] == "review"
    line_id = seen["id"]
    r = api.patch(f"/counts/{count['id']}/lines/{line_id}", {"reason": "theft", "note": "货架空瓶"})
    assert r.status_code == 200 and r.json()["reason"] == "theft"
    acc = api.get(f"/counts/{count['id']}/accuracy").json()
    assert acc["lines"] == 1 and acc["within"] == 0

    r = api.post(f"/counts/{count['id']}/document", {})
    assert r.status_code == 200 and r.json()["status"] == "documented"
    doc_id = r.json()["document"]
    for step in ("submit", "approve", "post"):
        r = api.post(f"/documents/{doc_id}/{step}")
        assert r.status_code == 200, r.json()
    assert api.get(f"/counts/{count['id']}").json()["status"] == "posted"
    assert qty_at(shop.water, shop.main) == 23
    trend = api.get("/counts/accuracy/trend", {"period": "month"}).json()
    assert sum(t["lines"] for t in trend) == 1
    assert_ledger_consistent()


def test_plans_abc_and_errors(shop, api):
    shop.receive(shop.flour, 10, "5")
    r = api.post("/counts/plans", {"name": "月度全盘", "warehouse": shop.main.pk})
    assert r.status_code == 201 and r.json()["every_days"] == 30
    plan = r.json()
    r = api.patch(f"/counts/plans/{plan['id']}", {"every_days": 7, "is_active": False})
    assert r.json()["every_days"] == 7 and r.json()["is_active"] is False
    r = api.post(f"/counts/plans/{plan['id']}/run")
    assert r.status_code == 201 and r.json()["plan"] == plan["id"] and r.json()["status"] == "open"
    count_id = r.json()["id"]

    abc = api.get("/counts/abc", {"warehouse": shop.main.pk}).json()
    assert [(a["code"], a["class"]) for a in abc] == [("F001", "C")]

    # errors: the project's {code, message, data} with a 4xx, never a 500
    r = api.post("/counts/plans", {"name": "x", "warehouse": shop.main.pk, "scope": "abc"})
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    r = api.post("/counts", {"warehouse": shop.main.pk, "scope": "category"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "category"
    r = api.post("/counts", {"warehouse": shop.main.pk, "tolerance_rate": "-1"})
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    r = api.post("/counts", {"warehouse": 10**12})
    assert r.status_code == 404 and r.json()["code"] == "warehouse.not_found"
    r = api.post(f"/counts/{count_id}/finish", {})
    assert r.status_code == 409 and r.json()["code"] == "count.invalid_status"
    r = api.post(f"/counts/{count_id}/entries", {"entries": []})
    assert r.status_code == 422
    r = api.post(f"/counts/{count_id}/start")
    r = api.post(f"/counts/{count_id}/entries", {"entries": [{"item": shop.flour.pk, "quantity": "abc"}]})
    assert r.status_code == 422
    r = api.post(f"/counts/{count_id}/entries", {"entries": [{"item": shop.flour.pk}]})
    assert r.status_code == 422 and r.json()["data"]["field"] == "entries[1].quantity"
    r = api.post(f"/counts/{count_id}/document")
    assert r.status_code == 409
    r = api.patch(f"/counts/{count_id}/lines/999999", {"reason": "damage"})
    assert r.status_code == 404
    r = api.patch(f"/counts/{count_id}/lines/1", {"reason": "aliens"})
    assert r.status_code == 422

    # another company's count is not found
    other = Shop("OTHER")
    _t, token = create_token(by=other.admin, name="t")
    from django.test import Client

    stranger = Client(headers={"Authorization": f"Bearer {token}"})
    assert stranger.get(f"/api/counts/{count_id}").status_code == 404
    r = stranger.post(f"/api/counts/{count_id}/start", "{}", content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "count.not_found"
    # a cashier may count but not plan
    cashier = Api(shop.user("cashier-1", Role.CASHIER))
    r = cashier.post("/counts/plans", {"name": "x", "warehouse": shop.main.pk})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
