"""Orders and prices through the REST API: the same error model, idempotency keys, company isolation."""

import datetime as dt
from decimal import Decimal as D

from openjxc.catalog import services as catalog
from openjxc.documents.models import Document, Status
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent

DAY = "2026-11-02"


def order_body(shop, kind="purchase_order", qty="10", price="5.65", **extra):
    partner = shop.supplier if kind.startswith("purchase") else shop.customer
    body = {"kind": kind, "warehouse": shop.main.pk, "partner": partner.pk, "business_on": DAY,
            "prices_include_tax": True,
            "lines": [{"item": shop.flour.pk, "quantity": qty, "unit_price": price, "tax_rate": "0.13",
                       "promised_on": "2026-11-05"}]}
    body.update(extra)
    return body


def test_purchase_order_progress_trail_and_close(api, shop):
    # a tax-inclusive purchase order: 10 x 5.65 = 56.50 with tax, 50.00 without
    r = api.post("/documents", order_body(shop, advance_to="posted"), key="po-1")
    assert r.status_code == 201, r.content
    po = r.json()
    assert po["number"].startswith("CGDD-") and po["status"] == "posted" and po["prices_include_tax"] is True
    assert (D(po["total_amount"]), D(po["tax_total"]), D(po["total_with_tax"])) == (D("50.00"), D("6.50"), D("56.50"))
    assert po["lines"][0]["promised_on"] == "2026-11-05" and D(po["lines"][0]["tax_rate"]) == D("0.13")

    # 下推 to a receipt keeps the tax-inclusive price; receive 4 of it
    r = api.post(f"/orders/{po['id']}/push", {"kind": "purchase_receipt", "business_on": "2026-11-06"}, key="push-1")
    assert r.status_code == 201, r.content
    receipt = r.json()
    assert receipt["source"] == po["id"] and D(receipt["lines"][0]["quantity"]) == 10
    line = receipt["lines"][0]
    r = api.put(f"/documents/{receipt['id']}", {
        "warehouse": shop.main.pk, "partner": shop.supplier.pk, "prices_include_tax": True,
        "lines": [{"item": shop.flour.pk, "quantity": "4", "unit_price": line["unit_price"], "tax_rate": "0.13",
                   "source_line": line["source_line"]}]})
    assert r.status_code == 200, r.content
    assert D(r.json()["total_with_tax"]) == D("22.60")
    assert api.post(f"/documents/{receipt['id']}/approve").status_code == 409  # still a draft: submit first
    for action in ("submit", "approve", "post"):
        assert api.post(f"/documents/{receipt['id']}/{action}").status_code == 200

    r = api.get(f"/orders/{po['id']}/progress")
    assert r.status_code == 200, r.content
    prog = r.json()
    assert prog["status"] == "partial"
    assert [(D(x["ordered"]), D(x["fulfilled"]), D(x["remaining"]), x["status"]) for x in prog["lines"]] == [
        (D(10), D(4), D(6), "partial")]

    # over-receipt: 7 more of the 6 left is refused with the error model
    body = {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": shop.supplier.pk, "source": po["id"],
            "advance_to": "posted", "lines": [{"item": shop.flour.pk, "quantity": "7", "unit_price": "5",
                                               "source_line": po["lines"][0]["id"]}]}
    r = api.post("/documents", body, key="over-1")
    assert r.status_code == 409 and r.json()["code"] == "document.over_receipt"
    assert D(r.json()["data"]["remaining"]) == 6 and "left on order" in r.json()["message"]

    # the trail from the receipt goes up to the order; from the order down to the receipt
    trail = api.get(f"/orders/trail/{receipt['id']}").json()
    assert [x["number"] for x in trail["upstream"]] == [po["number"]]
    assert [x["number"] for x in api.get(f"/orders/trail/{po['id']}").json()["downstream"]] == [receipt["number"]]

    # on-time: received on the 6th, promised on the 5th; with a day's grace 4 of 10 came in time: still late
    rate = api.get("/orders/on-time", {"date_from": "2026-11-01", "date_to": "2026-11-30"}).json()
    assert rate == [{"supplier": shop.supplier.pk, "lines": 1, "on_time": 0, "rate": "0.0000", "ordered": "10.0000",
                     "received_on_time": "0.0000", "qty_rate": "0.0000"}]
    rate = api.get("/orders/on-time", {"date_from": "2026-11-01", "date_to": "2026-11-30", "grace_days": 1}).json()
    assert (rate[0]["on_time"], rate[0]["received_on_time"], rate[0]["qty_rate"]) == (0, "4.0000", "0.4000")

    # close needs a reason; then the order is closed, once (the key replays the first answer)
    assert api.post(f"/orders/{po['id']}/close", {}).status_code == 422
    r = api.post(f"/orders/{po['id']}/close", {"reason": "剩余不要了"}, key="close-1")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["close_reason"] == "剩余不要了"
    assert api.post(f"/orders/{po['id']}/close", {"reason": "剩余不要了"}, key="close-1").status_code == 200
    r = api.post(f"/orders/{po['id']}/close", {"reason": "again"}, key="close-2")
    assert r.status_code == 409 and r.json()["code"] == "document.invalid_transition"
    assert api.get(f"/orders/{po['id']}/progress").json()["lines"][0]["status"] == "closed"
    r = api.post(f"/orders/{receipt['id']}/close", {"reason": "x"})
    assert r.status_code == 422 and r.json()["code"] == "document.not_an_order"
    assert_ledger_consistent()


