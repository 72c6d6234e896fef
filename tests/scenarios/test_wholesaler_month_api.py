"""A wholesaler's November, entirely through the REST API (token auth, an Idempotency-Key on every write):
a price list with a quantity break for a customer group; purchase request -> purchase order -> two partial
receipts (one late) -> an over-receipt refused -> a purchase return -> the order closed short; a sales order
at list prices -> two partial deliveries -> a sales return; a prepayment allocated later; one supplier
payment against two receipts, partly; an idempotent retry; statement, aging, order progress and the
purchase on-time rate. It ends with both ledger checks and balances worked out by hand."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Settlement
from openjxc.stock.ledger import check_ledger
from openjxc.stock.models import StockMove
from tests.api.conftest import Api

D = Decimal
VAT = "0.13"


def nov(day: int) -> str:
    return f"2026-11-{day:02d}"


class Client:
    """The API client, giving every write its own Idempotency-Key (as a careful integration would)."""

    def __init__(self, api: Api):
        self.api = api
        self._keys = itertools.count(1)

    def key(self) -> str:
        return f"month-{next(self._keys)}"

    def get(self, path, params=None):
        r = self.api.get(path, params)
        assert r.status_code == 200, (path, r.content)
        return r.json()

    def post(self, path, body=None, *, key=None, expect=(200, 201)):
        r = self.api.post(path, body, key=key or self.key())
        assert r.status_code in ((expect,) if isinstance(expect, int) else expect), (path, r.content)
        return r.json()

    def put(self, path, body, *, expect=200):
        r = self.api.put(path, body, key=self.key())
        assert r.status_code == expect, (path, r.content)
        return r.json()

    def refused(self, method, path, body, status, code):
        r = getattr(self.api, method)(path, body, key=self.key())
        assert r.status_code == status, (path, r.content)
        err = r.json()
        assert set(err) == {"code", "message", "data"} and err["code"] == code and err["message"], err
        return err


def line(item, quantity, price, *, source_line=None, promised_on=None):
    out = {"item": item.pk, "quantity": str(quantity), "unit_price": str(price), "tax_rate": VAT}
    if source_line:
        out["source_line"] = source_line
    if promised_on:
        out["promised_on"] = promised_on
    return out


def progress(c: Client, order_id: int):
    p = c.get(f"/orders/{order_id}/progress")
    return p["status"], [(D(x["ordered"]), D(x["fulfilled"]), D(x["returned"]), D(x["billed"]), x["status"])
                         for x in p["lines"]]


@pytest.fixture
def c(shop):
    return Client(Api(shop.admin))


def test_a_wholesalers_month_through_the_api(c, shop):
    api = c.api
    flour, water, sup, cust = shop.flour, shop.water, shop.supplier, shop.customer

    # ------------------------------------------------------------ prices
    # given a customer group of wholesale customers and its tax-exclusive price list with quantity breaks
    group = c.post("/pricing/customer-groups", {"code": "PF", "name": "批发客户", "members": [cust.pk]})
    c.post("/pricing/price-lists", {
        "name": "批发价 2026", "customer_group": group["id"], "valid_from": nov(1), "valid_to": "2026-12-31",
        "items": [{"item": flour.pk, "price": "7.00", "tax_inclusive": False},
                  {"item": flour.pk, "price": "6.80", "min_quantity": "50", "tax_inclusive": False},
                  {"item": water.pk, "price": "1.50", "tax_inclusive": False},
                  {"item": water.pk, "price": "1.40", "min_quantity": "100", "tax_inclusive": False}]})
    c.put(f"/finance/partners/{cust.pk}/terms", {"payment_terms_days": 15})

    # ------------------------------------------------------------ purchasing
    # given the bakery department asks for flour and water, needed by the 5th
    req = c.post("/documents", {"kind": "purchase_request", "warehouse": shop.main.pk, "business_on": nov(1),
                                "advance_to": "posted", "custom": {"department": "采购部"},
                                "lines": [{"item": flour.pk, "quantity": "100", "promised_on": nov(5)},
                                          {"item": water.pk, "quantity": "240", "promised_on": nov(5)}]})
    # when the buyer pushes it down to a purchase order for the supplier and prices it (tax-exclusive, 13% VAT)
    po = c.post(f"/orders/{req['id']}/push", {"kind": "purchase_order", "partner": sup.pk, "business_on": nov(2)})
    assert po["source"] == req["id"] and po["status"] == "draft"
    fl, wl = po["lines"]
    po = c.put(f"/documents/{po['id']}", {
        "warehouse": shop.main.pk, "partner": sup.pk, "business_on": nov(2), "prices_include_tax": False,
        "lines": [line(flour, 100, "5.00", source_line=fl["source_line"], promised_on=nov(5)),
                  line(water, 240, "1.00", source_line=wl["source_line"], promised_on=nov(5))]})
    for action in ("submit", "approve", "post"):
        po = c.post(f"/documents/{po['id']}/{action}")
    # then 500 + 240 = 740.00 before tax, 65.00 + 31.20 tax, 836.20 in all
    assert po["status"] == "posted" and po["number"].startswith("CGDD-")
    assert (D(po["total_amount"]), D(po["tax_total"]), D(po["total_with_tax"])) == (D("740.00"), D("96.20"),
                                                                                    D("836.20"))
    fl, wl = po["lines"]
    assert fl["promised_on"] == wl["promised_on"] == nov(5)

    def receipt(day, lines, *, key=None, **kw):
        return c.post("/documents", {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": sup.pk,
                                     "source": po["id"], "business_on": nov(day), "prices_include_tax": False,
                                     "advance_to": "posted", "lines": lines}, key=key, **kw)

    # when 60 kg of flour and all the water arrive on the 4th (on time) ...
    r1 = receipt(4, [line(flour, 60, "5.00", source_line=fl["id"]), line(water, 240, "1.00", source_line=wl["id"])])
    assert D(r1["total_with_tax"]) == D("610.20")  # 300 + 39 + 240 + 31.20
    # ... and 30 kg more on the 9th, four days after the promised date
    r2 = receipt(9, [line(flour, 30, "5.00", source_line=fl["id"])])
    assert D(r2["total_with_tax"]) == D("169.50")
    # then 11 kg more is refused: only 10 are left on the order (no tolerance), and nothing is written
    moves = StockMove.objects.count()
    err = c.refused("post", "/documents", {
        "kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": sup.pk, "source": po["id"],
        "business_on": nov(10), "advance_to": "posted", "lines": [line(flour, 11, "5.00", source_line=fl["id"])]},
        409, "document.over_receipt")
    assert D(err["data"]["remaining"]) == D("10") and D(err["data"]["requested"]) == D("11")
    assert StockMove.objects.count() == moves

    # when 5 kg of the late delivery go back to the supplier
    r2_line = r2["lines"][0]["id"]
    ret_p = c.post("/documents", {"kind": "purchase_return", "warehouse": shop.main.pk, "partner": sup.pk,
                                  "source": r2["id"], "business_on": nov(12), "prices_include_tax": False,
                                  "advance_to": "posted", "lines": [line(flour, 5, "5.00", source_line=r2_line)]})
    assert D(ret_p["total_with_tax"]) == D("28.25")
    assert progress(c, po["id"]) == ("partial", [(D(100), D(90), D(5), D(0), "partial"),
                                                 (D(240), D(240), D(0), D(0), "done")])
    # and the rest of the flour is no longer expected: the order is closed short
    closed = c.post(f"/orders/{po['id']}/close", {"reason": "供应商缺货"})
    assert closed["status"] == "closed" and closed["close_reason"] == "供应商缺货"
    assert progress(c, po["id"]) == ("closed", [(D(100), D(90), D(5), D(0), "closed"),
                                                (D(240), D(240), D(0), D(0), "closed")])
    # the trail: request -> order -> receipts -> return
    trail = c.get(f"/orders/trail/{ret_p['id']}")
    assert [x["number"] for x in trail["upstream"]] == [r2["number"], po["number"], req["number"]]

    # then the on-time rate: two order lines were promised for the 5th; the water came in full by then, the
    # flour did not (60 of 100): one of two lines on time; by quantity 300 of the 340 ordered
    rate = c.get("/orders/on-time", {"date_from": nov(1), "date_to": nov(30), "supplier": sup.pk})
    assert rate == [{"supplier": sup.pk, "lines": 2, "on_time": 1, "rate": "0.5000", "ordered": "340.0000",
                     "received_on_time": "300.0000", "qty_rate": "0.8824"}]

    # ------------------------------------------------------------ sales
    # given the customer pays 300 ahead on the 3rd (a prepayment, allocated to nothing)
    prepay_body = {"kind": "receipt", "partner": cust.pk, "amount": "300.00", "business_on": nov(3),
                   "method": "bank", "post": True}
    prepaid = c.post("/finance/settlements", prepay_body, key="prepay-1103")
    assert (D(prepaid["allocated"]), D(prepaid["unallocated"])) == (0, D("300"))
    # when the client retries the same request with the same key: the same answer, nothing doubled
    again = c.post("/finance/settlements", prepay_body, key="prepay-1103")
    assert again == prepaid and Settlement.objects.filter(kind="receipt").count() == 1
    # and the same key with another body is refused
    r = api.post("/finance/settlements", {**prepay_body, "amount": "3000.00"}, key="prepay-1103")
    assert r.status_code == 422 and r.json()["code"] == "idempotency.key_reused" and set(r.json()) == {
        "code", "message", "data"}
    assert Settlement.objects.filter(kind="receipt").count() == 1

    # when the customer orders 60 kg of flour and 120 bottles of water on the 6th, at the group's list prices
    def list_price(item, quantity):
        p = c.get("/pricing/price", {"item": item.pk, "partner": cust.pk, "quantity": str(quantity), "on": nov(6)})
        assert p["tax_inclusive"] is False and p["price_list"] is not None
        return D(p["unit_price"])

    assert list_price(flour, 10) == D("7.00") and list_price(water, 10) == D("1.50")
    pf, pw = list_price(flour, 60), list_price(water, 120)  # the quantity breaks
    assert (pf, pw) == (D("6.80"), D("1.40"))
    so = c.post("/documents", {"kind": "sales_order", "warehouse": shop.main.pk, "partner": cust.pk,
                               "business_on": nov(6), "prices_include_tax": False, "advance_to": "posted",
                               "lines": [line(flour, 60, pf, promised_on=nov(8)),
                                         line(water, 120, pw, promised_on=nov(8))]})
    # then 408.00 + 53.04 and 168.00 + 21.84
    assert (D(so["total_amount"]), D(so["tax_total"]), D(so["total_with_tax"])) == (D("576.00"), D("74.88"),
                                                                                    D("650.88"))
    sf, sw = so["lines"]
    avail = c.get("/orders/available", {"item": flour.pk, "warehouse": shop.main.pk})
    assert (D(avail["on_hand"]), D(avail["reserved"]), D(avail["available"])) == (D(85), D(60), D(25))

    def delivery(day, lines):
        return c.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": cust.pk,
                                     "source": so["id"], "business_on": nov(day), "prices_include_tax": False,
                                     "advance_to": "posted", "lines": lines})

    # when 40 kg and all the water go out on the 8th, the other 20 kg on the 16th
    d1 = delivery(8, [line(flour, 40, pf, source_line=sf["id"]), line(water, 120, pw, source_line=sw["id"])])
    assert D(d1["total_with_tax"]) == D("497.20")  # 272 + 35.36 + 168 + 21.84
    # (a delivery of 21 more would be refused: 20 are left)
    c.refused("post", "/documents", {
        "kind": "sales_delivery", "warehouse": shop.main.pk, "partner": cust.pk, "source": so["id"],
        "business_on": nov(16), "advance_to": "posted", "lines": [line(flour, 21, pf, source_line=sf["id"])]},
        409, "document.over_delivery")
    d2 = delivery(16, [line(flour, 20, pf, source_line=sf["id"])])
    assert D(d2["total_with_tax"]) == D("153.68")

    # when on the 10th the prepayment is applied to the first delivery
    applied = c.post(f"/finance/settlements/{prepaid['id']}/allocate",
                     {"allocations": [{"document": d1["id"], "amount": "300.00"}], "business_on": nov(10)})
    assert (D(applied["allocated"]), D(applied["unallocated"])) == (D("300"), 0)
    # and applying more than is left of the receipt is refused
    err = c.refused("post", f"/finance/settlements/{prepaid['id']}/allocate",
                    {"allocations": [{"document": d2["id"], "amount": "1.00"}], "business_on": nov(16)},
                    409, "finance.credit_exceeded")
    assert (D(err["data"]["left"]), D(err["data"]["requested"])) == (0, 1)

    # when on the 18th 5 kg of the first delivery come back (the credit goes against that delivery)
    ret_s = c.post("/documents", {"kind": "sales_return", "warehouse": shop.main.pk, "partner": cust.pk,
                                  "source": d1["id"], "business_on": nov(18), "prices_include_tax": False,
                                  "advance_to": "posted",
                                  "lines": [line(flour, 5, pf, source_line=d1["lines"][0]["id"])]})
    assert D(ret_s["total_with_tax"]) == D("38.42")  # 34.00 + 4.42
    # then the sales order: flour delivered 60, returned 5 (so 55 billable, 5 still to deliver), water done
    assert progress(c, so["id"]) == ("partial", [(D(60), D(60), D(5), D(55), "partial"),
                                                 (D(120), D(120), D(0), D(120), "done")])

    # ------------------------------------------------------------ paying the supplier
    # when on the 20th the supplier is paid 700: the first receipt in full, 50 of the second, 39.80 on account
    paid = c.post("/finance/settlements", {
        "kind": "payment", "partner": sup.pk, "amount": "700.00", "business_on": nov(20), "method": "bank",
        "post": True, "allocations": [{"document": r1["id"], "amount": "610.20"},
                                      {"document": r2["id"], "amount": "50.00"}]})
    assert (D(paid["allocated"]), D(paid["unallocated"])) == (D("660.20"), D("39.80"))
    # then the second receipt still has 169.50 - 28.25 (return) - 50 = 91.25 open
    opened = c.get(f"/finance/partners/{sup.pk}/open-documents", {"book": "payable"})
    assert [(o["number"], D(o["open"])) for o in opened] == [(r2["number"], D("91.25"))]
    credits = c.get(f"/finance/partners/{sup.pk}/credits", {"book": "payable"})
    assert [(x["number"], D(x["open"])) for x in credits] == [(paid["number"], D("39.80"))]

    # ------------------------------------------------------------ the month's books
    # by hand: the customer owes 497.20 + 153.68 - 38.42 - 300 = 312.46; we owe the supplier
    # 610.20 + 169.50 - 28.25 - 700 = 51.45
    customer_owes = D("497.20") + D("153.68") - D("38.42") - D("300.00")
    we_owe = D("610.20") + D("169.50") - D("28.25") - D("700.00")
    assert (customer_owes, we_owe) == (D("312.46"), D("51.45"))
    bal = c.get(f"/finance/partners/{cust.pk}/balance")
    assert (D(bal["receivable"]), D(bal["payable"])) == (customer_owes, 0)
    bal = c.get(f"/finance/partners/{sup.pk}/balance")
    assert (D(bal["receivable"]), D(bal["payable"])) == (0, we_owe)
    # the first delivery: 497.20 - 300 (prepayment) - 38.42 (return) = 158.78 open; the second all open
    opened = c.get(f"/finance/partners/{cust.pk}/open-documents")
    assert [(o["number"], D(o["open"]), o["due_on"]) for o in opened] == [
        (d1["number"], D("158.78"), nov(23)), (d2["number"], D("153.68"), "2026-12-01")]

    # the statement for the month: opening 0, four entries, closing what the customer owes
    st = c.get(f"/finance/partners/{cust.pk}/statement", {"date_from": nov(1), "date_to": nov(30)})
    assert (D(st["opening"]), D(st["increases"]), D(st["decreases"]), D(st["closing"])) == (
        0, D("650.88"), D("338.42"), customer_owes)
    assert [(x["business_on"], x["number"], D(x["amount"]), D(x["balance"])) for x in st["lines"]] == [
        (nov(3), prepaid["number"], D("-300.00"), D("-300.00")),
        (nov(8), d1["number"], D("497.20"), D("197.20")),
        (nov(16), d2["number"], D("153.68"), D("350.88")),
        (nov(18), ret_s["number"], D("-38.42"), customer_owes)]
    # and for the second half: the first half is the opening balance
    st = c.get(f"/finance/partners/{cust.pk}/statement", {"date_from": nov(10), "date_to": nov(30)})
    assert (D(st["opening"]), len(st["lines"]), D(st["closing"])) == (D("197.20"), 2, customer_owes)

    # aging on the 5th: only the unapplied prepayment
    (row,) = c.get("/finance/aging", {"as_of": nov(5), "partner": cust.pk})
    assert D(row["unapplied"]) == D("-300") and D(row["total"]) == D("-300")
    assert all(D(v) == 0 for v in row["buckets"].values())
    # aging on 25 January: d1 fell due on 23 November (63 days), d2 on 1 December (55 days)
    (row,) = c.get("/finance/aging", {"as_of": "2027-01-25", "partner": cust.pk})
    assert {k: D(v) for k, v in row["buckets"].items()} == {
        "0-30": 0, "31-60": D("153.68"), "61-90": D("158.78"), "90+": 0}
    assert (D(row["unapplied"]), D(row["total"])) == (0, customer_owes)
    (row,) = c.get("/finance/aging", {"book": "payable", "as_of": nov(30)})
    assert row["partner"] == sup.pk and (D(row["unapplied"]), D(row["total"])) == (D("-39.80"), we_owe)

    # ------------------------------------------------------------ the ledgers
    # stock: flour 60 + 30 - 5 - 40 - 20 + 5 = 30, water 240 - 120 = 120
    check = c.get("/stock/check-ledger")
    assert check == {"ok": True, "problems": []}
    assert check_ledger(shop.company.pk) == []
    assert check_partner_ledger() == []
    avail = c.get("/orders/available", {"item": flour.pk, "warehouse": shop.main.pk})
    assert (D(avail["on_hand"]), D(avail["reserved"])) == (D(30), D(5))
    assert D(c.get("/orders/available", {"item": water.pk, "warehouse": shop.main.pk})["on_hand"]) == D(120)


# ---------------------------------------------------------------- what the story could not do through the API yet


def test_a_sales_order_line_without_a_price_takes_the_price_list(c, shop):
    group = c.post("/pricing/customer-groups", {"code": "PF", "name": "批发客户", "members": [shop.customer.pk]})
    c.post("/pricing/price-lists", {"name": "批发价", "customer_group": group["id"],
                                    "items": [{"item": shop.flour.pk, "price": "6.80", "tax_inclusive": False}]})
    so = c.post("/documents", {"kind": "sales_order", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                               "business_on": nov(6), "prices_include_tax": False,
                               "lines": [{"item": shop.flour.pk, "quantity": "10", "tax_rate": VAT}]})
    assert D(so["lines"][0]["unit_price"]) == D("6.80")


def test_a_line_discount_through_the_api(c, shop):
    so = c.post("/documents", {"kind": "sales_order", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                               "business_on": nov(6), "prices_include_tax": False,
                               "lines": [{**line(shop.flour, 60, "6.80"), "discount_rate": "0.05"}]})
    # 408.00 less 5% (20.40) = 387.60, tax 50.39
    assert (D(so["total_amount"]), D(so["tax_total"])) == (D("387.60"), D("50.39"))
