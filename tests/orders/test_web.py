"""The web document page offers Close on confirmed orders only, and closing needs a reason."""

from django.urls import reverse

from openjxc.documents.models import Document, Status
from tests.orders.helpers import confirm, ln

EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def test_close_button_on_orders_only(client, shop):
    client.force_login(shop.admin)
    po = confirm(shop, "purchase_order", [ln(shop.flour, 10, "5")], partner=shop.supplier)
    receipt = shop.receive(shop.flour, 1, "5")
    close = reverse("web:document_action", args=[po.pk, "close"])
    page = client.get(reverse("web:document", args=[po.pk]), **EN).content.decode()
    assert close in page and "Close order" in page
    assert "Close order" not in client.get(reverse("web:document", args=[receipt.pk]), **EN).content.decode()

    # without a reason the page shows the refusal beside the action; with one, the order is closed
    r = client.post(close, {"reason": ""}, **EN)
    assert r.status_code == 200 and "is required to close an order" in r.content.decode()
    assert Document.objects.get(pk=po.pk).status == Status.POSTED
    r = client.post(close, {"reason": "不要了"}, **EN)
    assert r.status_code == 302
    assert Document.objects.get(pk=po.pk).status == Status.CLOSED
