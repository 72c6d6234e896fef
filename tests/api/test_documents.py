"""Document stories through the API: create, edit drafts, the lifecycle, 下推, permissions and scoping."""

from decimal import Decimal as D

from openjxc.documents.models import Document
from openjxc.stock.models import StockMove
from tests.api.conftest import Api, counts, receipt_body
from tests.conftest import assert_ledger_consistent


def test_kinds(api):
    kinds = {k["code"]: k for k in api.get("/documents/kinds").json()}
    assert kinds["purchase_receipt"]["prefix"] == "CGRK"
    assert kinds["sales_return"]["sources"] == ["sales_delivery"]
    assert kinds["transfer_out"]["needs_to_warehouse"] is True


def test_receipt_lifecycle_step_by_step(api, shop):
    # given a draft receipt in boxes of water
    body = receipt_body(shop, item=shop.water, qty="2", price="14.40", memo="第一批", custom={"truck": "沪A12345"})
    body["lines"][0]["unit"] = "BOX"
    r = api.post("/documents", body)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["status"] == "draft" and doc["number"].startswith("CGRK-")
    assert D(doc["lines"][0]["quantity"]) == 24 and doc["lines"][0]["unit_code"] == "BOX"
    assert doc["custom"] == {"truck": "沪A12345"}

    # when the draft is edited: PATCH changes only the memo, PUT replaces the lines
    r = api.patch(f"/documents/{doc['id']}", {"memo": "改了"})
    assert r.json()["memo"] == "改了" and len(r.json()["lines"]) == 1
    put = receipt_body(shop, item=shop.water, qty="3", price="1.20")
    del put["kind"]
    r = api.put(f"/documents/{doc['id']}", put)
    assert r.status_code == 200, r.content
    assert D(r.json()["total_quantity"]) == 3 and r.json()["lines"][0]["unit_code"] == "PCS"

    # then submit, approve, post
    for action, status in (("submit", "submitted"), ("approve", "approved"), ("post", "posted")):
        r = api.post(f"/documents/{doc['id']}/{action}")
        assert r.status_code == 200, r.content
        assert r.json()["status"] == status
    assert D(r.json()["lines"][0]["cost_amount"]) == D("3.60")

    # a posted document cannot be edited or posted into another state
    r = api.patch(f"/documents/{doc['id']}", {"memo": "late"})
    assert r.status_code == 409 and r.json()["code"] == "document.invalid_transition"
    r = api.post(f"/documents/{doc['id']}/submit")
    assert r.status_code == 409

    # void needs a reason
    r = api.post(f"/documents/{doc['id']}/void", {})
    assert r.status_code == 422
    r = api.post(f"/documents/{doc['id']}/void", {"reason": "供应商送错"})
    assert r.status_code == 200 and r.json()["status"] == "voided" and r.json()["void_reason"] == "供应商送错"
    assert_ledger_consistent()


def test_reject_and_cancel(api, shop):
    doc = api.post("/documents", receipt_body(shop, advance_to="submitted")).json()
    assert doc["status"] == "submitted"
    r = api.post(f"/documents/{doc['id']}/reject", {"reason": "价格不对"})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = api.post(f"/documents/{doc['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert StockMove.objects.count() == 0


def test_sale_return_via_create_from(api, shop):
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    sale = api.post("/documents", {
        "kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
        "lines": [{"item": shop.flour.pk, "quantity": "4"}], "advance_to": "posted",
    }).json()
    assert sale["status"] == "posted" and D(sale["lines"][0]["unit_price"]) == 8
    r = api.post(f"/documents/{sale['id']}/create-from", {"kind": "sales_return"})
    assert r.status_code == 201, r.content
    ret = r.json()
    assert ret["source"] == sale["id"] and D(ret["lines"][0]["quantity"]) == 4
    line = ret["lines"][0]
    r = api.patch(f"/documents/{ret['id']}", {"lines": [
        {"item": shop.flour.pk, "quantity": "1", "source_line": line["source_line"]}]})
    assert r.status_code == 200, r.content
    for action in ("submit", "approve", "post"):
        assert api.post(f"/documents/{ret['id']}/{action}").status_code == 200
    # the sale cannot be voided while a posted return points at it
    r = api.post(f"/documents/{sale['id']}/void", {"reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "document.has_children"
    r = api.post(f"/documents/{sale['id']}/create-from", {"kind": "transfer_in"})
    assert r.status_code == 422  # a sale cannot become a transfer-in
    assert_ledger_consistent()


def test_transfer_out_and_in(api, shop):
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    out = api.post("/documents", {
        "kind": "transfer_out", "warehouse": shop.main.pk, "to_warehouse": shop.store.pk,
        "lines": [{"item": shop.flour.pk, "quantity": "6"}], "advance_to": "posted",
    }).json()
    r = api.post(f"/documents/{out['id']}/create-from", {"kind": "transfer_in"})
    assert r.status_code == 201 and r.json()["warehouse"] == shop.store.pk
    r = api.post(f"/documents/{r.json()['id']}/submit")
    assert r.status_code == 200
    assert_ledger_consistent()


def test_list_filters(api, shop):
    api.post("/documents", receipt_body(shop, advance_to="posted", business_on="2026-01-05"))
    api.post("/documents", receipt_body(shop, business_on="2026-02-10"))
    api.post("/documents", {"kind": "write_off", "warehouse": shop.main.pk,
                            "lines": [{"item": shop.flour.pk, "quantity": "1"}], "business_on": "2026-02-11"})
    def numbers(**params):
        return [d["number"] for d in api.get("/documents", params).json()["items"]]
    assert len(numbers()) == 3
    assert len(numbers(kind="purchase_receipt")) == 2
    assert len(numbers(status="posted")) == 1
    assert len(numbers(date_from="2026-02-01", date_to="2026-02-10")) == 1
    assert len(numbers(partner=shop.supplier.pk, warehouse=shop.main.pk)) == 2
    assert numbers(number="BSD-") and all(n.startswith("BSD-") for n in numbers(number="BSD-"))
    assert api.get("/documents", {"status": "nonsense"}).status_code == 422
    assert api.get("/documents", {"date_from": "2026-13-45"}).status_code == 422


def test_salesperson_cannot_approve_or_void(api, as_user, shop):
    seller = as_user("seller", "salesperson")
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    r = seller.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                                   "lines": [{"item": shop.flour.pk, "quantity": "2"}], "advance_to": "submitted"})
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["lines"][0]["cost_amount"] is None  # cost hidden from a salesperson, the sale price shown
    assert doc["lines"][0]["unit_price"] == "8.000000" and doc["total_amount"] == "16.00"
    # a purchase receipt's prices are costs: hidden too
    receipt = seller.get("/documents", {"kind": "purchase_receipt"}).json()["items"][0]
    assert receipt["total_amount"] is None
    line = seller.get(f"/documents/{receipt['id']}").json()["lines"][0]
    assert line["unit_price"] is None and line["amount"] is None and line["cost_amount"] is None
    assert api.get(f"/documents/{receipt['id']}").json()["lines"][0]["unit_price"] == "5.000000"
    r = seller.post(f"/documents/{doc['id']}/approve")
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert Document.objects.get(pk=doc["id"]).status == "submitted"
    # advance_to through approval is refused as a whole: no draft is left behind
    before = counts()
    r = seller.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk,
                                   "partner": shop.customer.pk, "advance_to": "posted",
                                   "lines": [{"item": shop.flour.pk, "quantity": "2"}]})
    assert r.status_code == 403
    assert counts() == before
    # a salesperson cannot create a purchase receipt
    r = seller.post("/documents", receipt_body(shop))
    assert r.status_code == 403
    assert_ledger_consistent()


