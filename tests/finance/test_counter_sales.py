"""Cash sales are paid sales: a delivery entered with a payment records its receipt(s) at posting, a return its
refund; a walk-in customer never carries a balance; voiding reverses the money; the day's takings by method.

Through the API (`POST /api/documents` with `payments`) and the till (`POST /api/sync/push`), each story ending
with the stock-ledger and partner-ledger checks."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from openjxc.core import clock
from openjxc.core.models import AuditRecord
from openjxc.documents import services as docs
from openjxc.documents.models import Document
from openjxc.finance.models import Allocation, PartnerEntry, Settlement, SettlementStatus
from openjxc.finance.selectors import open_credits, receivable_balance, takings
from openjxc.partners import services as partners
from openjxc.sync import terminals
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.finance.conftest import DAY, assert_partner_ledger_consistent

D = Decimal


@pytest.fixture
def api(books):
    return Api(books.admin)


@pytest.fixture
def walk_in(books):
    return partners.create_partner(by=books.admin, code="C000", name="门店散客", kind="customer", is_walk_in=True)


def _delivery(books, customer, qty, price, **extra) -> dict:
    return {"kind": "sales_delivery", "warehouse": books.main.pk, "partner": customer.pk,
            "business_on": str(DAY), "advance_to": "posted",
            "lines": [{"item": books.flour.pk, "quantity": str(qty), "unit_price": str(price)}], **extra}


def _checks(books):
    assert_ledger_consistent(books.company.pk)
    assert_partner_ledger_consistent(books.company.pk)


def test_a_delivery_paid_in_cash_through_the_api_records_its_receipt_and_leaves_no_receivable(books, api, walk_in):
    r = api.post("/documents", _delivery(books, walk_in, 3, 10, payments=[{"method": "cash"}]))
    assert r.status_code == 201, r.content
    doc = r.json()
    (s,) = Settlement.objects.filter(document_id=doc["id"])
    assert (s.kind, s.status, s.method, s.amount, s.partner_id) == ("receipt", "posted", "cash", D("30"), walk_in.pk)
    assert s.number.startswith("SKD-20260301-")
    (a,) = Allocation.objects.filter(settlement=s)
    assert (a.document_id, a.amount) == (doc["id"], D("30"))
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    listed = api.get("/finance/settlements", {"method": "cash"}).json()["items"]
    assert [(x["number"], x["document"]) for x in listed] == [(s.number, doc["id"])]
    assert AuditRecord.objects.filter(action="counter_settlement", object_id=str(s.pk), actor=books.admin).exists()
    _checks(books)


def test_a_mixed_payment_is_one_receipt_per_method_and_the_takings_split_by_method(books, api):
    r = api.post("/documents", _delivery(books, books.customer, 10, 10, payments=[
        {"method": "cash", "amount": "30.00"}, {"method": "wechat"}]))
    assert r.status_code == 201, r.content
    by_method = dict(Settlement.objects.filter(document_id=r.json()["id"]).values_list("method", "amount"))
    assert by_method == {"cash": D("30"), "wechat": D("70")}
    assert receivable_balance(books.company.pk, books.customer.pk) == 0
    takings = api.get("/finance/takings", {"date": str(DAY)}).json()
    assert [(t["method"], D(t["received"]), D(t["net"]), t["count"]) for t in takings] == [
        ("cash", D("30"), D("30"), 1), ("wechat", D("70"), D("70"), 1)]
    _checks(books)


def test_an_on_account_sale_to_a_named_customer_still_raises_the_receivable(books, api):
    r = api.post("/documents", _delivery(books, books.customer, 4, 10))
    assert r.status_code == 201, r.content
    assert not Settlement.objects.filter(document_id=r.json()["id"]).exists()
    assert receivable_balance(books.company.pk, books.customer.pk) == D("40")
    # part paid at once: the rest stays owed
    r = api.post("/documents", _delivery(books, books.customer, 2, 10, payments=[{"method": "card", "amount": "5"}]))
    assert r.status_code == 201, r.content
    assert receivable_balance(books.company.pk, books.customer.pk) == D("55")
    _checks(books)


def test_a_walk_in_customer_cannot_buy_without_paying_in_full_and_nothing_is_written(books, api, walk_in):
    before = (PartnerEntry.objects.count(), Settlement.objects.count())
    for payments in (None, [{"method": "cash", "amount": "29.99"}]):
        body = _delivery(books, walk_in, 3, 10, **({"payments": payments} if payments else {}))
        r = api.post("/documents", body)
        assert r.status_code == 422 and r.json()["code"] == "finance.walk_in_unpaid", r.content
    r = api.post("/documents", _delivery(books, walk_in, 3, 10, payments=[{"method": "cash", "amount": "31"}]))
    assert r.status_code == 422 and r.json()["code"] == "finance.overpaid"
    r = api.post("/documents", _delivery(books, walk_in, 3, 10, payments=[{"method": "cheque"}]))
    assert r.status_code == 422  # not a counter method
    receipt = {**_delivery(books, walk_in, 3, 10, payments=[{"method": "cash"}]), "kind": "purchase_receipt",
               "partner": books.supplier.pk}
    r = api.post("/documents", receipt)
    assert r.status_code == 422 and r.json()["data"]["field"] == "payments"  # money at once is for sales only
    assert (PartnerEntry.objects.count(), Settlement.objects.count()) == before
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    _checks(books)


def test_a_draft_entered_with_a_payment_records_the_receipt_when_it_is_posted(books, api):
    body = _delivery(books, books.customer, 2, 10, payments=[{"method": "alipay"}])
    del body["advance_to"]
    doc = api.post("/documents", body).json()
    assert not Settlement.objects.filter(document_id=doc["id"]).exists()
    for step in ("submit", "approve", "post"):
        r = api.post(f"/documents/{doc['id']}/{step}")
        assert r.status_code == 200, r.content
    assert Settlement.objects.get(document_id=doc["id"]).method == "alipay"
    assert receivable_balance(books.company.pk, books.customer.pk) == 0
    _checks(books)


def test_voiding_a_paid_delivery_voids_its_receipt_and_the_receipt_alone_cannot_be_voided(books, api, walk_in):
    doc = api.post("/documents", _delivery(books, walk_in, 3, 10, payments=[{"method": "cash"}])).json()
    s = Settlement.objects.get(document_id=doc["id"])
    r = api.post(f"/finance/settlements/{s.pk}/void", {"reason": "mistake"})
    assert r.status_code == 409 and r.json()["code"] == "finance.counter_settlement"
    r = api.post(f"/documents/{doc['id']}/void", {"reason": "wrong customer"})
    assert r.status_code == 200, r.content
    s.refresh_from_db()
    assert s.status == SettlementStatus.VOIDED
    assert api.get("/finance/takings", {"date": str(DAY)}).json() == []
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    _checks(books)


def test_a_return_of_a_cash_sale_is_refunded_and_leaves_no_balance_nor_open_credit(books, api, walk_in):
    sale = api.post("/documents", _delivery(books, walk_in, 5, 10, payments=[{"method": "cash"}])).json()
    line = sale["lines"][0]
    ret = {"kind": "sales_return", "warehouse": books.main.pk, "partner": walk_in.pk, "source": sale["id"],
           "business_on": str(DAY), "advance_to": "posted",
           "lines": [{"item": books.flour.pk, "quantity": "2", "unit_price": line["unit_price"],
                      "source_line": line["id"]}]}
    r = api.post("/documents", ret)
    assert r.status_code == 422 and r.json()["code"] == "finance.walk_in_unpaid"  # a walk-in is refunded in full
    r = api.post("/documents", {**ret, "payments": [{"method": "cash"}]})
    assert r.status_code == 201, r.content
    (refund,) = Settlement.objects.filter(document_id=r.json()["id"])
    assert (refund.kind, refund.amount, refund.number[:3]) == ("refund", D("20"), "TKD")
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    assert open_credits(books.company.pk, walk_in.pk, "receivable") == []
    (cash,) = api.get("/finance/takings", {"date": str(DAY)}).json()
    assert (D(cash["received"]), D(cash["refunded"]), D(cash["net"])) == (D("50"), D("20"), D("30"))
    # voiding the return voids its refund too
    assert api.post(f"/documents/{r.json()['id']}/void", {"reason": "kept it"}).status_code == 200
    refund.refresh_from_db()
    assert refund.status == SettlementStatus.VOIDED
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    _checks(books)


def test_a_refund_beyond_the_credit_left_after_paying_an_open_sale_is_refused(books, api):
    sale = api.post("/documents", _delivery(books, books.customer, 5, 10)).json()  # on account, unpaid
    line = sale["lines"][0]
    r = api.post("/documents", {
        "kind": "sales_return", "warehouse": books.main.pk, "partner": books.customer.pk, "source": sale["id"],
        "business_on": str(DAY), "advance_to": "posted", "payments": [{"method": "cash"}],
        "lines": [{"item": books.flour.pk, "quantity": "1", "unit_price": line["unit_price"],
                   "source_line": line["id"]}]})
    assert r.status_code == 422 and r.json()["code"] == "finance.refund_exceeds_credit", r.content
    assert receivable_balance(books.company.pk, books.customer.pk) == D("50")
    _checks(books)


# ---------------------------------------------------------------- at the till


def _push(raw, ops):
    body = {"client_time": clock.now().isoformat(), "ops": ops}
    return Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {raw}")


def _op(kind, **data):
    return {"id": str(uuid.uuid4()), "seq": 1, "type": kind, "created_at": clock.now().isoformat(), "data": data}


def test_till_sales_paid_cash_and_mixed_leave_the_walk_in_customer_at_zero_and_returns_refund(books, walk_in):
    terminal, raw = terminals.register_terminal(by=books.admin, code="POS1", name="一号收银台", kind="pos",
                                                warehouse=books.store, customer=walk_in)
    cash = _op("sale", lines=[{"item": "W001", "qty": "2", "price": "3.00"}],
               payment={"method": "cash", "amount": "6.00", "tendered": "10.00", "change": "4.00"})
    mixed = _op("sale", lines=[{"item": "W001", "qty": "4", "price": "3.00"}],
                payments=[{"method": "cash", "amount": "2.00"}, {"method": "wechat", "amount": "10.00"}])
    back = _op("return", sale_op=cash["id"], lines=[{"item": "W001", "qty": "1"}],
               payment={"method": "cash", "amount": "3.00", "refund": True})
    r = _push(raw, [cash, mixed, back])
    assert r.status_code == 200, r.content
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 3, r.json()
    rows = Settlement.objects.filter(till="POS1").order_by("pk")
    assert [(s.kind, s.method, s.amount) for s in rows] == [
        ("receipt", "cash", D("6")), ("receipt", "cash", D("2")), ("receipt", "wechat", D("10")),
        ("refund", "cash", D("3"))]
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    today = clock.today(books.company.time_zone)
    assert {t.method: t.net for t in takings(books.company.pk, today, today, till="POS1")} == {
        "cash": D("5"), "wechat": D("10")}
    _checks(books)


def test_a_till_sale_paid_short_for_a_walk_in_customer_is_refused_not_booked(books, walk_in):
    _terminal, raw = terminals.register_terminal(by=books.admin, code="POS1", name="一号收银台", kind="pos",
                                                 warehouse=books.store, customer=walk_in)
    op = _op("sale", lines=[{"item": "W001", "qty": "2", "price": "3.00"}],
             payments=[{"method": "cash", "amount": "5.00"}])
    (result,) = _push(raw, [op]).json()["results"]
    assert result["status"] == "refused" and result["error"]["code"] == "finance.walk_in_unpaid"
    assert receivable_balance(books.company.pk, walk_in.pk) == 0
    _checks(books)


# ---------------------------------------------------------------- the document form


def test_a_delivery_entered_on_the_document_form_as_paid_by_wechat_is_paid_when_posted(books, client):
    client.force_login(books.admin)
    r = client.post(reverse("web:document_new"), {
        "kind": "sales_delivery", "warehouse": books.main.pk, "partner": books.customer.pk,
        "business_on": str(DAY), "payment_method": "wechat",
        "line_item": ["F001"], "line_qty": ["3"], "line_price": ["10"]})
    assert r.status_code == 302, r.content.decode()[:2000]
    doc = Document.objects.get(kind="sales_delivery")
    assert doc.custom["payments"] == [{"method": "wechat"}]
    # the draft's page offers the payment again; it may be changed until posting
    edit = client.get(reverse("web:document_edit", args=[doc.pk]))
    assert 'value="wechat" selected' in edit.content.decode()
    docs.advance_document(doc, by=books.admin, to="posted")
    assert Settlement.objects.get(document=doc).method == "wechat"
    assert receivable_balance(books.company.pk, books.customer.pk) == 0
    _checks(books)


def test_the_receipts_page_filters_by_method(books, api, client):
    api.post("/documents", _delivery(books, books.customer, 1, 10, payments=[{"method": "cash"}]))
    api.post("/documents", _delivery(books, books.customer, 2, 10, payments=[{"method": "alipay"}]))
    cash, alipay = (Settlement.objects.get(method=m) for m in ("cash", "alipay"))
    client.force_login(books.admin)
    page = client.get(reverse("web:settlements"), {"method": "alipay"}).content.decode()
    assert alipay.number in page and cash.number not in page
    _checks(books)
