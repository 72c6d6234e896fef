"""Lot-tracked items: lots on receipt, expiry from the shelf life, FEFO picking, expired lots."""

import datetime as dt
from decimal import Decimal as D

from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.stock.models import Lot, StockBalance
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, moves_of, qty_at, refused


def today():
    return clock.today("Asia/Shanghai")


def lot_qty(item, code, warehouse):
    return sum(
        (b.quantity for b in StockBalance.objects.filter(item=item, lot__code=code, location__warehouse=warehouse)),
        D(0),
    )


def test_a_lot_tracked_receipt_needs_a_lot(shop):
    with refused("lot.required"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.milk, 10, "3")])


def test_a_lot_with_expiry_needs_an_expiry_or_a_production_date(shop):
    with refused("lot.expiry_required") as info:
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.milk, 10, "3", lot_code="L1")])
    assert info.value.data["lot"] == "L1"


def test_expiry_is_computed_from_production_date_and_shelf_life(shop):
    produced = today() - dt.timedelta(days=2)
    doc = shop.receive(shop.milk, 10, "3.00", lot="L1", produced_on=produced)
    lot = Lot.objects.get(item=shop.milk, code="L1")
    assert lot.produced_on == produced
    assert lot.expires_on == produced + dt.timedelta(days=10)  # shelf life of 10 days
    assert doc.lines.get().lot == lot
    assert lot_qty(shop.milk, "L1", shop.main) == D("10")


def test_expiry_before_production_is_refused(shop):
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.milk, 1, "3", lot_code="L1", produced_on=today(),
                                         expires_on=today() - dt.timedelta(days=1))])


def test_a_lot_code_on_an_item_without_lots_is_refused(shop):
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.flour, 1, "3", lot_code="L1")])


def test_fefo_takes_the_first_expiring_lot_first_and_splits_the_line_per_lot(shop):
    t = today()
    shop.receive(shop.milk, 5, "3.00", lot="LATE", expires_on=t + dt.timedelta(days=9))
    shop.receive(shop.milk, 4, "4.00", lot="EARLY", expires_on=t + dt.timedelta(days=3))
    shop.receive(shop.milk, 3, "5.00", lot="MID", expires_on=t + dt.timedelta(days=6))
    # 12 on hand worth 15+16+15 = 46.00
    sale = shop.post("sales_delivery", [line(shop.milk, 6, "5.00")], partner=shop.customer)
    lines = list(sale.lines.order_by("line_no"))
    assert [(ln.lot.code, ln.quantity) for ln in lines] == [("EARLY", D("4")), ("MID", D("2"))]
    assert sum(ln.amount for ln in lines) == D("30.00")
    assert sum(ln.cost_amount for ln in lines) == sum(m.value for m in moves_of(sale))
    assert sum(ln.cost_amount for ln in lines) == D("23.00")  # 6 at the average 46/12
    assert [lot_qty(shop.milk, c, shop.main) for c in ("EARLY", "MID", "LATE")] == [0, D("1"), D("5")]
    # a split line can be returned lot by lot
    ret = docs.advance_document(docs.create_from(sale, by=shop.admin, kind="sales_return"), by=shop.admin,
                                to="posted")
    assert sorted((ln.lot.code, ln.quantity) for ln in ret.lines.all()) == [("EARLY", D("4")), ("MID", D("2"))]
    assert lot_qty(shop.milk, "EARLY", shop.main) == D("4")
    assert_ledger_consistent()


def test_fefo_refuses_when_all_lots_together_are_not_enough(shop):
    shop.receive(shop.milk, 2, "3.00", lot="A", expires_on=today() + dt.timedelta(days=5))
    shop.receive(shop.milk, 2, "3.00", lot="B", expires_on=today() + dt.timedelta(days=6))
    doc = docs.advance_document(
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.milk, 5)]),
        by=shop.admin, to="approved",
    )
    with refused("stock.insufficient") as info:
        docs.post_document(doc, by=shop.admin)
    assert (info.value.data["available"], info.value.data["requested"]) == (D("4"), D("5"))


def test_an_expired_lot_cannot_be_sold_but_can_be_written_off(shop):
    t = today()
    shop.receive(shop.milk, 3, "3.00", lot="OLD", expires_on=t - dt.timedelta(days=1))
    shop.receive(shop.milk, 3, "4.00", lot="NEW", expires_on=t + dt.timedelta(days=5))
    # naming the expired lot is refused
    doc = docs.advance_document(
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.milk, 1, lot_code="OLD")]),
        by=shop.admin, to="approved",
    )
    with refused("lot.expired") as info:
        docs.post_document(doc, by=shop.admin)
    assert info.value.data["lot"] == "OLD"
    # FEFO skips it: the sale takes the fresh lot
    sale = shop.post("sales_delivery", [line(shop.milk, 2)], partner=shop.customer)
    assert [ln.lot.code for ln in sale.lines.all()] == ["NEW"]
    # and only the fresh stock counts as available for sale
    big = docs.advance_document(
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.milk, 2)]),
        by=shop.admin, to="approved",
    )
    with refused("stock.insufficient") as info:
        docs.post_document(big, by=shop.admin)
    assert info.value.data["available"] == D("1")
    # the expired lot is written off
    wo = shop.post("write_off", [line(shop.milk, 3, lot_code="OLD")])
    assert [m.lot.code for m in moves_of(wo)] == ["OLD"]
    assert lot_qty(shop.milk, "OLD", shop.main) == 0
    assert qty_at(shop.milk, shop.main) == D("1")
    assert_ledger_consistent()


def test_a_transfer_carries_the_lot_to_the_destination(shop):
    shop.receive(shop.milk, 5, "3.00", lot="A", expires_on=today() + dt.timedelta(days=5))
    out = shop.post("transfer_out", [line(shop.milk, 5)], to_warehouse=shop.store)
    arrival = docs.advance_document(docs.create_from(out, by=shop.admin, kind="transfer_in"), by=shop.admin,
                                    to="posted")
    assert [ln.lot.code for ln in arrival.lines.all()] == ["A"]
    assert lot_qty(shop.milk, "A", shop.store) == D("5")
    assert_ledger_consistent()
