"""Numbers as a person reads them, the same in pages, prints and exports (core/display.py): unit prices and costs
with 2 decimals unless the value needs more (0.125 stays), quantities without trailing zeros, money with 2;
what is stored keeps its precision."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from openjxc.catalog import services as catalog
from openjxc.core.display import format_money, format_quantity, format_unit_amount
from openjxc.documents.services import LineInput
from openjxc.stock.models import StockBalance
from tests.conftest import Shop

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.mark.parametrize(("value", "shown"), [
    (D("5"), "5.00"), (D("5.000000"), "5.00"), (D("5.5"), "5.50"), (D("0.125"), "0.125"), (D("0.1250"), "0.125"),
    (D("1.2345"), "1.2345"), (D("3.071667"), "3.07"), (D("1") / D("3"), "0.3333"), (D("0.033333"), "0.0333"),
    (D("1234.5"), "1,234.50"), (D("-2.5"), "-2.50"), (D("2.995"), "2.995"), (D("2.994999"), "2.99"), (None, ""),
    ("", ""), ("abc", ""),
])
def test_a_unit_price_or_cost_has_two_decimals_unless_the_value_needs_more(value, shown):
    assert format_unit_amount(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (D("12.0000"), "12"), (D("1.5000"), "1.5"), (D("0.1250"), "0.125"), (D("12000"), "12,000"), (D("-3.2500"), "-3.25"),
    (D("0"), "0"), (D("0.0000"), "0"), (D("1E+1"), "10"),
])
def test_a_quantity_has_no_trailing_zeros(value, shown):
    assert format_quantity(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (D("0.125"), "0.13"), (D("0.135"), "0.14"), (D("1234.5"), "1,234.50"), (D("-0.005"), "-0.01"), (D("7"), "7.00"),
])
def test_money_has_two_decimals_rounded_half_up(value, shown):
    assert format_money(value) == shown


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def shop(db):
    s = Shop()
    s.screw = catalog.create_item(by=s.admin, code="SCR", name="螺丝", base_unit=s.pcs, purchase_price=D("0.125"),
                                  sale_price=D("0.2"))
    # 3 kg at 5.00, 3 kg at 5.43 and 2 kg at 5.10: 41.49 for 8 kg, a moving average of 5.18625
    s.receive(s.flour, 3, "5.00")
    s.receive(s.flour, 3, "5.43")
    s.receive(s.flour, 2, "5.10")
    s.sell(s.flour, 1, price="8")  # issued at the average cost
    s.receipt = s.post("purchase_receipt", [LineInput(item=s.screw.pk, quantity=D("1000"), unit_price=D("0.125"))],
                       partner=s.supplier)
    return s


def test_pages_show_unit_costs_to_two_decimals_prices_as_they_need_and_quantities_plainly(shop):
    browser = Client()
    browser.force_login(shop.admin)
    balance = StockBalance.objects.get(item=shop.flour)
    assert balance.quantity == D("7.0000")
    card = visible(browser.get(reverse("web:item_card", args=[shop.flour.pk]), **ZH).content.decode())
    assert " -1 7 5.19 -5.19 36.30 " in card and "5.1863" not in card  # the issue at the average: 2 decimals
    assert " 7 " in card and "7.0000" not in card  # the quantity on hand
    stock = visible(browser.get(reverse("web:balances"), **ZH).content.decode())
    assert " 5.19 " in stock and " 36.30 " in stock and "5.1857" not in stock  # average cost on hand, its value
    doc = visible(browser.get(reverse("web:document", args=[shop.receipt.pk]), **ZH).content.decode())
    assert " 0.125 " in doc and " 1,000 " in doc and " 125.00 " in doc  # a price that needs 3 decimals keeps them
    items = visible(browser.get(reverse("web:items"), **ZH).content.decode())
    assert " 0.20 " in items  # the screw's sale price
    printed = visible(browser.get(reverse("web:document_print", args=[shop.receipt.pk]), **ZH).content.decode())
    assert " 0.125 " in printed and " 1,000 " in printed and "1000.0000" not in printed


def test_exports_keep_the_exact_value_and_show_it_as_the_pages_do(shop):
    browser = Client()
    browser.force_login(shop.admin)
    sheet = load_workbook(io.BytesIO(browser.get(reverse("web:items"), {"export": "xlsx"}, **ZH).content)).active
    header = [c.value for c in sheet[1]]
    price_col = next(i for i, h in enumerate(header) if h == "采购价")
    cells = {row[0].value: row[price_col] for row in sheet.iter_rows(min_row=2)}
    assert cells["SCR"].value == 0.125 and cells["SCR"].number_format == "#,##0.000"
    assert cells["F001"].value == 5 and cells["F001"].number_format == "#,##0.00"

    card = load_workbook(io.BytesIO(browser.get(reverse("web:item_card", args=[shop.flour.pk]),
                                                {"export": "xlsx"}, **ZH).content)).active
    header = [c.value for c in card[1]]
    rows = list(card.iter_rows(min_row=2))
    assert rows[0][header.index("金额变动")].number_format == "#,##0.00"
    assert {r[header.index("从")].value for r in rows} == {"供应商", "总仓"}  # virtual locations by kind, in Chinese
    assert {r[header.index("至")].value for r in rows} == {"总仓", "客户"}
    assert {r[header.index("数量变动")].value for r in rows} == {3, 2, -1}  # numbers: Excel shows 3, not 3.0000


def test_a_taxed_document_says_which_figures_include_tax_and_they_add_up(shop):
    """Prices with tax: the line shows the price as entered (含税单价), the amount without tax, the tax and the
    amount with tax, so quantity × price is a figure on the page (3 × 18.24 = 54.72 = 48.42 + 6.30)."""
    doc = shop.post("sales_delivery", [LineInput(item=shop.flour.pk, quantity=D("3"), unit_price=D("18.24"),
                                                 tax_rate=D("0.13"))],
                    partner=shop.customer, prices_include_tax=True)
    browser = Client()
    browser.force_login(shop.admin)
    page = visible(browser.get(reverse("web:document", args=[doc.pk]), **ZH).content.decode())
    assert "含税单价 不含税金额 税额 价税合计" in page
    assert " 18.24 48.42 6.30 54.72 " in page
    assert "不含税金额 ¥48.42" in page and "税额 ¥6.30" in page and "价税合计 ¥54.72" in page
    plain = visible(browser.get(reverse("web:document", args=[shop.receipt.pk]), **ZH).content.decode())
    assert "价税合计" not in plain and "含税单价" not in plain  # no tax: the plain columns