def test_progress_of_something_not_an_order_is_refused(api, shop):
    doc = shop.receive(shop.flour, 1, "5")
    r = api.get(f"/orders/{doc.pk}/progress")
    assert r.status_code == 422 and r.json()["code"] == "document.not_an_order"


def test_sales_order_credit_limit_and_availability(api, shop):
    shop.receive(shop.flour, 20, "5")
    assert api.patch(f"/partners/{shop.customer.pk}", {"credit_limit": "100"}).status_code == 200
    r = api.post("/documents", order_body(shop, "sales_order", qty="12", price="9.04", advance_to="posted"))
    assert r.status_code == 409, r.content
    err = r.json()
    assert err["code"] == "partner.credit_limit_exceeded"
    assert (D(err["data"]["limit"]), D(err["data"]["outstanding"]), D(err["data"]["amount"])) == (
        D("100"), D("0"), D("108.48"))
    assert not Document.objects.filter(kind="sales_order").exists()

    r = api.post("/documents", order_body(shop, "sales_order", qty="5", price="9.04", advance_to="posted"))
    assert r.status_code == 201, r.content
    r = api.get("/orders/available", {"item": shop.flour.pk, "warehouse": shop.main.pk})
    assert r.status_code == 200
    assert {k: D(str(v)) for k, v in r.json().items()} == {
        "item": shop.flour.pk, "warehouse": shop.main.pk, "on_hand": D(20), "reserved": D(5), "available": D(15)}


