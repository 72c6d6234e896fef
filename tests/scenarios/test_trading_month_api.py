"""A trading company's November (进销存无库存版), entirely through the REST API: stock tracking switched off
and payables booked from supplier bills (票到应付); a purchase order received in two parts and billed in
part; a sales order delivered in two parts (deliveries as records, out of a warehouse that never held
anything) with a return; a payment against two bills, a receipt from the customer; statement and aging.
Not one stock move is written, and the partners' balances are what we work out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.finance.ledger import check_partner_ledger
from openjxc.stock.ledger import check_ledger
from openjxc.stock.models import StockBalance, StockMove
from tests.api.conftest import Api
from tests.scenarios.test_wholesaler_month_api import Client, line, nov, progress

D = Decimal


@pytest.fixture
def c(shop):
    return Client(Api(shop.admin))


def test_a_trading_companys_month_through_the_api(c, shop):
    flour, sup, cust = shop.flour, shop.supplier, shop.customer

    # given a company that trades without keeping stock books, and books payables from suppliers' bills
    assert c.get("/finance/stock-tracking") == {"stock_tracking": True}
    assert c.put("/finance/stock-tracking", {"enabled": False}) == {"stock_tracking": False}
    assert c.put("/finance/payable-from", {"source": "bill"}) == {"payable_from": "bill"}

    # when it orders 200 kg of flour at 4.50 before 13% VAT, promised for the 5th
    po = c.post("/documents", {"kind": "purchase_order", "warehouse": shop.main.pk, "partner": sup.pk,
                               "business_on": nov(2), "prices_include_tax": False, "advance_to": "posted",
                               "lines": [line(flour, 200, "4.50", promised_on=nov(5))]})
    assert D(po["total_with_tax"]) == D("1017.00")
    pl = po["lines"][0]

    # and 120 kg come in on the 5th, 80 kg on the 11th (late)
    def receive(day, quantity):
        return c.post("/documents", {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": sup.pk,
                                     "source": po["id"], "business_on": nov(day), "prices_include_tax": False,
                                     "advance_to": "posted", "lines": [line(flour, quantity, "4.50",
                                                                            source_line=pl["id"])]})

    r1, r2 = receive(5, 120), receive(11, 80)
    assert (D(r1["total_with_tax"]), D(r2["total_with_tax"])) == (D("610.20"), D("406.80"))
    # then nothing is owed yet: in this company the bill books the payable, not the goods
    assert D(c.get(f"/finance/partners/{sup.pk}/balance")["payable"]) == 0
    # and the payable source can no longer be switched
    c.refused("put", "/finance/payable-from", {"source": "receipt"}, 409, "company.payable_mode_locked")

    # when the supplier bills the first receipt in full (下推) and 50 kg of the second
    draft = c.post(f"/documents/{r1['id']}/create-from", {"kind": "purchase_bill", "business_on": nov(6)})
    assert draft["status"] == "draft" and D(draft["lines"][0]["quantity"]) == 120
    for action in ("submit", "approve", "post"):
        b1 = c.post(f"/documents/{draft['id']}/{action}")
    b2 = c.post("/documents", {"kind": "purchase_bill", "warehouse": shop.main.pk, "partner": sup.pk,
                               "source": r2["id"], "business_on": nov(12), "prices_include_tax": False,
                               "advance_to": "posted",
                               "lines": [{"item": flour.pk, "quantity": "50", "tax_rate": "0.13",
                                          "source_line": r2["lines"][0]["id"]}]})
    # then the bills take the receipts' prices and tax: 540 + 70.20 and 225 + 29.25
    assert b1["number"].startswith("CGFP-") and D(b1["total_with_tax"]) == D("610.20")
    assert D(b2["lines"][0]["unit_price"]) == D("4.50") and D(b2["total_with_tax"]) == D("254.25")
    # and billing 31 kg more of the second receipt (30 are left) is refused
    c.refused("post", "/documents", {
        "kind": "purchase_bill", "warehouse": shop.main.pk, "partner": sup.pk, "source": r2["id"],
        "business_on": nov(13), "advance_to": "posted",
        "lines": [{"item": flour.pk, "quantity": "31", "source_line": r2["lines"][0]["id"]}]},
        409, "document.exceeds_source")
    assert progress(c, po["id"]) == ("done", [(D(200), D(200), D(0), D(170), "done")])
    rate = c.get("/orders/on-time", {"date_from": nov(1), "date_to": nov(30)})
    # one order line promised for the 5th, 120 of its 200 kg in by then: late; 60 % by quantity
    assert rate == [{"supplier": sup.pk, "lines": 1, "on_time": 0, "rate": "0.0000", "ordered": "200.0000",
                     "received_on_time": "120.0000", "qty_rate": "0.6000"}]

    # when the customer orders 150 kg at 7.00 before tax, and takes 100 on the 7th and 50 on the 14th,
    # straight from a warehouse that holds nothing on the books
    so = c.post("/documents", {"kind": "sales_order", "warehouse": shop.second.pk, "partner": cust.pk,
                               "business_on": nov(3), "prices_include_tax": False, "advance_to": "posted",
                               "lines": [line(flour, 150, "7.00", promised_on=nov(7))]})
    sl = so["lines"][0]

    def deliver(day, quantity):
        return c.post("/documents", {"kind": "sales_delivery", "warehouse": shop.second.pk, "partner": cust.pk,
                                     "source": so["id"], "business_on": nov(day), "prices_include_tax": False,
                                     "advance_to": "posted", "lines": [line(flour, quantity, "7.00",
                                                                            source_line=sl["id"])]})

    d1, d2 = deliver(7, 100), deliver(14, 50)
    assert (D(d1["total_with_tax"]), D(d2["total_with_tax"])) == (D("791.00"), D("395.50"))
    # and 10 kg of the first delivery come back on the 17th
    ret = c.post("/documents", {"kind": "sales_return", "warehouse": shop.second.pk, "partner": cust.pk,
                                "source": d1["id"], "business_on": nov(17), "prices_include_tax": False,
                                "advance_to": "posted",
                                "lines": [line(flour, 10, "7.00", source_line=d1["lines"][0]["id"])]})
    assert D(ret["total_with_tax"]) == D("79.10")
    assert progress(c, so["id"]) == ("partial", [(D(150), D(150), D(10), D(140), "partial")])

    # when the supplier is paid 800 on the 20th: the first bill in full, 189.80 of the second
    paid = c.post("/finance/settlements", {
        "kind": "payment", "partner": sup.pk, "amount": "800.00", "business_on": nov(20), "post": True,
        "allocations": [{"document": b1["id"], "amount": "610.20"}, {"document": b2["id"], "amount": "189.80"}]})
    assert (D(paid["allocated"]), D(paid["unallocated"])) == (D("800.00"), 0)
    # (a receipt cannot be paid: in this company it books nothing, so nothing is open on it)
    err = c.refused("post", "/finance/settlements", {
        "kind": "payment", "partner": sup.pk, "amount": "1.00", "business_on": nov(20), "post": True,
        "allocations": [{"document": r2["id"], "amount": "1.00"}]}, 409, "finance.over_allocated")
    assert (err["data"]["number"], D(err["data"]["open"])) == (r2["number"], 0)
    # and the customer pays 600 on the 25th against the first delivery
    got = c.post("/finance/settlements", {
        "kind": "receipt", "partner": cust.pk, "amount": "600.00", "business_on": nov(25), "post": True,
        "allocations": [{"document": d1["id"], "amount": "600.00"}]})

    # then, by hand: the customer owes 791 + 395.50 - 79.10 - 600 = 507.40; we owe 610.20 + 254.25 - 800 = 64.45
    customer_owes = D("791.00") + D("395.50") - D("79.10") - D("600.00")
    we_owe = D("610.20") + D("254.25") - D("800.00")
    assert (customer_owes, we_owe) == (D("507.40"), D("64.45"))
    assert D(c.get(f"/finance/partners/{cust.pk}/balance")["receivable"]) == customer_owes
    assert D(c.get(f"/finance/partners/{sup.pk}/balance")["payable"]) == we_owe
    opened = c.get(f"/finance/partners/{cust.pk}/open-documents")
    assert [(o["number"], D(o["open"])) for o in opened] == [(d1["number"], D("111.90")), (d2["number"], D("395.50"))]
    opened = c.get(f"/finance/partners/{sup.pk}/open-documents", {"book": "payable"})
    assert [(o["number"], D(o["open"])) for o in opened] == [(b2["number"], we_owe)]

    # the customer's statement for November
    st = c.get(f"/finance/partners/{cust.pk}/statement", {"date_from": nov(1), "date_to": nov(30)})
    assert (D(st["opening"]), D(st["increases"]), D(st["decreases"]), D(st["closing"])) == (
        0, D("1186.50"), D("679.10"), customer_owes)
    assert [(x["number"], D(x["amount"])) for x in st["lines"]] == [
        (d1["number"], D("791.00")), (d2["number"], D("395.50")), (ret["number"], D("-79.10")),
        (got["number"], D("-600.00"))]
    # the supplier's: the bills, not the receipts
    st = c.get(f"/finance/partners/{sup.pk}/statement", {"book": "payable", "date_from": nov(1), "date_to": nov(30)})
    assert [x["number"] for x in st["lines"]] == [b1["number"], b2["number"], paid["number"]]
    assert D(st["closing"]) == we_owe

    # aging on 10 January (no terms: due on the day): d1 is 64 days old, d2 57; the bill 59
    (row,) = c.get("/finance/aging", {"as_of": "2027-01-10"})
    assert row["partner"] == cust.pk and {k: D(v) for k, v in row["buckets"].items()} == {
        "0-30": 0, "31-60": D("395.50"), "61-90": D("111.90"), "90+": 0}
    (row,) = c.get("/finance/aging", {"book": "payable", "as_of": "2027-01-10"})
    assert row["partner"] == sup.pk and D(row["buckets"]["31-60"]) == we_owe == D(row["total"])
    # and on the 10th of November: only the first delivery, wholly open
    (row,) = c.get("/finance/aging", {"as_of": nov(10)})
    assert D(row["buckets"]["0-30"]) == D("791.00") == D(row["total"])

    # then nothing at all went to the stock ledger, and both ledgers check out
    assert not StockMove.objects.filter(company=shop.company).exists()
    assert not StockBalance.objects.filter(item__company=shop.company).exists()
    assert c.get("/stock/check-ledger") == {"ok": True, "problems": []}
    assert check_ledger(shop.company.pk) == []
    assert check_partner_ledger() == []
