"""Printouts through django.test.Client: document PDFs (A4, receipt), the HTML print page, labels, scoping.

The PDFs are read back as a reader would: pypdf extracts the text (Chinese included), and the pages
are rasterised (pypdfium2) and scanned (zxing-cpp) to prove the QR and bar codes really decode.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse
from pypdf import PdfReader

from openjxc.catalog import services as catalog
from openjxc.catalog.services import lookup_barcode
from openjxc.core.models import Role
from openjxc.documents.services import LineInput
from openjxc.printing import fonts
from openjxc.printing.content import document_printout
from openjxc.printing.documents import a4_pdf, receipt_pdf
from openjxc.stock.models import Lot
from tests.conftest import Shop, assert_ledger_consistent

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
MM = 72 / 25.4
QR, C128, EAN13 = zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.EAN13


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def scan(content: bytes, page: int = 0, dpi: int = 300) -> dict[str, str]:
    """Rasterise one page and read every barcode on it: {format name: text}."""
    pdf = pypdfium2.PdfDocument(content)
    image = pdf[page].render(scale=dpi / 72).to_pil().convert("L")
    pdf.close()
    return {b.format: b.text for b in zxingcpp.read_barcodes(image)}


@pytest.fixture
def delivery(shop):
    """A posted sales delivery of two Chinese-named items, one of them from a lot with an expiry date."""
    shop.receive(shop.flour, 100, "5.00")
    shop.receive(shop.milk, 50, "3.00", lot="L2611A", expires_on=dt.date(2026, 12, 31))
    return shop.post("sales_delivery", [
        LineInput(item=shop.flour.pk, quantity=D("3"), unit_price=D("8.50")),
        LineInput(item=shop.milk.pk, quantity=D("2"), lot_code="L2611A"),
    ], partner=shop.customer, memo="送到后门")


def get_pdf(client, user, url, **extra):
    client.force_login(user)
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


# ---------------------------------------------------------------- documents


def test_a4_pdf_of_a_posted_delivery_reads_back_in_chinese(client, shop, delivery):
    content = get_pdf(client, shop.admin, reverse("web:document_pdf", args=[delivery.pk, "a4"]), **ZH)
    reader = PdfReader(io.BytesIO(content))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width / MM), round(height / MM)) == (210, 297)
    text = pdf_text(content)[0]
    for expected in ("面粉", "鲜牛奶", delivery.number, shop.company.name, "销售出库", "好运超市", "L2611A",
                     "2026-12-31", "8.50", "35.50", "第 1 页，共 1 页"):
        assert expected in text, expected
    codes = scan(content)
    assert codes.get(QR) == delivery.number
    assert codes.get(C128) == delivery.number
    assert_ledger_consistent()


def test_receipt_pdf_is_80_mm_wide_and_reads_back(client, shop, delivery):
    content = get_pdf(client, shop.admin, reverse("web:document_pdf", args=[delivery.pk, "receipt"]), **ZH)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    assert round(float(reader.pages[0].mediabox.width) / MM) == 80
    text = pdf_text(content)[0]
    for expected in ("面粉", "鲜牛奶", delivery.number, shop.company.name, "¥35.50"):
        assert expected in text, expected
    codes = scan(content)
    assert codes.get(QR) == delivery.number
    assert codes.get(C128) == delivery.number


@pytest.mark.parametrize("embed", [True, False], ids=["embedded-ttf", "cid-fallback"])
def test_chinese_extracts_with_either_font(shop, delivery, embed):
    """Without a CJK TrueType font on the machine the CID font STSong-Light is used; both read back."""
    if embed and fonts.pdf_font(True) != fonts.EMBEDDED_NAME:
        pytest.skip("no CJK TrueType font on this machine (fonts-wqy-microhei): the CID path is tested")
    printout = document_printout(delivery, shop.admin)
    for render in (a4_pdf, receipt_pdf):
        content = render(printout, embed_font=embed)
        assert "面粉" in pdf_text(content)[0] and "鲜牛奶" in pdf_text(content)[0]
        assert (b"/FontFile2" in content) is embed  # embedded glyphs, or none (the viewer supplies them)


def test_a_draft_is_marked_on_the_printout(client, shop):
    from openjxc.documents import services as docs

    draft = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                 lines=[LineInput(item=shop.flour.pk, quantity=D("1"))])
    text = pdf_text(get_pdf(client, shop.admin, reverse("web:document_pdf", args=[draft.pk, "a4"]), **ZH))[0]
    assert text.count("草稿") >= 2  # in the header and as the mark across the page


def test_purchase_prices_print_only_for_users_who_see_values(client, shop):
    receipt = shop.receive(shop.flour, 10, "5.25")
    url = reverse("web:document_pdf", args=[receipt.pk, "a4"])
    assert "5.25" in pdf_text(get_pdf(client, shop.admin, url))[0]
    clerk = shop.user("clerk", Role.SALESPERSON)
    text = pdf_text(get_pdf(client, clerk, url))[0]
    assert "面粉" in text and "5.25" not in text and "52.50" not in text


def test_sales_prices_print_for_a_cashier_but_not_costs(client, shop):
    shop.receive(shop.water, 48, "1.20", warehouse=shop.store)
    cashier = shop.user("cashier", Role.CASHIER, warehouses=[shop.store])
    sale = shop.sell(shop.water, 3, warehouse=shop.store, price="2.50")
    text = pdf_text(get_pdf(client, cashier, reverse("web:document_pdf", args=[sale.pk, "a4"])))[0]
    assert "2.50" in text and "7.50" in text
    assert "3.60" not in text  # the cost of the sale (3 × 1.20)


def test_two_thousand_lines_print_on_many_pages_with_the_header_on_each(client, shop):
    shop.receive(shop.water, 5000, "1.00")
    big = shop.post("sales_delivery", [LineInput(item=shop.water.pk, quantity=D("1"), unit_price=D("2"))
                                       for _ in range(2000)], partner=shop.customer)
    content = get_pdf(client, shop.admin, reverse("web:document_pdf", args=[big.pk, "a4"]), **ZH)
    pages = pdf_text(content)
    assert len(pages) > 20
    assert all(big.number in page and shop.company.name in page and "矿泉水" in page for page in pages)
    assert all("数量" in page for page in pages)  # the table's column heads repeat
    assert f"第 {len(pages)} 页，共 {len(pages)} 页" in pages[-1]
    assert "2000" in pages[-1] and "4,000.00" in pages[-1]
    receipt = get_pdf(client, shop.admin, reverse("web:document_pdf", args=[big.pk, "receipt"]))
    assert "矿泉水" in pdf_text(receipt)[-1]


def test_html_print_page(client, shop, delivery):
    client.force_login(shop.admin)
    page = client.get(reverse("web:document_print", args=[delivery.pk]), **ZH).content.decode()
    assert "@page { size: A4" in page and delivery.number in page and "鲜牛奶" in page and "<svg" in page
    receipt = client.get(reverse("web:document_print", args=[delivery.pk]) + "?paper=receipt").content.decode()
    assert "size: 80mm 297mm" in receipt
    detail = client.get(reverse("web:document", args=[delivery.pk]), **ZH).content.decode()
    assert reverse("web:document_pdf", args=[delivery.pk, "a4"]) in detail


# ---------------------------------------------------------------- labels


def test_item_label_carries_name_code_price_and_its_ean13(client, shop):
    url = reverse("web:item_labels", args=[shop.flour.pk]) + "?size=40x30&price=1&copies=2"
    content = get_pdf(client, shop.admin, url)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    page = reader.pages[0]
    assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) == (40, 30)
    text = page.extract_text()
    assert "面粉" in text and "F001" in text and "¥8.00" in text
    assert scan(content, dpi=600) == {EAN13: "6901234567892"}


def test_item_without_a_valid_ean13_gets_code128(client, shop):
    item = catalog.create_item(by=shop.admin, code="BOLT-M8", name="螺栓", base_unit=shop.pcs)
    content = get_pdf(client, shop.admin, reverse("web:item_labels", args=[item.pk]) + "?size=50x25")
    assert scan(content, dpi=600) == {C128: "BOLT-M8"}
    assert "¥" not in pdf_text(content)[0]  # the price only when asked for


def test_lot_label_scans_back_into_item_lot_and_expiry(client, shop):
    """A lot of an item with a GTIN prints GS1-128 (01)(17)(10); the scan resolves through lookup_barcode."""
    cheese = catalog.create_item(by=shop.admin, code="CH01", name="奶酪", base_unit=shop.pcs, tracking="lot_expiry",
                                 barcodes=["6940000000010"])
    shop.receive(cheese, 10, "5.00", lot="FL-0426", expires_on=dt.date(2027, 4, 30))
    lot = Lot.objects.get(item=cheese, code="FL-0426")
    content = get_pdf(client, shop.admin, reverse("web:lot_labels", args=[lot.pk]))
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) == (60, 40)
    text = page.extract_text()
    assert "奶酪" in text and "FL-0426" in text and "2027-04-30" in text
    pdf = pypdfium2.PdfDocument(content)
    image = pdf[0].render(scale=600 / 72).to_pil().convert("L")
    found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)  # what a scanner sends
    pdf.close()
    assert len(found) == 1 and found[0].symbology_identifier == "]C1"  # FNC1 first: a GS1-128
    resolved = lookup_barcode(shop.company.pk, found[0].text)
    assert resolved["item"] == cheese and resolved["lot"] == "FL-0426"
    assert resolved["expires_on"] == dt.date(2027, 4, 30)


def test_lot_label_without_gtin_carries_the_lot_code(client, shop):
    item = catalog.create_item(by=shop.admin, code="Y001", name="酸奶", base_unit=shop.pcs, tracking="lot_expiry")
    shop.receive(item, 5, "2.00", lot="YG-01", expires_on=dt.date(2027, 1, 15))
    lot = Lot.objects.get(item=item)
    content = get_pdf(client, shop.admin, reverse("web:lot_labels", args=[lot.pk]) + "?size=40x30")
    assert scan(content, dpi=600) == {C128: "YG-01"}
    assert "2027-01-15" in pdf_text(content)[0]


def test_document_labels_one_per_item_or_lot(client, shop, delivery):
    content = get_pdf(client, shop.admin, reverse("web:document_labels", args=[delivery.pk]))
    pages = pdf_text(content)
    assert len(pages) == 2 and "面粉" in pages[0] and "L2611A" in pages[1]


# ---------------------------------------------------------------- who may print what


def test_printing_is_scoped_like_the_document_page(client, shop, delivery):
    cashier = shop.user("cashier", Role.CASHIER, warehouses=[shop.store])
    client.force_login(cashier)
    for name, args in (("web:document_pdf", [delivery.pk, "a4"]), ("web:document_pdf", [delivery.pk, "receipt"]),
                       ("web:document_print", [delivery.pk]), ("web:document_labels", [delivery.pk])):
        assert client.get(reverse(name, args=args)).status_code == 404, name


def test_another_companys_rows_and_bad_input_are_not_found(client, shop, delivery):
    other = Shop(code="OTHER")
    other_doc = other.receive(other.flour, 5, "4.00")
    lot_item = other.milk
    other.receive(lot_item, 5, "3.00", lot="X1", expires_on=dt.date(2027, 1, 1))
    other_lot = Lot.objects.get(item=lot_item)
    client.force_login(shop.admin)
    assert client.get(reverse("web:document_pdf", args=[other_doc.pk, "a4"])).status_code == 404
    assert client.get(reverse("web:document_print", args=[other_doc.pk])).status_code == 404
    assert client.get(reverse("web:item_labels", args=[other.flour.pk])).status_code == 404
    assert client.get(reverse("web:lot_labels", args=[other_lot.pk])).status_code == 404
    assert client.get(reverse("web:document_pdf", args=[999999, "a4"])).status_code == 404
    assert client.get(reverse("web:document_pdf", args=[delivery.pk, "a3"])).status_code == 404
    assert client.get(reverse("web:document_print", args=[delivery.pk]) + "?paper=a3").status_code == 404
    labels = reverse("web:item_labels", args=[shop.flour.pk])
    for query in ("?size=99x99", "?copies=0", "?copies=abc", "?copies=100000"):
        assert client.get(labels + query).status_code == 400, query
    client.logout()
    assert client.get(reverse("web:document_pdf", args=[delivery.pk, "a4"])).status_code == 302
