"""Order progress and the checks against an order count in the item's base unit (issue 13 item 10): a carton
of 60 bags received against a 60-bag line completes it, one bag more is over-receipt; the lines page and
scanning show each line's unit and what is left on the order (issue 13 item 11)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from openjxc.catalog import services as catalog
from openjxc.core.errors import DomainError
from openjxc.documents import services as docs
from openjxc.documents.models import Document
from tests.conftest import assert_ledger_consistent
from tests.orders.helpers import confirm, ln, set_company_setting

EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def carton_of_60(shop):
    bag = catalog.create_unit(by=shop.admin, code="BAG", name="袋")
    sugar = catalog.create_item(by=shop.admin, code="S060", name="白糖", base_unit=bag, category=shop.food,
                                barcodes=["6911111111116"], units=[(shop.box, D("60"))], purchase_price=D("3"))
    catalog.add_barcode(sugar, by=shop.admin, code="6911111111123", unit=shop.box)
    return sugar


def receipt_from(api, shop, po, *lines):
    return api.post("/documents", {"kind": "purchase_receipt", "warehouse": shop.main.pk, "partner": shop.supplier.pk,
                                   "source": po.pk, "advance_to": "posted", "lines": list(lines)})


def test_a_carton_against_a_line_in_bags_counts_its_60_bags_and_one_bag_more_is_over_receipt(api, shop):
    sugar = carton_of_60(shop)
    po = confirm(shop, "purchase_order", [ln(sugar, 60, "3")], partner=shop.supplier)
    line = po.lines.get()
    one_carton = {"item": sugar.pk, "quantity": "1", "unit": shop.box.pk, "unit_price": "180", "source_line": line.pk}
    one_bag = {"item": sugar.pk, "quantity": "1", "unit_price": "3", "source_line": line.pk}

    # 1 carton + 1 bag = 61 bags in one receipt: refused, nothing written
    r = receipt_from(api, shop, po, one_carton, one_bag)
    assert r.status_code == 409 and r.json()["code"] == "document.over_receipt", r.content
    assert D(r.json()["data"]["requested"]) == 61 and D(r.json()["data"]["remaining"]) == 60

    r = receipt_from(api, shop, po, one_carton)
    assert r.status_code == 201, r.content
    prog = api.get(f"/orders/{po.pk}/progress").json()
    assert [(D(x["ordered"]), D(x["fulfilled"]), D(x["remaining"]), x["status"]) for x in prog["lines"]] == [
        (D(60), D(60), D(0), "done")]

    # a 1 % tolerance lets 0.6 bag more come, not a whole bag
    set_company_setting(shop.company, over_receipt_tolerance="1")
    r = receipt_from(api, shop, po, one_bag)
    assert r.status_code == 409 and r.json()["code"] == "document.over_receipt"
    assert D(r.json()["data"]["remaining"]) == D("0.6")
    assert_ledger_consistent()


def test_a_returned_carton_reopens_60_bags_and_over_delivery_compares_bags(api, shop):
    sugar = carton_of_60(shop)
    shop.receive(sugar, 200, "3")
    so = confirm(shop, "sales_order", [ln(sugar, 90, "5")], partner=shop.customer)
    line = so.lines.get()
    delivery = docs.create_document(
        by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer, source=so,
        lines=[ln(sugar, 1, "300", unit=shop.box.pk, source_line=line.pk)], advance_to="posted")
    prog = api.get(f"/orders/{so.pk}/progress").json()["lines"][0]
    assert (D(prog["fulfilled"]), D(prog["remaining"]), D(prog["billed"])) == (D(60), D(30), D(60))

    # one carton more (60 bags) is beyond the 30 left: no tolerance on deliveries
    body = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk, "source": so.pk,
            "advance_to": "posted", "lines": [{"item": sugar.pk, "quantity": "1", "unit": shop.box.pk,
                                               "unit_price": "300", "source_line": line.pk}]}
    r = api.post("/documents", body)
    assert r.status_code == 409 and r.json()["code"] == "document.over_delivery"
    assert (D(r.json()["data"]["requested"]), D(r.json()["data"]["remaining"])) == (D(60), D(30))

    # the customer returns the carton: 60 bags back, so 90 are left and the carton may go again
    dline = delivery.lines.get()
    docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                         source=delivery, lines=[ln(sugar, 1, "300", unit=shop.box.pk, source_line=dline.pk)],
                         advance_to="posted")
    prog = api.get(f"/orders/{so.pk}/progress").json()["lines"][0]
    assert (D(prog["returned"]), D(prog["remaining"]), D(prog["billed"])) == (D(60), D(90), D(0))
    assert api.post("/documents", body).status_code == 201
    assert_ledger_consistent()


def test_the_scanning_page_shows_each_lines_unit_and_what_is_left_and_saves_a_carton_as_60_bags(client, shop):
    sugar = carton_of_60(shop)
    po = confirm(shop, "purchase_order", [ln(sugar, 60, "3"), ln(shop.water, 24, "1.2")], partner=shop.supplier)
    sugar_line, water_line = po.lines.order_by("line_no")
    receipt = docs.create_document(
        by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier, source=po,
        lines=[ln(sugar, 60, "3", source_line=sugar_line.pk), ln(shop.water, 24, "1.2", source_line=water_line.pk)])
    client.force_login(shop.admin)
    url = reverse("web:document_lines", args=[receipt.pk]) + "?scan=1"
    page = client.get(url, **EN).content.decode()
    assert f'data-order="{po.number}"' in page
    assert 'data-left="60" data-allowed="60" data-base-unit="袋"' in page and "60 袋 left on the order" in page
    # each row offers its item's units: 袋 and 箱 ×60 for sugar, 瓶 and 箱 ×12 for water
    assert f'<option value="{shop.box.pk}" data-factor="60">箱 ×60</option>' in page
    assert f'<option value="{shop.box.pk}" data-factor="12">箱 ×12</option>' in page

    # what scan.js posts after one carton of sugar (the line's unit picked: 箱) and 2 bottles of water
    r = client.post(url, {"line_source": [sugar_line.pk, water_line.pk], "line_item": ["S060", "W001"],
                          "line_qty": ["1", "2"], "line_unit": [shop.box.pk, shop.pcs.pk],
                          "line_price": ["180", "1.2"], "line_lot": ["", ""], "line_expires": ["", ""]}, **EN)
    assert r.status_code == 302, r.content.decode()[:2000]
    lines = sorted((x.item.code, x.unit_id, x.unit_quantity, x.quantity, x.source_line_id)
                   for x in Document.objects.get(pk=receipt.pk).lines.all())
    assert lines == [("S060", shop.box.pk, D(1), D(60), sugar_line.pk), ("W001", shop.pcs.pk, D(2), D(2), water_line.pk)]

    # a row added by scanning (no order line kept) counts against the order line of its item: 61 bags are
    # refused at posting (the page warned before saving)
    r = client.post(url, {"line_source": [sugar_line.pk, ""], "line_item": ["S060", "S060"], "line_qty": ["1", "1"],
                          "line_unit": [shop.box.pk, ""], "line_price": ["180", "3"], "line_lot": ["", ""],
                          "line_expires": ["", ""]}, **EN)
    assert r.status_code == 302
    receipt = Document.objects.get(pk=receipt.pk)
    assert [x.source_line_id for x in receipt.lines.all()] == [sugar_line.pk, sugar_line.pk]
    with pytest.raises(DomainError) as err:
        docs.advance_document(receipt, by=shop.admin, to="posted")
    assert err.value.code == "document.over_receipt"
