"""Every document kind, posted through the services: where its goods go and at what value."""

from decimal import Decimal as D

import pytest

from openjxc.documents import services as docs
from openjxc.documents.kinds import KINDS
from openjxc.stock.models import LocationKind as L
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, qty_at, refused, route, valuation


def test_every_registered_kind_is_covered_here():
    assert set(KINDS) == {
        "opening", "purchase_receipt", "purchase_return", "sales_delivery", "sales_return", "transfer_out",
        "transfer_in", "write_off", "gain", "other_in", "other_out",
        "purchase_request", "purchase_order", "sales_quote", "sales_order",  # orders: tests/orders/
        "purchase_bill",  # supplier bills: tests/finance/test_bills.py
        "stock_count",  # count adjustments: tests/counts/
        "material_issue", "finished_goods_receipt",  # production: tests/documents/test_production_kinds.py
    }


def test_opening_brings_stock_in_from_the_opening_location_at_its_amount(shop):
    doc = shop.post("opening", [line(shop.flour, 100, "4.50")])
    assert doc.number.startswith("QCRK-")
    assert route(doc) == [(L.OPENING, L.INTERNAL, D("100"), D("450.00"))]
    assert valuation(shop.flour, shop.main) == (D("100"), D("450.00"))
    assert_ledger_consistent()


def test_opening_without_a_price_uses_the_items_purchase_price(shop):
    doc = shop.post("opening", [line(shop.flour, 10)])
    assert route(doc) == [(L.OPENING, L.INTERNAL, D("10"), D("50.00"))]


def test_purchase_receipt_comes_from_the_supplier_at_the_line_amount(shop):
    doc = shop.receive(shop.flour, 10, "5.10")
    assert doc.number.startswith("CGRK-")
    assert doc.total_amount == D("51.00")
    assert route(doc) == [(L.SUPPLIER, L.INTERNAL, D("10"), D("51.00"))]
    assert doc.lines.get().cost_amount == D("51.00")
    assert_ledger_consistent()


def test_purchase_return_goes_back_at_the_receipts_cost_not_the_average(shop):
    receipt = shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")  # average is now 6
    ret = docs.create_from(receipt, by=shop.admin, kind="purchase_return")
    src = receipt.lines.get()
    docs.update_document(ret, by=shop.admin, lines=[line(shop.flour, 4, source_line=src.pk)])
    ret = docs.advance_document(ret, by=shop.admin, to="posted")
    assert ret.number.startswith("CGTH-")
    assert route(ret) == [(L.INTERNAL, L.SUPPLIER, D("4"), D("20.00"))]
    assert valuation(shop.flour, shop.main) == (D("16"), D("100.00"))
    assert_ledger_consistent()


def test_purchase_return_beyond_what_was_received_is_refused(shop):
    receipt = shop.receive(shop.flour, 10, "5.00")
    src = receipt.lines.get()
    first = docs.create_from(receipt, by=shop.admin, kind="purchase_return")
    docs.update_document(first, by=shop.admin, lines=[line(shop.flour, 6, source_line=src.pk)])
    docs.advance_document(first, by=shop.admin, to="posted")
    with refused("document.exceeds_source") as info:
        docs.create_document(by=shop.admin, kind="purchase_return", warehouse=shop.main, partner=shop.supplier,
                             source=receipt, lines=[line(shop.flour, 5, source_line=src.pk)])
    assert info.value.data["remaining"] == D("4")
    assert info.value.data["requested"] == D("5")


def test_sales_delivery_goes_to_the_customer_at_the_moving_average(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")
    doc = shop.sell(shop.flour, 5)
    assert doc.number.startswith("XSCK-")
    assert doc.total_amount == D("40.00")  # the item's sale price 8 by default
    assert route(doc) == [(L.INTERNAL, L.CUSTOMER, D("5"), D("30.00"))]
    assert doc.lines.get().cost_amount == D("30.00")
    assert_ledger_consistent()


def test_sales_return_comes_back_at_the_deliverys_cost(shop):
    shop.receive(shop.flour, 10, "5.00")
    delivery = shop.sell(shop.flour, 10)  # cost 50
    shop.receive(shop.flour, 10, "9.00")  # average now 9
    src = delivery.lines.get()
    ret = docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                               source=delivery, lines=[line(shop.flour, 3, source_line=src.pk)])
    ret = docs.advance_document(ret, by=shop.admin, to="posted")
    assert ret.number.startswith("XSTH-")
    assert route(ret) == [(L.CUSTOMER, L.INTERNAL, D("3"), D("15.00"))]
    assert valuation(shop.flour, shop.main) == (D("13"), D("105.00"))
    assert_ledger_consistent()


