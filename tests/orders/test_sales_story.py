"""A sales story: price lists with a customer group and quantity breaks → quote → order with tax →
partial deliveries → reservations and availability → over-delivery refused → credit limit refusal."""

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.catalog import pricing
from openjxc.core.errors import DomainError
from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.partners import services as partners
from tests.conftest import assert_ledger_consistent
from tests.orders.helpers import assert_partner_ledger_consistent, confirm, ln, set_company_setting

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def priced(shop):
    """Wholesale customers (a group) pay 2.26 a bottle, 2.00 from 24 bottles; everyone else 2.50, tax included."""
    by = shop.admin
    shop.walk_in = partners.create_partner(by=by, code="C009", name="散客", kind="customer")
    group = pricing.create_customer_group(by=by, code="WHOLESALE", name="批发客户", members=[shop.customer])
    pricing.create_price_list(by=by, name="批发价", customer_group=group, valid_from=DAY - dt.timedelta(days=30),
                              prices=[pricing.PriceInput(item=shop.water.pk, price=D("2.26")),
                                      pricing.PriceInput(item=shop.water.pk, price=D("2.00"), min_quantity=D("24"))])
    pricing.create_price_list(by=by, name="零售价", prices=[pricing.PriceInput(item=shop.water.pk, price=D("2.50"))])
    # an expired list for the customer itself must not win
    pricing.create_price_list(by=by, name="旧合同价", partner=shop.customer, valid_to=DAY - dt.timedelta(days=1),
                              prices=[pricing.PriceInput(item=shop.water.pk, price=D("1.00"))])
    shop.receive(shop.water, 100, "1.20")
    return shop


def test_price_for_picks_the_most_specific_valid_list_and_the_quantity_break(priced):
    shop = priced
    price = pricing.price_for(shop.company, shop.customer, shop.water, D("10"), DAY)
    assert (price.unit_price, price.tax_inclusive, price.min_quantity) == (D("2.26"), True, D("0"))
    assert pricing.price_for(shop.company, shop.customer, shop.water, D("24"), DAY).unit_price == D("2.00")
    assert pricing.price_for(shop.company, shop.walk_in, shop.water, D("48"), DAY).unit_price == D("2.50")
    # a contract price for the customer alone beats the group's once it is valid
    pricing.create_price_list(by=shop.admin, name="合同价", partner=shop.customer, valid_from=DAY,
                              prices=[pricing.PriceInput(item=shop.water.pk, price=D("1.90"))])
    assert pricing.price_for(shop.company, shop.customer, shop.water, D("48"), DAY).unit_price == D("1.90")
    # the day before, the old contract was still valid
    day_before = DAY - dt.timedelta(days=1)
    assert pricing.price_for(shop.company, shop.customer, shop.water, D("48"), day_before).unit_price == D("1.00")
    # no list for flour: the item's sale price
    flour = pricing.price_for(shop.company, shop.customer, shop.flour, D("1"), DAY)
    assert (flour.unit_price, flour.price_list_id) == (D("8.000000"), None)