def test_scoped_cashier_sees_only_their_store(api, as_user, shop):
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    main_doc = api.post("/documents", receipt_body(shop, qty="1", price="5")).json()
    out = api.post("/documents", {"kind": "transfer_out", "warehouse": shop.main.pk, "to_warehouse": shop.store.pk,
                                  "lines": [{"item": shop.flour.pk, "quantity": "5"}], "advance_to": "posted"}).json()
    cashier = as_user("till", "cashier", warehouses=[shop.store])

    # the cashier sees the transfer to their store, not the main warehouse's receipts
    listed = [d["id"] for d in cashier.get("/documents").json()["items"]]
    assert listed == [out["id"]]
    r = cashier.get(f"/documents/{main_doc['id']}")
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    # cannot act on another warehouse's document, nor create one there
    before = counts()
    r = cashier.post(f"/documents/{main_doc['id']}/cancel")
    assert r.status_code == 403
    r = cashier.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk,
                                    "partner": shop.customer.pk, "lines": [{"item": shop.flour.pk, "quantity": "1"}]})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert counts() == before

    # sells in their own store
    r = api.post(f"/documents/{out['id']}/create-from", {"kind": "transfer_in"})
    api.post(f"/documents/{r.json()['id']}/submit")
    api.post(f"/documents/{r.json()['id']}/approve")
    assert cashier.post(f"/documents/{r.json()['id']}/post").status_code == 200
    r = cashier.post("/documents", {"kind": "sales_delivery", "warehouse": shop.store.pk,
                                    "partner": shop.customer.pk, "lines": [{"item": shop.flour.pk, "quantity": "1"}],
                                    "advance_to": "submitted"})
    assert r.status_code == 201, r.content
    assert_ledger_consistent()


def test_another_company(api, other):
    them = Api(other.admin)
    doc = them.post("/documents", receipt_body(other, advance_to="posted")).json()
    before = counts()
    assert api.get(f"/documents/{doc['id']}").status_code == 404
    for action in ("submit", "approve", "post", "cancel"):
        r = api.post(f"/documents/{doc['id']}/{action}")
        assert r.status_code == 404 and r.json()["code"] == "document.not_found"
    r = api.post(f"/documents/{doc['id']}/void", {"reason": "x"})
    assert r.status_code == 404
    r = api.post(f"/documents/{doc['id']}/create-from", {"kind": "purchase_return"})
    assert r.status_code == 404
    # their warehouse, partner and item are not found from my company
    r = api.post("/documents", receipt_body(other))
    assert r.status_code == 404 and r.json()["code"] == "warehouse.not_found"
    assert api.get("/documents").json()["count"] == 0
    assert counts() == before
    assert_ledger_consistent()


def test_insufficient_stock_is_a_conflict_and_writes_nothing(api, shop):
    before = counts()
    r = api.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                                "lines": [{"item": shop.flour.pk, "quantity": "1"}], "advance_to": "posted"})
    assert r.status_code == 409 and r.json()["code"] == "stock.insufficient"
    assert counts() == before
    assert_ledger_consistent()
