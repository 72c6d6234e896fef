"""The line and document arithmetic of prices and tax: pure functions, no database."""

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openjxc.catalog.pricing import (
    VAT_RATES,
    LineAmounts,
    check_discount_rate,
    check_tax_rate,
    document_totals,
    line_amounts,
    price_excluding_tax,
    price_including_tax,
)
from openjxc.core.errors import ValidationFailed
from openjxc.documents.reorder import suggested_quantity

quantities = st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4)
prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=6)
rates = st.sampled_from(VAT_RATES)


def test_vat_rates_are_chinas():
    assert VAT_RATES == (D("0.13"), D("0.09"), D("0.06"), D("0.03"), D("0"))
    assert check_tax_rate("0.09") == D("0.0900")
    for bad in ("0.17", "13", "-0.13", "abc", "NaN"):
        with pytest.raises(ValidationFailed):
            check_tax_rate(bad)


def test_tax_exclusive_line():
    # 3 x 10.005 = 30.015 -> 30.02 (half up); 13% of 30.02 = 3.9026 -> 3.90
    assert line_amounts(D("3"), D("10.005"), D("0.13"), tax_inclusive=False) == LineAmounts(
        D("30.02"), D("3.90"), D("33.92"))


def test_tax_inclusive_line_computes_the_total_first():
    # 3 x 11.30 = 33.90 with tax; 33.90 / 1.13 = 30.00; tax 3.90
    assert line_amounts(D("3"), D("11.30"), D("0.13"), tax_inclusive=True) == LineAmounts(
        D("30.00"), D("3.90"), D("33.90"))
    # 1 x 0.01 at 13%: 0.01 / 1.13 = 0.00885 -> 0.01, tax 0.00
    assert line_amounts(D("1"), D("0.01"), D("0.13"), tax_inclusive=True) == LineAmounts(D("0.01"), D("0"), D("0.01"))


def test_zero_rate_has_no_tax():
    assert line_amounts(D("2.5"), D("4"), D("0"), tax_inclusive=True) == LineAmounts(D("10.00"), D("0"), D("10.00"))


def test_prices_convert_at_six_places():
    assert price_excluding_tax(D("11.30"), D("0.13")) == D("10.000000")
    assert price_excluding_tax(D("1"), D("0.13")) == D("0.884956")
    assert price_including_tax(D("0.884956"), D("0.13")) == D("1.000000")


def test_a_discount_comes_off_before_tax():
    # 10 x 11.30 = 113.00 with tax, 5% off = 5.65 -> 107.35 with tax; / 1.13 = 95.00; tax 12.35
    assert line_amounts(D("10"), D("11.30"), D("0.13"), tax_inclusive=True, discount_rate=D("0.05")) == LineAmounts(
        D("95.00"), D("12.35"), D("107.35"), D("5.65"))
    assert line_amounts(D("3"), D("10"), D("0.13"), tax_inclusive=False, discount_rate=D("0.1")) == LineAmounts(
        D("27.00"), D("3.51"), D("30.51"), D("3.00"))
    assert check_discount_rate("0.05") == D("0.05")
    for bad in ("1.5", "-0.1", "0.00001", "x"):
        with pytest.raises(ValidationFailed):
            check_discount_rate(bad)


discounts = st.decimals(min_value=D("0"), max_value=D("1"), places=4)


@given(quantities, prices, rates, st.booleans(), discounts)
def test_amount_plus_tax_is_always_the_line_total(q, p, rate, inclusive, discount):
    a = line_amounts(q, p, rate, tax_inclusive=inclusive, discount_rate=discount)
    assert a.amount + a.tax_amount == a.amount_with_tax
    # what was charged plus the discount is the quantity at the price, to the cent
    charged = a.amount_with_tax if inclusive else a.amount
    assert charged + a.discount_amount == (q * p).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    for v in (a.amount, a.tax_amount, a.amount_with_tax):
        assert v == v.quantize(D("0.01"))
        assert v >= 0
    # the tax is the rate's share within a cent of rounding
    assert abs(a.amount * rate - a.tax_amount) <= D("0.01") * (1 + rate)


@given(st.lists(st.tuples(quantities, prices, rates, st.booleans()), min_size=1, max_size=30))
def test_document_totals_always_add_up(specs):
    lines = [line_amounts(q, p, r, tax_inclusive=inc) for q, p, r, inc in specs]
    t = document_totals(lines)
    assert t.amount == sum(ln.amount for ln in lines)
    assert t.tax_amount == sum(ln.tax_amount for ln in lines)
    assert t.amount + t.tax_amount == t.amount_with_tax


def test_reorder_quantity_up_to_max_else_twice_the_reorder_point():
    assert suggested_quantity(D("3"), D("10"), D("50")) == D("47")
    assert suggested_quantity(D("3.5"), D("10"), None) == D("17")  # 20 - 3.5 = 16.5, rounded up
    assert suggested_quantity(D("-4"), D("10"), None) == D("24")
    assert suggested_quantity(D("10"), D("10"), D("50")) == 0