def test_sales_return_beyond_what_was_delivered_is_refused_at_create_and_at_post(shop):
    shop.receive(shop.flour, 10, "5.00")
    delivery = shop.sell(shop.flour, 5)
    src = delivery.lines.get()
    with refused("document.exceeds_source"):
        docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                             source=delivery, lines=[line(shop.flour, 6, source_line=src.pk)])
    # two drafts that each fit, but not together: the second is refused when posted
    a = docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                             source=delivery, lines=[line(shop.flour, 3, source_line=src.pk)])
    b = docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                             source=delivery, lines=[line(shop.flour, 3, source_line=src.pk)])
    docs.advance_document(a, by=shop.admin, to="posted")
    b = docs.advance_document(b, by=shop.admin, to="approved")
    with refused("document.exceeds_source"):
        docs.post_document(b, by=shop.admin)
    assert qty_at(shop.flour, shop.main) == D("8")
    assert_ledger_consistent()


def test_return_lines_must_point_at_a_source_line_of_the_same_item(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.water, 10, "1.00")
    delivery = shop.sell(shop.flour, 5)
    src = delivery.lines.get()
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                             source=delivery, lines=[line(shop.water, 1, source_line=src.pk)])
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                             source=delivery, lines=[line(shop.flour, 1)])


def test_transfer_goes_through_transit_and_arrives_at_the_cost_it_left(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")
    out = shop.post("transfer_out", [line(shop.flour, 8)], to_warehouse=shop.second)
    assert out.number.startswith("DBCK-")
    assert route(out) == [(L.INTERNAL, L.TRANSIT, D("8"), D("48.00"))]
    assert qty_at(shop.flour, shop.main) == D("12")
    assert qty_at(shop.flour, shop.second) == 0
    # the receive step: created from the transfer-out, in the destination warehouse
    arrival = docs.create_from(out, by=shop.admin, kind="transfer_in")
    assert arrival.warehouse_id == shop.second.pk
    arrival = docs.advance_document(arrival, by=shop.admin, to="posted")
    assert arrival.number.startswith("DBRK-")
    assert route(arrival) == [(L.TRANSIT, L.INTERNAL, D("8"), D("48.00"))]
    assert valuation(shop.flour, shop.second) == (D("8"), D("48.00"))
    assert valuation(shop.flour, shop.main) == (D("12"), D("72.00"))
    assert_ledger_consistent()


def test_transfer_in_must_be_received_in_the_destination_warehouse(shop):
    shop.receive(shop.flour, 10, "5.00")
    out = shop.post("transfer_out", [line(shop.flour, 8)], to_warehouse=shop.second)
    src = out.lines.get()
    with refused("validation.failed") as info:
        docs.create_document(by=shop.admin, kind="transfer_in", warehouse=shop.store, source=out,
                             lines=[line(shop.flour, 8, source_line=src.pk)])
    assert info.value.data["field"] == "warehouse"
    with refused("document.exceeds_source"):
        docs.create_document(by=shop.admin, kind="transfer_in", source=out,
                             lines=[line(shop.flour, 9, source_line=src.pk)])


def test_transfer_to_the_same_warehouse_is_refused(shop):
    shop.receive(shop.flour, 10, "5.00")
    with refused("validation.failed") as info:
        docs.create_document(by=shop.admin, kind="transfer_out", warehouse=shop.main, to_warehouse=shop.main,
                             lines=[line(shop.flour, 1)])
    assert info.value.data["field"] == "to_warehouse"
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="transfer_out", warehouse=shop.main, lines=[line(shop.flour, 1)])


def test_write_off_goes_to_scrap_at_the_average(shop):
    shop.receive(shop.flour, 3, "1.00")
    shop.receive(shop.flour, 3, "2.00")
    doc = shop.post("write_off", [line(shop.flour, 2)])
    assert doc.number.startswith("BSD-")
    assert route(doc) == [(L.INTERNAL, L.SCRAP, D("2"), D("3.00"))]
    assert_ledger_consistent()


