"""Purchase and sales orders in the document screens: progress per line (received / delivered),
下推 to a receipt or delivery with what is left, close short; in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from tests.conftest import assert_ledger_consistent

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _order(shop, kind, partner, qty="10"):
    doc = docs.create_document(by=shop.admin, kind=kind, warehouse=shop.main, partner=partner,
                               lines=[LineInput(item=shop.flour.pk, quantity=D(qty), unit_price=D("5"))])
    return docs.advance_document(doc, by=shop.admin, to="posted")


def test_purchase_order_progress_push_down_and_close_short(client, shop):
    po = _order(shop, "purchase_order", shop.supplier)
    client.force_login(shop.admin)
    url = reverse("web:document", args=[po.pk])
    page = client.get(url, **ZH)
    assert page.status_code == 200
    html = page.content.decode()
    assert "订单执行情况" in html
    assert [p.remaining for p in page.context["progress"]] == [D("10")]
    client.cookies.pop("django_language", None)
    assert "Order progress" in client.get(url, **EN).content.decode()

    # 下推 to a receipt: a draft with what is left, then partly received
    response = client.post(reverse("web:document_create_from", args=[po.pk, "purchase_receipt"]), **ZH)
    receipt = Document.objects.get(source=po, kind="purchase_receipt")
    assert response.status_code == 302 and response.url == reverse("web:document", args=[receipt.pk])
    line = receipt.lines.get()
    assert line.quantity == D("10") and line.source_line_id == po.lines.get().pk
    docs.update_document(receipt, by=shop.admin, lines=[LineInput(item=shop.flour.pk, quantity=D("4"),
                                                                  unit_price=D("5"), source_line=line.source_line_id)])
    docs.advance_document(receipt, by=shop.admin, to="posted")
    progress = client.get(url, **ZH).context["progress"][0]
    assert (progress.fulfilled, progress.remaining, progress.status) == (D("4"), D("6"), "partial")

    # a second 下推 takes only the 6 left
    client.post(reverse("web:document_create_from", args=[po.pk, "purchase_receipt"]), **ZH)
    second = Document.objects.filter(source=po, kind="purchase_receipt", status=Status.DRAFT).get()
    assert second.lines.get().quantity == D("6")
    docs.cancel_document(second, by=shop.admin, reason="")

    # close short: a reason is required, then the order is closed and the lines say so
    page = client.post(reverse("web:document_action", args=[po.pk, "close"]), {"reason": ""}, **ZH)
    assert page.status_code == 200 and page.context["error_action"] == "close"
    assert client.post(reverse("web:document_action", args=[po.pk, "close"]), {"reason": "供应商缺货"},
                       **ZH).status_code == 302
    po.refresh_from_db()
    assert po.status == Status.CLOSED
    page = client.get(url, **ZH)
    assert page.context["progress"][0].status == "closed" and not page.context["create_from"]
    assert_ledger_consistent()


def test_sales_order_delivered_in_part_shows_delivered(client, shop):
    shop.receive(shop.flour, 20, "5.00")
    so = _order(shop, "sales_order", shop.customer, qty="8")
    client.force_login(shop.admin)
    page = client.get(reverse("web:document", args=[so.pk]), **ZH)
    assert "sales_delivery" in [k.code for k in page.context["create_from"]]
    client.post(reverse("web:document_create_from", args=[so.pk, "sales_delivery"]), **ZH)
    delivery = Document.objects.get(source=so, kind="sales_delivery")
    docs.advance_document(delivery, by=shop.admin, to="posted")
    page = client.get(reverse("web:document", args=[so.pk]), **ZH)
    p = page.context["progress"][0]
    assert (p.fulfilled, p.remaining, p.status) == (D("8"), D("0"), "done")
    assert "已发货" in page.content.decode()
    assert_ledger_consistent()
