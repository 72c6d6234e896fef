"""Given/when/then stories of a shop's stock, each ending with the ledger check."""

from decimal import Decimal as D

from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.stock.models import ItemValuation, StockBalance
from tests.conftest import assert_ledger_consistent


def qty_at(item, warehouse):
    return sum(b.quantity for b in StockBalance.objects.filter(item=item, location__warehouse=warehouse))


def test_receive_sell_return_transfer_writeoff_void(shop):
    # given two receipts of flour at different costs
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")
    # when five are sold
    delivery = shop.sell(shop.flour, 5)
    # then the sale is costed at the moving average (6.00)
    line = delivery.lines.get()
    assert line.cost_amount == D("30.00")
    assert qty_at(shop.flour, shop.main) == D("15")

    # when the customer returns two of them, they come back at the delivery's cost
    ret = docs.create_from(delivery, by=shop.admin, kind="sales_return")
    docs.update_document(ret, by=shop.admin, lines=[LineInput(item=shop.flour.pk, quantity=D("2"),
                                                              source_line=line.pk)])
    ret = docs.advance_document(ret, by=shop.admin, to="posted")
    assert ret.lines.get().cost_amount == D("12.00")

    # when 7 are transferred to the second warehouse and received there
    out = shop.post("transfer_out", [LineInput(item=shop.flour.pk, quantity=D("7"))], to_warehouse=shop.second)
    assert qty_at(shop.flour, shop.main) == D("10")
    transfer_in = docs.create_from(out, by=shop.admin, kind="transfer_in")
    docs.advance_document(transfer_in, by=shop.admin, to="posted")
    assert qty_at(shop.flour, shop.second) == D("7")
    assert ItemValuation.objects.get(item=shop.flour, warehouse=shop.second).value == D("42.00")

    # when one is written off, and the write-off is voided
    wo = shop.post("write_off", [LineInput(item=shop.flour.pk, quantity=D("1"))])
    assert qty_at(shop.flour, shop.main) == D("9")
    docs.void_document(wo, by=shop.admin, reason="录错了")
    assert qty_at(shop.flour, shop.main) == D("10")

    # then the ledger still balances
    assert_ledger_consistent()
