"""Balances (now and as of a date), the item ledger, FEFO, the ledger check, and scoping of stock reads."""

import datetime as dt
from decimal import Decimal as D

from tests.api.conftest import receipt_body
from tests.conftest import assert_ledger_consistent


def _receive_milk(api, shop, lot, expires, qty, on):
    body = receipt_body(shop, item=shop.milk, qty=qty, price="3", advance_to="posted", business_on=on)
    body["lines"][0].update(lot_code=lot, expires_on=expires)
    r = api.post("/documents", body)
    assert r.status_code == 201, r.content
    return r.json()


def test_balances_ledger_fefo(api, shop):
    _receive_milk(api, shop, "L-LATE", "2099-03-01", "5", "2026-01-01")
    _receive_milk(api, shop, "L-SOON", "2099-01-01", "4", "2026-01-02")
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted", business_on="2026-01-03"))

    rows = api.get("/stock/balances", {"item": shop.milk.pk}).json()
    assert rows["count"] == 2
    assert {r["lot_code"]: D(r["quantity"]) for r in rows["items"]} == {"L-LATE": 5, "L-SOON": 4}
    assert all(r["value"] is not None for r in rows["items"])

    # as of the first day only the first lot was there
    rows = api.get("/stock/balances", {"item": shop.milk.pk, "as_of": "2026-01-01"}).json()
    assert [(r["lot_code"], D(r["quantity"])) for r in rows["items"]] == [("L-LATE", 5)]
    assert api.get("/stock/balances", {"as_of": "2025-12-31"}).json()["count"] == 0

    ledger = api.get("/stock/ledger", {"item": shop.milk.pk}).json()  # newest first
    assert [D(r["quantity_after"]) for r in ledger] == [9, 5]
    assert ledger[0]["document_number"].startswith("CGRK-") and D(ledger[0]["value_after"]) == 27

    # FEFO: the lot that expires first is picked first
    fefo = api.get("/stock/fefo", {"item": shop.milk.pk, "warehouse": shop.main.pk, "quantity": "6"}).json()
    assert [(p["lot"], D(p["quantity"])) for p in fefo["picks"]] == [("L-SOON", 4), ("L-LATE", 2)]
    assert D(fefo["shortfall"]) == 0
    fefo = api.get("/stock/fefo", {"item": shop.milk.pk, "warehouse": shop.main.pk, "quantity": "20"}).json()
    assert D(fefo["shortfall"]) == 11
    assert api.get("/stock/fefo", {"item": shop.milk.pk, "quantity": "1"}).status_code == 422

    check = api.get("/stock/check-ledger").json()
    assert check == {"ok": True, "problems": []}
    assert_ledger_consistent()


def test_the_item_ledger_shows_the_newest_moves_first_and_pages_back_through_history(api, shop):
    # 30 receipts of 1..30 kg (465 kg), then 5 kg sold: 460 kg left
    for n in range(1, 31):
        api.post("/documents", receipt_body(shop, qty=str(n), price="2", advance_to="posted"))
    sale = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk, "advance_to": "posted",
            "lines": [{"item": shop.flour.pk, "quantity": "5", "unit_price": "3"}]}
    assert api.post("/documents", sale).status_code == 201
    first = api.get("/stock/ledger", {"item": shop.flour.pk, "limit": 10}).json()
    assert D(first[0]["quantity_change"]) == -5 and D(first[0]["quantity_after"]) == 460
    assert [D(r["quantity_change"]) for r in first[1:]] == list(range(30, 21, -1))
    # page back with the last id: every move exactly once, the balance after each consistent with its change
    seen, before = list(first), first[-1]["id"]
    while True:
        page = api.get("/stock/ledger", {"item": shop.flour.pk, "limit": 10, "before": before}).json()
        if not page:
            break
        seen += page
        before = page[-1]["id"]
    assert len(seen) == 31 and len({r["id"] for r in seen}) == 31
    assert [r["id"] for r in seen] == sorted((r["id"] for r in seen), reverse=True)
    for newer, older in zip(seen, seen[1:], strict=False):
        assert D(newer["quantity_after"]) - D(newer["quantity_change"]) == D(older["quantity_after"])
        assert D(newer["value_after"]) - D(newer["value_change"]) == D(older["value_after"])
    assert D(seen[-1]["quantity_after"]) == 1 and D(seen[-1]["value_after"]) == 2


def test_cost_hidden_and_ledger_check_refused(api, as_user, shop):
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    seller = as_user("seller", "salesperson")
    rows = seller.get("/stock/balances").json()["items"]
    assert rows and all(r["value"] is None for r in rows)
    ledger = seller.get("/stock/ledger", {"item": shop.flour.pk}).json()
    assert ledger[0]["value_after"] is None and ledger[0]["unit_cost"] is None
    r = seller.get("/stock/check-ledger")
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"


def test_scoped_cashier_stock(api, as_user, shop):
    api.post("/documents", receipt_body(shop, qty="10", price="5", advance_to="posted"))
    store_receipt = receipt_body(shop, qty="3", price="5", advance_to="posted", warehouse=shop.store.pk)
    api.post("/documents", store_receipt)
    cashier = as_user("till", "cashier", warehouses=[shop.store])
    rows = cashier.get("/stock/balances").json()["items"]
    assert [(r["warehouse"], D(r["quantity"])) for r in rows] == [(shop.store.pk, 3)]
    r = cashier.get("/stock/balances", {"warehouse": shop.main.pk})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    main_loc = shop.main.locations.get().pk
    assert cashier.get("/stock/balances", {"location": main_loc}).status_code == 403
    ledger = cashier.get("/stock/ledger", {"item": shop.flour.pk}).json()
    assert [D(r["quantity_after"]) for r in ledger] == [3]
    r = cashier.get("/stock/fefo", {"item": shop.flour.pk, "warehouse": shop.main.pk, "quantity": "1"})
    assert r.status_code == 403
    assert_ledger_consistent()


def test_other_company_stock_is_not_found(api, other):
    assert api.get("/stock/balances", {"item": other.flour.pk}).status_code == 404
    assert api.get("/stock/balances", {"warehouse": other.main.pk}).status_code == 404
    assert api.get("/stock/ledger", {"item": other.flour.pk}).status_code == 404


def test_balances_pagination_and_bad_filters(api, shop):
    assert api.get("/stock/balances", {"limit": 1000}).status_code == 422
    assert api.get("/stock/balances", {"as_of": "yesterday"}).status_code == 422
    assert api.get("/stock/balances", {"item": "abc"}).status_code == 422
    assert api.get("/stock/balances", {"item": str(10**30)}).status_code == 422
    assert api.get("/stock/ledger").status_code == 422
    assert api.get("/stock/fefo", {"item": shop.flour.pk, "warehouse": shop.main.pk,
                                   "quantity": "-1"}).status_code == 422
    assert api.get("/stock/balances", {"as_of": str(dt.date.max)}).status_code == 200