@pytest.mark.parametrize("price, value", [("2.50", D("10.00")), (None, D("24.00"))])
def test_gain_comes_in_at_its_price_or_else_at_the_average(shop, price, value):
    shop.receive(shop.flour, 10, "6.00")
    doc = shop.post("gain", [line(shop.flour, 4, price)])
    assert doc.number.startswith("BYD-")
    assert route(doc) == [(L.GAIN, L.INTERNAL, D("4"), value)]
    assert valuation(shop.flour, shop.main) == (D("14"), D("60.00") + value)
    assert_ledger_consistent()


def test_other_in_and_other_out_use_the_other_location(shop):
    doc_in = shop.post("other_in", [line(shop.flour, 5, "3.00")])
    assert doc_in.number.startswith("QTRK-")
    assert route(doc_in) == [(L.OTHER, L.INTERNAL, D("5"), D("15.00"))]
    doc_out = shop.post("other_out", [line(shop.flour, 2)])
    assert doc_out.number.startswith("QTCK-")
    assert route(doc_out) == [(L.INTERNAL, L.OTHER, D("2"), D("6.00"))]
    assert_ledger_consistent()


@pytest.mark.parametrize("kind", ["sales_delivery", "transfer_out", "write_off", "other_out", "purchase_return"])
def test_outgoing_kinds_refuse_more_than_is_on_hand(shop, kind):
    receipt = shop.receive(shop.flour, 5, "5.00")
    delivery = shop.sell(shop.flour, 2)  # 3 left
    extra = {
        "sales_delivery": {"partner": shop.customer},
        "transfer_out": {"to_warehouse": shop.second},
        "purchase_return": {"partner": shop.supplier, "source": receipt},
    }.get(kind, {})
    kw = {"source_line": receipt.lines.get().pk} if kind == "purchase_return" else {}
    doc = docs.create_document(by=shop.admin, kind=kind, warehouse=shop.main, lines=[line(shop.flour, 4, **kw)],
                               **extra)
    doc = docs.advance_document(doc, by=shop.admin, to="approved")
    with refused("stock.insufficient") as info:
        docs.post_document(doc, by=shop.admin)
    data = info.value.data
    assert data["item"] == shop.flour
    assert data["location"].warehouse_id == shop.main.pk
    assert (data["available"], data["requested"]) == (D("3"), D("4"))
    assert info.value.as_dict()["data"]["available"] == "3"
    doc.refresh_from_db()
    assert doc.status == "approved"
    assert delivery.status == "posted"
    assert qty_at(shop.flour, shop.main) == D("3")
    assert_ledger_consistent()


def test_alternative_unit_is_converted_to_the_base_unit(shop):
    doc = shop.post("purchase_receipt", [line(shop.water, 2, "14.40", unit=shop.box.code)], partner=shop.supplier)
    ln = doc.lines.get()
    assert (ln.unit_id, ln.unit_quantity, ln.factor, ln.quantity) == (shop.box.pk, D("2"), D("12"), D("24"))
    assert ln.amount == D("28.80")
    assert route(doc) == [(L.SUPPLIER, L.INTERNAL, D("24"), D("28.80"))]
    assert valuation(shop.water, shop.main) == (D("24"), D("28.80"))
    # sold by the bottle, priced per box by default (2 per bottle -> 24 per box)
    sale = shop.post("sales_delivery", [line(shop.water, 1, unit=shop.box)], partner=shop.customer)
    assert sale.lines.get().quantity == D("12")
    assert sale.lines.get().amount == D("24.00")
    assert qty_at(shop.water, shop.main) == D("12")
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.flour, 1, unit=shop.box)])
    assert_ledger_consistent()


# each partial return is valued at its rounded share; the last part takes the rest of the value
def test_returning_a_receipt_in_parts_returns_exactly_its_value(shop):
    receipt = shop.post("purchase_receipt", [line(shop.flour, 3, "3.333334")], partner=shop.supplier)
    src = receipt.lines.get()
    assert src.cost_amount == D("10.00")
    returned = D(0)
    for _ in range(3):
        ret = docs.create_document(by=shop.admin, kind="purchase_return", warehouse=shop.main,
                                   partner=shop.supplier, source=receipt, lines=[line(shop.flour, 1, source_line=src.pk)])
        returned += docs.advance_document(ret, by=shop.admin, to="posted").lines.get().cost_amount
    assert_ledger_consistent()
    assert returned == D("10.00")
