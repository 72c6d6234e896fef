"""Negative stock where a warehouse or location allows it: costed at the last cost, repaired by a receipt."""

from decimal import Decimal as D

from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.stock import services as stock
from openjxc.stock.models import LocationKind, StockBalance, StockMove
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, moves_of, qty_at, refused, valuation


def test_a_store_that_allows_negative_sells_beyond_stock_at_the_last_cost(shop):
    # given a store whose offline sales may take it negative, with 10 on hand at 5.00
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    shop.receive(shop.flour, 10, "5.00", warehouse=shop.store)
    # when 15 are sold
    sale = shop.sell(shop.flour, 15, warehouse=shop.store)
    # then the 10 go at their value and the 5 missing at the last cost, and it is flagged
    assert sale.lines.get().cost_amount == D("75.00")
    assert valuation(shop.flour, shop.store) == (D("-5"), D("-25.00"))
    changed = Event.objects.filter(topic="stock.changed", object_id=str(sale.pk)).get()
    assert changed.payload["negative"] and changed.payload["negative"][0]["quantity"] == "-5.0000"
    assert_ledger_consistent()

    # when a receipt of 20 at 6.00 arrives
    receipt = shop.receive(shop.flour, 20, "6.00", warehouse=shop.store)
    # then the 15 left are worth 15 x 6.00, and the difference is an explicit cost-adjustment move
    assert valuation(shop.flour, shop.store) == (D("15"), D("90.00"))
    adjustments = [m for m in moves_of(receipt) if m.is_adjustment]
    assert [(m.from_location.kind, m.to_location.warehouse_id, m.quantity, m.value) for m in adjustments] == [
        (LocationKind.ADJUSTMENT, shop.store.pk, D("0"), D("-5.00"))
    ]
    assert receipt.lines.get().cost_amount == D("120.00")  # the line's own value; the adjustment is apart
    assert_ledger_consistent()


def test_negative_stock_without_any_cost_history_is_repaired_at_the_receipts_cost(shop):
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    shop.sell(shop.flour, 4, warehouse=shop.store)  # no history: at the purchase price (5.00), not zero
    assert valuation(shop.flour, shop.store) == (D("-4"), D("-20.00"))
    shop.receive(shop.flour, 3, "7.00", warehouse=shop.store)
    assert valuation(shop.flour, shop.store) == (D("-1"), D("-7.00"))
    shop.receive(shop.flour, 1, "8.00", warehouse=shop.store)
    assert valuation(shop.flour, shop.store) == (D("0"), D("0.00"))
    assert_ledger_consistent()


def test_void_of_a_negative_sale_after_the_repair_keeps_the_books_balanced(shop):
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    shop.receive(shop.flour, 2, "5.00", warehouse=shop.store)
    sale = shop.sell(shop.flour, 6, warehouse=shop.store)  # -4 at 5.00
    shop.receive(shop.flour, 10, "6.00", warehouse=shop.store)  # repaired: 6 worth 36.00
    docs.void_document(sale, by=shop.admin, reason="收银员重复扫码")
    # the sale comes back at exactly what it took out (30.00)
    assert valuation(shop.flour, shop.store) == (D("12"), D("66.00"))
    assert_ledger_consistent()


def test_a_location_may_allow_negative_in_a_warehouse_that_does_not(shop):
    bin_ = stock.create_location(by=shop.admin, warehouse=shop.main, code="WH1-99", name="快拣位",
                                 allow_negative=True)
    shop.receive(shop.flour, 1, "5.00")
    sale = shop.post("sales_delivery", [line(shop.flour, 2, location=bin_.pk)], partner=shop.customer)
    assert StockBalance.objects.get(item=shop.flour, location=bin_).quantity == D("-2")
    assert sale.status == "posted"
    # the default location still refuses
    doc = docs.advance_document(
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.flour, 2)]),
        by=shop.admin, to="approved",
    )
    with refused("stock.insufficient"):
        docs.post_document(doc, by=shop.admin)
    assert qty_at(shop.flour, shop.main) == D("-1")
    assert_ledger_consistent()


def test_the_ledger_check_reports_negative_stock_where_it_is_not_allowed(shop):
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    shop.sell(shop.flour, 1, warehouse=shop.store)
    assert_ledger_consistent()
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=False)
    from openjxc.stock.ledger import check_ledger

    assert [p.code for p in check_ledger()] == ["balance.negative"]
    assert StockMove.objects.count() == 1


def test_void_of_the_receipt_that_repaired_negative_stock_restores_the_negative_state(shop):
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    shop.receive(shop.flour, 10, "5.00", warehouse=shop.store)
    shop.sell(shop.flour, 15, warehouse=shop.store)  # -5 worth -25.00
    repair = shop.receive(shop.flour, 20, "6.00", warehouse=shop.store)  # 15 worth 90.00 after a -5.00 adjustment
    docs.void_document(repair, by=shop.admin, reason="送错门店")
    # the adjustment is reversed with the receipt: back to -5 worth -25.00
    assert valuation(shop.flour, shop.store) == (D("-5"), D("-25.00"))
    assert [m.value for m in moves_of(repair) if m.is_adjustment] == [D("-5.00"), D("-5.00")]
    assert_ledger_consistent()