def test_sales_story(priced):
    shop, by = priced, priced.admin
    price = pricing.price_for(shop.company, shop.customer, shop.water, D("48"), DAY)

    # given a quote at the group's quantity-break price, tax included, pushed down to an order
    quote = confirm(shop, "sales_quote", [ln(shop.water, 48, price.unit_price, tax_rate=D("0.13"),
                                             promised_on=DAY + dt.timedelta(days=3))],
                    partner=shop.customer, prices_include_tax=price.tax_inclusive, business_on=DAY)
    assert quote.number.startswith("XSBJ-")
    so = orders.push_down(quote, by=by, kind="sales_order", business_on=DAY)
    so = docs.advance_document(so, by=by, to="posted")
    line = so.lines.get()
    # 48 x 2.00 = 96.00 with tax; 96.00 / 1.13 = 84.955.. -> 84.96; tax 11.04
    assert so.prices_include_tax and (line.amount, line.tax_amount, line.amount_with_tax) == (
        D("84.96"), D("11.04"), D("96.00"))
    assert (so.total_amount, so.tax_total, so.total_with_tax) == (D("84.96"), D("11.04"), D("96.00"))
    assert line.promised_on == DAY + dt.timedelta(days=3) and line.source_line.document_id == quote.pk

    # the order reserves stock: 100 on hand, 48 reserved
    assert orders.available(shop.water, shop.main) == {
        "item": shop.water.pk, "warehouse": shop.main.pk, "on_hand": D("100"), "reserved": D("48"),
        "available": D("52")}

    # when two partial deliveries of 20 go out, the order line is partly delivered
    for _ in range(2):
        confirm(shop, "sales_delivery", [ln(shop.water, 20, "2.00", tax_rate=D("0.13"), source_line=line.pk)],
                partner=shop.customer, source=so, prices_include_tax=True)
    prog = orders.order_progress(so)[0]
    assert (prog.ordered, prog.fulfilled, prog.remaining, prog.status, prog.status_label) == (
        D("48"), D("40"), D("8"), "partial", "Partly delivered")
    assert orders.available(shop.water, shop.main)["on_hand"] == D("60")
    assert orders.available(shop.water, shop.main)["reserved"] == D("8")

    # then delivering more than is left is refused
    with pytest.raises(DomainError) as refused:
        confirm(shop, "sales_delivery", [ln(shop.water, 10, "2.00", source_line=line.pk)],
                partner=shop.customer, source=so)
    assert refused.value.code == "document.over_delivery" and refused.value.data["remaining"] == D("8")

    # with the company refusing orders beyond what is available, 53 cannot be ordered (52 available)
    set_company_setting(shop.company, refuse_sales_beyond_available=True)
    with pytest.raises(DomainError) as refused:
        confirm(shop, "sales_order", [ln(shop.water, 53, "2.5")], partner=shop.walk_in)
    assert refused.value.code == "document.reservation_exceeds" and refused.value.data["available"] == D("52")
    set_company_setting(shop.company, refuse_sales_beyond_available=False)

    # a credit limit of 200: owed 80.00 on the deliveries + 16.00 still on order; 120.00 more is too much
    partners.update_partner(shop.customer, by=by, credit_limit=D("200"))
    shop.customer.refresh_from_db()
    big = docs.create_document(by=by, kind="sales_order", warehouse=shop.main, partner=shop.customer,
                               lines=[ln(shop.water, 60, "2.00", tax_rate=D("0.13"))], prices_include_tax=True)
    with pytest.raises(DomainError) as refused:
        docs.advance_document(big, by=by, to="posted")
    err = refused.value
    assert err.code == "partner.credit_limit_exceeded"
    assert (err.data["limit"], err.data["outstanding"], err.data["amount"]) == (D("200"), D("96.00"), D("120.00"))
    assert docs.Document.objects.get(pk=big.pk).status == Status.DRAFT
    # a smaller order fits under the limit
    small = confirm(shop, "sales_order", [ln(shop.water, 50, "2.00", tax_rate=D("0.13"))], partner=shop.customer,
                    prices_include_tax=True)
    assert small.status == Status.POSTED

    # closing the first order releases its reservation
    so = orders.close_order(so, by=by, reason="客户不要了")
    assert orders.available(shop.water, shop.main)["reserved"] == D("50")
    assert orders.order_progress(so)[0].status_label == "Closed"
    assert_ledger_consistent()
    assert_partner_ledger_consistent()


def test_a_discounted_tax_inclusive_order_flows_down_to_its_delivery(shop):
    shop.receive(shop.water, 50, "1.20")
    # 2 boxes of 12 at 27.12 a box with 9% VAT, 5% off: 54.24 - 2.71 = 51.53 with tax; / 1.09 = 47.28; tax 4.25
    so = confirm(shop, "sales_order", [ln(shop.water, 2, "27.12", unit="BOX", tax_rate=D("0.09"),
                                          discount_rate=D("0.05"))], partner=shop.customer, prices_include_tax=True)
    line = so.lines.get()
    assert (line.discount_amount, line.amount_with_tax, line.amount, line.tax_amount) == (
        D("2.71"), D("51.53"), D("47.28"), D("4.25"))
    # 下推 in the base unit at the net price with tax (51.53 / 24) and the same rate: the same money, to the cent
    delivery = orders.push_down(so, by=shop.admin, kind="sales_delivery")
    dl = delivery.lines.get()
    assert (dl.quantity, dl.unit_price, dl.tax_rate, dl.discount_amount) == (D(24), D("2.147083"), D("0.09"), 0)
    assert delivery.prices_include_tax
    assert (delivery.total_amount, delivery.tax_total, delivery.total_with_tax) == (
        so.total_amount, so.tax_total, so.total_with_tax)
    docs.advance_document(delivery, by=shop.admin, to="posted")
    assert orders.order_status(so) == "done"


def test_tax_rates_outside_the_vat_list_are_refused(shop):
    with pytest.raises(DomainError) as refused:
        docs.create_document(by=shop.admin, kind="sales_order", warehouse=shop.main, partner=shop.customer,
                             lines=[ln(shop.water, 1, "2", tax_rate=D("0.17"))])
    assert refused.value.code == "validation.failed" and refused.value.data["field"] == "lines[1].tax_rate"


def test_a_split_fefo_delivery_keeps_its_tax_adding_up(shop):
    shop.receive(shop.milk, 5, "3", lot="A", expires_on=DAY + dt.timedelta(days=5))
    shop.receive(shop.milk, 5, "3", lot="B", expires_on=DAY + dt.timedelta(days=9))
    doc = confirm(shop, "sales_delivery", [ln(shop.milk, 8, "5.65", tax_rate=D("0.13"))], partner=shop.customer,
                  prices_include_tax=True, business_on=DAY)
    lines = list(doc.lines.all())
    assert len(lines) == 2
    for x in lines:
        assert x.amount + x.tax_amount == x.amount_with_tax
    assert sum(x.amount for x in lines) == doc.total_amount
    assert sum(x.tax_amount for x in lines) == doc.tax_total
    assert sum(x.amount_with_tax for x in lines) == doc.total_with_tax == D("45.20")
    assert_ledger_consistent()
