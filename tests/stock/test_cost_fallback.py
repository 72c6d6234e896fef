"""Cost never silently zero (issue 13 item 4): goods issued with no cost history — never received, or a negative
location with no last cost — go out at the item's standard cost, else its purchase price, else zero, and a posting
that costs anything at zero says so in its event (`zero_cost`, naming the item and location)."""

from __future__ import annotations

from decimal import Decimal as D

from openjxc.catalog import services as catalog
from openjxc.core.models import Event
from openjxc.stock import services as stock
from openjxc.stock.models import StockMove
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line


def _negative_store(shop):
    return stock.create_warehouse(by=shop.admin, code="NEG", name="负库存门店", kind="store", allow_negative=True)


def _issued_value(shop, doc):
    return StockMove.objects.get(document=doc, quantity__gt=0).value


def test_an_item_never_received_goes_out_at_its_standard_cost_else_its_purchase_price(shop):
    store = _negative_store(shop)
    catalog.update_item(shop.flour, by=shop.admin, standard_cost=D("4.20"))  # purchase price 5, standard 4.20
    sold = shop.post("sales_delivery", [line(shop.flour, 10, 8)], partner=shop.customer, warehouse=store)
    assert _issued_value(shop, sold) == D("42.00")  # the standard cost first
    written_off = shop.post("write_off", [line(shop.water, 3)], warehouse=store)  # no standard cost: purchase 1.2
    assert _issued_value(shop, written_off) == D("3.60")
    assert_ledger_consistent(shop.company.pk)


def test_an_item_with_no_cost_at_all_is_costed_at_zero_and_the_posting_says_so(shop):
    store = _negative_store(shop)
    free = catalog.create_item(by=shop.admin, code="Z001", name="赠品袋", base_unit=shop.pcs)  # no price at all
    doc = shop.post("write_off", [line(free, 2)], warehouse=store)
    assert _issued_value(shop, doc) == 0
    event = Event.objects.filter(topic="stock.changed", payload__zero_cost__isnull=False).latest("pk")
    assert event.payload["zero_cost"] == [{"item": free.pk, "location": store.locations.get().pk}]
    assert_ledger_consistent(shop.company.pk)
