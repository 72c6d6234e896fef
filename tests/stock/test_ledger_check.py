"""check_ledger: it passes on honest books, including several bins, and catches each kind of damage.

The damage is done with a raw ORM update on the balance tables, the way a careless script would.
"""

from decimal import Decimal as D

from openjxc.stock import services as stock
from openjxc.stock.ledger import check_ledger
from openjxc.stock.models import ItemValuation, StockBalance
from tests.conftest import Shop, assert_ledger_consistent
from tests.documents.helpers import line


def codes():
    return sorted(p.code for p in check_ledger())


def test_bins_emptied_at_the_warehouse_average_may_keep_cents_that_cancel_out(shop):
    # given flour in two bins of one warehouse at different costs (average 1.25)
    bin2 = stock.create_location(by=shop.admin, warehouse=shop.main, code="WH1-02", name="二号位")
    shop.post("purchase_receipt", [line(shop.flour, 1, "1.00"), line(shop.flour, 2, "1.00", location=bin2.pk),
                                   line(shop.flour, 1, "2.00")], partner=shop.supplier)
    # when both bins are emptied, each at the warehouse's average
    shop.post("sales_delivery", [line(shop.flour, 2, location=bin2.pk)], partner=shop.customer)
    shop.post("sales_delivery", [line(shop.flour, 2)], partner=shop.customer)
    # then the bins keep +0.50 and -0.50, the warehouse holds nothing, and the books are right
    assert sorted(StockBalance.objects.values_list("value", flat=True)) == [D("-0.50"), D("0.50")]
    assert ItemValuation.objects.get(item=shop.flour, warehouse=shop.main).value == 0
    assert_ledger_consistent()


def test_a_balance_edited_behind_the_ledgers_back_is_reported(shop):
    shop.receive(shop.flour, 10, "5.00")
    StockBalance.objects.filter(item=shop.flour).update(quantity=D("11"))
    assert codes() == ["balance.mismatch", "valuation.mismatch"]


def test_a_valuation_edited_behind_the_ledgers_back_is_reported(shop):
    shop.receive(shop.flour, 10, "5.00")
    ItemValuation.objects.filter(item=shop.flour).update(value=D("49.99"))
    assert codes() == ["valuation.mismatch"]


def test_value_left_in_a_warehouse_without_stock_is_reported(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.sell(shop.flour, 10)
    StockBalance.objects.filter(item=shop.flour).update(value=D("0.01"))
    ItemValuation.objects.filter(item=shop.flour).update(value=D("0.01"))
    assert "balance.value_without_stock" in codes()


def test_a_balance_with_no_moves_behind_it_is_reported(shop):
    loc = shop.second.locations.get()
    StockBalance.objects.create(company=shop.company, item=shop.flour, location=loc, quantity=D("1"), value=D("1"))
    assert "balance.mismatch" in codes()


def test_the_check_of_one_company_sees_its_damage_and_not_another_companys(shop):
    # the set-based check filters every statement by the company (issue 15): one company's damage is its own
    other = Shop(code="OTHER")
    other.receive(other.flour, 3, "2.00")
    shop.receive(shop.flour, 10, "5.00")
    StockBalance.objects.filter(item=shop.flour).update(quantity=D("11"))
    ItemValuation.objects.filter(item=other.flour).update(value=D("5.99"))
    assert sorted(p.code for p in check_ledger(shop.company.pk)) == ["balance.mismatch", "valuation.mismatch"]
    assert [p.code for p in check_ledger(other.company.pk)] == ["valuation.mismatch"]
    detail = [p.detail for p in check_ledger(shop.company.pk)]
    assert f"item {shop.flour.pk} location " in detail[0] and "balance 11.0000 / 50.00, ledger 10.0000 / 50.00" in detail[0]