def test_price_lists_crud_and_lookup(api, shop):
    r = api.post("/pricing/customer-groups", {"code": "VIP", "name": "会员", "members": [shop.customer.pk]})
    assert r.status_code == 201, r.content
    group = r.json()
    body = {"name": "会员价", "customer_group": group["id"], "valid_from": "2026-01-01",
            "items": [{"item": shop.water.pk, "price": "1.80"},
                      {"item": shop.water.pk, "price": "18.00", "unit": shop.box.pk},
                      {"item": shop.water.pk, "price": "1.60", "min_quantity": "100"}]}
    r = api.post("/pricing/price-lists", body, key="pl-1")
    assert r.status_code == 201, r.content
    pl = r.json()
    assert len(pl["items"]) == 3

    def lookup(**params):
        return api.get("/pricing/price", {"item": shop.water.pk, "partner": shop.customer.pk, "on": "2026-06-01",
                                          **params})

    assert D(lookup(quantity="5").json()["unit_price"]) == D("1.80")
    assert D(lookup(quantity="120").json()["unit_price"]) == D("1.60")
    assert D(lookup(quantity="2", unit=shop.box.pk).json()["unit_price"]) == D("18.00")
    assert lookup(quantity="5", on="2025-12-31").json()["price_list"] is None  # before the list: item's price
    assert D(lookup(quantity="5").json()["tax_rate"]) == D("0.13")

    # both a customer and a group: refused; a repeated quantity break: refused
    bad = {**body, "partner": shop.customer.pk}
    r = api.post("/pricing/price-lists", bad)
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    r = api.patch(f"/pricing/price-lists/{pl['id']}", {"items": [body["items"][0], body["items"][0]]})
    assert r.status_code == 422
    r = api.patch(f"/pricing/price-lists/{pl['id']}", {"name": "会员价2026", "is_active": False})
    assert r.status_code == 200 and r.json()["name"] == "会员价2026" and len(r.json()["items"]) == 3
    assert lookup(quantity="5").json()["price_list"] is None  # inactive
    assert api.get("/pricing/price-lists").json()["count"] == 1
    assert api.delete(f"/pricing/price-lists/{pl['id']}").status_code == 204
    assert api.get(f"/pricing/price-lists/{pl['id']}").status_code == 404
    assert [D(x) for x in api.get("/pricing/vat-rates").json()] == [D("0.13"), D("0.09"), D("0.06"), D("0.03"), 0]

    # the group's members are replaced: the customer leaves it, another company's partner cannot join
    r = api.put(f"/pricing/customer-groups/{group['id']}/members", {"members": []})
    assert r.status_code == 200 and r.json()["members"] == []
    r = api.put(f"/pricing/customer-groups/{group['id']}/members", {"members": [shop.supplier.pk, 10**9]})
    assert r.status_code == 422 and r.json()["data"]["field"] == "members"
    assert [g["members"] for g in api.get("/pricing/customer-groups").json()] == [[]]


def test_price_lists_are_per_company_and_need_master_data_rights(api, shop, other, as_user):
    pl = api.post("/pricing/price-lists", {"name": "A", "items": [{"item": shop.water.pk, "price": "2"}]}).json()
    outsider = Api(other.admin)
    assert outsider.get(f"/pricing/price-lists/{pl['id']}").status_code == 404
    r = outsider.post("/pricing/price-lists", {"name": "B", "items": [{"item": shop.water.pk, "price": "2"}]})
    assert r.status_code == 422  # another company's item
    keeper = as_user("keeper1", "keeper")
    assert keeper.post("/pricing/price-lists", {"name": "C"}).status_code == 403


def test_reorder_suggestions_become_draft_purchase_orders(api, shop):
    # given flour bought from the supplier at 5.20, 30 kg on hand, reorder at 60 up to 200; 20 already on order
    shop.receive(shop.flour, 30, "5.20")
    catalog.set_levels(shop.flour, shop.main, by=shop.admin, reorder_point=D("60"), max_stock=D("200"))
    catalog.set_levels(shop.water, shop.main, by=shop.admin, reorder_point=D("10"))
    api.post("/documents", order_body(shop, qty="20", advance_to="posted"))
    r = api.get("/orders/reorder-suggestions")
    assert r.status_code == 200
    rows = {x["item"]: x for x in r.json()}
    flour = rows[shop.flour.pk]
    assert (D(flour["on_hand"]), D(flour["on_order"]), D(flour["position"]), D(flour["quantity"])) == (
        D(30), D(20), D(50), D(150))
    assert flour["supplier"] == shop.supplier.pk
    water = rows[shop.water.pk]
    assert D(water["quantity"]) == D(20) and water["supplier"] is None  # never bought: twice the reorder point

    # water needs a supplier to be given; then one draft order per supplier
    sel = [{"item": shop.flour.pk, "warehouse": shop.main.pk}, {"item": shop.water.pk, "warehouse": shop.main.pk}]
    r = api.post("/orders/reorder-suggestions/purchase-orders", {"lines": sel})
    assert r.status_code == 422 and r.json()["data"]["field"] == "lines[2].supplier"
    r = api.post("/orders/reorder-suggestions/purchase-orders", {"lines": sel, "supplier": shop.supplier.pk},
                 key="reorder-1")
    assert r.status_code == 201, r.content
    [po] = r.json()
    assert po["kind"] == "purchase_order" and po["status"] == Status.DRAFT
    assert [(x["item"], D(x["quantity"]), D(x["unit_price"])) for x in po["lines"]] == [
        (shop.flour.pk, D(150), D("5.20")), (shop.water.pk, D(20), D("1.20"))]
    assert dt.date.fromisoformat(po["business_on"])


