"""The finance API: receipts and payments, allocation, partner books, statements, aging, trading mode."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.core.models import Role
from openjxc.finance.models import Allocation, PartnerEntry, Settlement
from tests.api.conftest import Api
from tests.finance.conftest import DAY, Books

D = Decimal


@pytest.fixture
def api(books):
    return Api(books.admin)


def test_receipt_with_allocations_then_books_of_the_partner(books, api):
    d1, d2 = books.deliver(10, 10), books.deliver(5, 10)
    r = api.post("/finance/settlements", {
        "kind": "receipt", "partner": books.customer.pk, "amount": "130.00", "business_on": str(DAY),
        "method": "bank", "post": True, "allocations": [{"document": d1.pk, "amount": "100"},
                                                        {"document": d2.pk, "amount": "20"}],
    }, key="r-1")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"] == "SKD-20260301-0001" and body["status"] == "posted"
    assert (D(body["allocated"]), D(body["unallocated"])) == (D("120"), D("10"))
    assert len(body["allocations"]) == 2

    bal = api.get(f"/finance/partners/{books.customer.pk}/balance").json()
    assert D(bal["receivable"]) == D("20") and D(bal["payable"]) == 0
    opened = api.get(f"/finance/partners/{books.customer.pk}/open-documents").json()
    assert [(o["number"], D(o["open"])) for o in opened] == [(d2.number, D("30"))]
    credits = api.get(f"/finance/partners/{books.customer.pk}/credits").json()
    assert [(c["number"], D(c["open"])) for c in credits] == [(body["number"], D("10"))]
    ledger = api.get(f"/finance/partners/{books.customer.pk}/ledger").json()
    assert [D(e["amount"]) for e in ledger] == [D("100"), D("50"), D("-130")]

    st = api.get(f"/finance/partners/{books.customer.pk}/statement",
                 {"date_from": str(DAY), "date_to": str(DAY)}).json()
    assert (D(st["opening"]), D(st["closing"]), len(st["lines"])) == (0, D("20"), 3)
    aging = api.get("/finance/aging", {"as_of": "2026-05-15"}).json()
    (row,) = aging
    assert row["partner"] == books.customer.pk and D(row["buckets"]["61-90"]) == D("30")
    assert D(row["unapplied"]) == D("-10") and D(row["total"]) == D("20")


def test_allocate_later_void_and_errors_in_the_shared_model(books, api):
    d1 = books.deliver(1, 50)
    s = api.post("/finance/settlements", {"kind": "receipt", "partner": books.customer.pk, "amount": "80",
                                          "post": True}).json()
    r = api.post(f"/finance/settlements/{s['id']}/allocate", {"allocations": [{"document": d1.pk, "amount": "60"}]})
    assert r.status_code == 409 and r.json()["code"] == "finance.over_allocated"
    assert set(r.json()) == {"code", "message", "data"} and r.json()["data"]["open"] == "50"
    r = api.post(f"/finance/settlements/{s['id']}/allocate", {"allocations": [{"document": d1.pk, "amount": "50"}]})
    assert r.status_code == 200 and D(r.json()["unallocated"]) == D("30")
    r = api.post(f"/documents/{d1.pk}/void", {"reason": "wrong"})
    assert r.status_code == 409 and r.json()["code"] == "finance.document_allocated"
    alloc = Allocation.objects.get(settlement_id=s["id"])
    r = api.post(f"/finance/allocations/{alloc.pk}/reverse")
    assert r.status_code == 200 and D(r.json()["amount"]) == D("-50")
    r = api.post(f"/finance/settlements/{s['id']}/void", {"reason": ""})
    assert r.status_code == 422
    r = api.post(f"/finance/settlements/{s['id']}/void", {"reason": "bounced"})
    assert r.status_code == 200 and r.json()["status"] == "voided"
    assert sum(e.amount for e in PartnerEntry.objects.filter(settlement_id=s["id"])) == 0
    r = api.post("/finance/settlements", {"kind": "receipt", "partner": books.customer.pk, "amount": "-1"})
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    r = api.post("/finance/settlements", {"kind": "payment", "partner": books.customer.pk, "amount": "1"})
    assert r.status_code == 422 and r.json()["code"] == "partner.wrong_role"


def test_drafts_post_and_cancel_and_the_list(books, api):
    a = api.post("/finance/settlements", {"kind": "payment", "partner": books.supplier.pk, "amount": "7"}).json()
    b = api.post("/finance/settlements", {"kind": "payment", "partner": books.supplier.pk, "amount": "8"}).json()
    assert api.post(f"/finance/settlements/{a['id']}/post").json()["status"] == "posted"
    assert api.post(f"/finance/settlements/{b['id']}/cancel", {"reason": "typo"}).json()["status"] == "cancelled"
    r = api.post(f"/finance/settlements/{b['id']}/post")
    assert r.status_code == 409 and r.json()["code"] == "document.invalid_transition"
    page = api.get("/finance/settlements", {"kind": "payment", "status": "posted"}).json()
    assert [i["number"] for i in page["items"]] == [a["number"]]
    assert api.get(f"/finance/partners/{books.supplier.pk}/balance").json()["payable"] == "-7.00"


def test_terms_and_permissions_and_other_companies(books, api):
    r = api.put(f"/finance/partners/{books.customer.pk}/terms", {"payment_terms_days": 45})
    assert r.status_code == 200 and r.json()["payment_terms_days"] == 45
    keeper = Api(books.user("keeper1", Role.KEEPER))
    assert keeper.get("/finance/aging").status_code == 403
    r = keeper.post("/finance/settlements", {"kind": "receipt", "partner": books.customer.pk, "amount": "1"})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    other = Api(Books("OTHER").admin)
    mine = api.post("/finance/settlements", {"kind": "receipt", "partner": books.customer.pk, "amount": "1"}).json()
    assert other.get(f"/finance/settlements/{mine['id']}").status_code == 404
    assert other.get(f"/finance/partners/{books.customer.pk}/balance").status_code == 404


def test_stock_tracking_switch(books, api):
    assert api.get("/finance/stock-tracking").json() == {"stock_tracking": True}
    r = api.put("/finance/stock-tracking", {"enabled": False})  # the books' opening stock has moved
    assert r.status_code == 409 and r.json()["code"] == "company.has_stock"
    fresh = Api(Books("FRESH", trading=True).admin)
    assert fresh.get("/finance/stock-tracking").json() == {"stock_tracking": False}
    assert fresh.put("/finance/stock-tracking", {"enabled": True}).json() == {"stock_tracking": True}


def test_a_retried_receipt_with_the_same_idempotency_key_is_recorded_once(books, api):
    body = {"kind": "receipt", "partner": books.customer.pk, "amount": "25", "post": True}
    first = api.post("/finance/settlements", body, key="pay-once")
    again = api.post("/finance/settlements", body, key="pay-once")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Settlement.objects.count() == 1
    assert api.get(f"/finance/partners/{books.customer.pk}/balance").json()["receivable"] == "-25.00"


def test_a_returns_credit_is_applied_through_the_api(books, api):
    d1 = books.deliver(10, 10)
    books.receive_money("100", allocations=[(d1, "100")])
    ret = books.give_back(d1, 2)  # d1 is paid: the 20 stays as a credit
    d2 = books.deliver(1, 30)
    r = api.post(f"/finance/credits/{ret.pk}/allocate", {"allocations": [{"document": d2.pk, "amount": "25"}]})
    assert r.status_code == 409 and r.json()["code"] == "finance.credit_exceeded"
    r = api.post(f"/finance/credits/{ret.pk}/allocate", {"allocations": [{"document": d2.pk, "amount": "20"}]})
    assert r.status_code == 200 and [D(a["amount"]) for a in r.json()] == [D("20")]
    r = api.post(f"/finance/credits/{d2.pk}/allocate", {"allocations": [{"document": d1.pk, "amount": "1"}]})
    assert r.status_code == 409 and r.json()["code"] == "finance.not_a_credit"
    opened = api.get(f"/finance/partners/{books.customer.pk}/open-documents").json()
    assert [(o["number"], o["open"]) for o in opened] == [(d2.number, "10.00")]
