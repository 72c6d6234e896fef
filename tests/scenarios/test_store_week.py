"""A store's week, told as given/when/then, ending with the ledger check."""

import datetime as dt
from decimal import Decimal as D

from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.stock.models import ItemValuation
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, qty_at, refused

MONDAY = dt.date(2026, 11, 23)


def day(n):
    return MONDAY + dt.timedelta(days=n)


def keeper_posts(shop, keeper, manager, kind, lines, **header):
    """The keeper enters and posts; the manager approves in between."""
    doc = docs.create_document(by=keeper, kind=kind, lines=lines, **{"warehouse": shop.main, **header})
    docs.submit_document(doc, by=keeper)
    docs.approve_document(doc, by=manager)
    return docs.post_document(doc, by=keeper)


def valued(item, warehouse):
    v = ItemValuation.objects.get(item=item, warehouse=warehouse)
    return v.quantity, v.value


def test_a_week_at_the_renmin_road_store(shop):
    keeper = shop.user("laoli", Role.KEEPER)
    cashier = shop.user("xiaomei", Role.CASHIER, warehouses=[shop.store])
    manager = shop.user("wangjingli", Role.MANAGER)

    # Monday. Given the supplier delivers 20 boxes of water (240 bottles at 1.20) and 100 kg of flour
    # to the main warehouse, and a second lot of flour arrives at a higher price
    water_in = keeper_posts(shop, keeper, manager, "purchase_receipt", [line(shop.water, 20, "14.40", unit="BOX")],
                            partner=shop.supplier, business_on=day(0))
    assert water_in.number == "CGRK-20261123-0001"
    shop.post("purchase_receipt", [line(shop.flour, 100, "5.00")], partner=shop.supplier, business_on=day(0))
    shop.post("purchase_receipt", [line(shop.flour, 50, "5.60")], partner=shop.supplier, business_on=day(0))
    # then the main warehouse holds 240 bottles worth 288.00 and 150 kg at an average of 5.20
    assert valued(shop.water, shop.main) == (D("240"), D("288.00"))
    assert valued(shop.flour, shop.main) == (D("150"), D("780.00"))

    # Tuesday. When the keeper sends 5 boxes of water and 30 kg of flour to the store
    out = keeper_posts(shop, keeper, manager, "transfer_out", [line(shop.water, 5, unit="BOX"), line(shop.flour, 30)],
                       to_warehouse=shop.store, business_on=day(1))
    # then the goods are on the road: gone from the main warehouse, not yet in the store
    assert qty_at(shop.water, shop.main) == D("180")
    assert qty_at(shop.water, shop.store) == 0
    # and the cashier cannot sell what has not arrived
    early = docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.store, partner=shop.customer,
                                 lines=[line(shop.water, 1)], business_on=day(1))
    early = docs.advance_document(early, by=manager, to="approved")
    with refused("stock.insufficient"):
        docs.post_document(early, by=cashier)
    docs.cancel_document(early, by=cashier, reason="货还没到")

    # Wednesday. When the store receives the transfer
    arrival = docs.create_from(out, by=shop.admin, kind="transfer_in", business_on=day(2))
    arrival = docs.advance_document(arrival, by=shop.admin, to="posted")
    # then the store holds the goods at the cost they left the main warehouse
    assert valued(shop.water, shop.store) == (D("60"), D("72.00"))
    assert valued(shop.flour, shop.store) == (D("30"), D("156.00"))

    # Wednesday to Friday. When the cashier sells over the counter, and a wholesale customer buys
    # from the main warehouse
    sales = []
    for n, (bottles, kilos) in enumerate([(12, 5), (20, 8), (6, 0)]):
        lines = [line(shop.water, bottles)] + ([line(shop.flour, kilos)] if kilos else [])
        doc = docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.store, partner=shop.customer,
                                   lines=lines, business_on=day(2 + n))
        docs.submit_document(doc, by=cashier)
        docs.approve_document(doc, by=manager)
        sales.append(docs.post_document(doc, by=cashier))
    wholesale = shop.post("sales_delivery", [line(shop.flour, 40, "7.50")], partner=shop.customer,
                          business_on=day(3))
    assert wholesale.lines.get().cost_amount == D("208.00")
    assert qty_at(shop.water, shop.store) == D("22")
    assert qty_at(shop.flour, shop.store) == D("17")

    # Thursday. When a customer brings back 4 of the 20 bottles bought on Thursday
    thursday_sale = sales[1]
    water_line = thursday_sale.lines.get(item=shop.water)
    ret = docs.create_document(by=cashier, kind="sales_return", warehouse=shop.store, partner=shop.customer,
                               source=thursday_sale, lines=[line(shop.water, 4, source_line=water_line.pk)],
                               business_on=day(3))
    docs.submit_document(ret, by=cashier)
    docs.approve_document(ret, by=manager)
    ret = docs.post_document(ret, by=cashier)
    # then they come back at what they cost when sold, and no more than 16 more can come back
    assert ret.lines.get().cost_amount == D("4.80")
    with refused("document.exceeds_source"):
        docs.create_document(by=cashier, kind="sales_return", warehouse=shop.store, partner=shop.customer,
                             source=thursday_sale, lines=[line(shop.water, 17, source_line=water_line.pk)])

    # Friday. When three bottles are found broken and written off
    write_off = keeper_posts(shop, keeper, manager, "write_off", [line(shop.water, 3)], warehouse=shop.store,
                             business_on=day(4))
    assert write_off.lines.get().cost_amount == D("3.60")

    # Saturday. When the store counts its flour and finds 2 kg more than the books say
    gain = keeper_posts(shop, keeper, manager, "gain", [line(shop.flour, 2)], warehouse=shop.store,
                        business_on=day(5))
    # then the extra flour comes in at the store's average cost
    assert gain.lines.get().cost_amount == D("10.40")

    # Sunday. When the manager finds Friday's sale was entered twice and voids it
    friday_sale = sales[2]
    with refused("validation.failed"):
        docs.void_document(friday_sale, by=manager, reason="")
    with refused("permission.denied"):
        docs.void_document(friday_sale, by=cashier, reason="重复录入")
    docs.void_document(friday_sale, by=manager, reason="重复录入")
    # then the six bottles are back at the cost they left with, and the sale stays on file as voided
    friday_sale.refresh_from_db()
    assert friday_sale.status == Status.VOIDED and friday_sale.void_reason == "重复录入"

    # Then, at the end of the week, the store and the main warehouse hold exactly this
    assert valued(shop.water, shop.store) == (D("29"), D("34.80"))  # 60 - 12 - 20 + 4 - 3 (the void undid 6)
    assert valued(shop.flour, shop.store) == (D("19"), D("98.80"))  # 30 - 5 - 8 + 2
    assert valued(shop.water, shop.main) == (D("180"), D("216.00"))
    assert valued(shop.flour, shop.main) == (D("80"), D("416.00"))  # 150 - 30 - 40
    # every document of the week is numbered per kind and day
    assert sorted(Document.objects.filter(kind="sales_delivery").values_list("number", flat=True)) == [
        "XSCK-20261124-0001", "XSCK-20261125-0001", "XSCK-20261126-0001", "XSCK-20261126-0002",
        "XSCK-20261127-0001",
    ]
    # and the books balance
    assert_ledger_consistent()