def test_order_settings_are_for_administrators_and_audited(api, shop, as_user):
    assert api.get("/orders/settings").json() == {"over_receipt_tolerance": "0",
                                                 "refuse_sales_beyond_available": False}
    r = api.put("/orders/settings", {"over_receipt_tolerance": "5"}, key="settings-1")
    assert r.status_code == 200 and D(r.json()["over_receipt_tolerance"]) == 5
    assert api.put("/orders/settings", {"over_receipt_tolerance": "150"}).status_code == 422
    assert as_user("buyer1", "purchaser").put("/orders/settings", {"over_receipt_tolerance": "9"}).status_code == 403
    from openjxc.core.models import AuditRecord

    assert AuditRecord.objects.filter(action="settings", after__over_receipt_tolerance="5").exists()

    # 5% over 10 ordered: 10.5 may come in, 10.6 may not
    po = api.post("/documents", order_body(shop, advance_to="posted")).json()
    body = {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": shop.supplier.pk, "source": po["id"],
            "advance_to": "posted", "lines": [{"item": shop.flour.pk, "quantity": "10.6", "unit_price": "5",
                                               "source_line": po["lines"][0]["id"]}]}
    r = api.post("/documents", body)
    assert r.status_code == 409 and D(r.json()["data"]["remaining"]) == D("10.5")
    body["lines"][0]["quantity"] = "10.5"
    assert api.post("/documents", body).status_code == 201
    assert api.get(f"/orders/{po['id']}/progress").json()["lines"][0]["status"] == "done"


def test_a_scoped_user_sees_only_their_warehouses_in_the_trail(api, shop, as_user):
    po = api.post("/documents", order_body(shop, advance_to="posted")).json()
    for wh in (shop.main, shop.second):
        body = {"kind": "purchase_receipt", "warehouse": wh.pk, "partner": shop.supplier.pk, "source": po["id"],
                "advance_to": "posted", "lines": [{"item": shop.flour.pk, "quantity": "1", "unit_price": "5",
                                                   "source_line": po["lines"][0]["id"]}]}
        assert api.post("/documents", body).status_code == 201
    assert len(api.get(f"/orders/trail/{po['id']}").json()["downstream"]) == 2
    keeper = as_user("keeper-main", "keeper", warehouses=[shop.main])
    down = keeper.get(f"/orders/trail/{po['id']}").json()["downstream"]
    assert [Document.objects.get(pk=d["id"]).warehouse_id for d in down] == [shop.main.pk]


def test_request_pushed_down_to_an_order_needs_a_supplier(api, shop):
    body = {"kind": "purchase_request", "warehouse": shop.main.pk, "advance_to": "posted",
            "custom": {"department": "烘焙部"},
            "lines": [{"item": shop.flour.pk, "quantity": "30", "promised_on": "2026-11-20"}]}
    req = api.post("/documents", body).json()
    assert req["number"].startswith("QGD-") and req["partner"] is None
    r = api.post(f"/orders/{req['id']}/push", {"kind": "purchase_order"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "partner"
    r = api.post(f"/orders/{req['id']}/push", {"kind": "purchase_order", "partner": shop.customer.pk})
    assert r.status_code == 422 and r.json()["code"] == "partner.wrong_role"
    r = api.post(f"/orders/{req['id']}/push", {"kind": "purchase_order", "partner": shop.supplier.pk}, key="req-po")
    assert r.status_code == 201, r.content
    po = r.json()
    assert po["source"] == req["id"] and po["custom"] == {"department": "烘焙部"}
    assert po["lines"][0]["promised_on"] == "2026-11-20" and po["lines"][0]["source_line"] == req["lines"][0]["id"]
    # a sales order cannot be pushed from a purchase request
    r = api.post(f"/orders/{req['id']}/push", {"kind": "sales_order", "partner": shop.customer.pk})
    assert r.status_code == 422 and r.json()["code"] == "document.source_kind"
