"""The item edit page shows the item's barcodes with their units and leads to the barcode page, where barcodes
are added (with the unit a scan counts: base unit or a pack) and removed through the catalog services
(issue 13 item 21)."""

from __future__ import annotations

from django.urls import reverse

from openjxc.catalog.models import Barcode
from openjxc.catalog.services import lookup_barcode
from openjxc.core.models import AuditRecord

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


def test_the_item_edit_page_shows_barcodes_with_their_unit_and_links_to_edit_them(client, shop):
    client.force_login(shop.admin)
    page = client.get(reverse("web:item_edit", args=[shop.water.pk]), **ZH).content.decode()
    assert "6920000000017 (瓶)" in page
    assert reverse("web:item_barcodes", args=[shop.water.pk]) in page and "添加或删除条码" in page


def test_a_carton_barcode_is_added_with_its_unit_and_a_barcode_removed(client, shop):
    client.force_login(shop.admin)
    url = reverse("web:item_barcodes", args=[shop.water.pk])
    page = client.get(url, **ZH).content.decode()
    assert "6920000000017" in page and f'<option value="{shop.box.pk}">箱 (×12)</option>' in page

    assert client.post(url, {"code": "6920000000024", "unit": shop.box.pk}, **ZH).status_code == 302
    assert lookup_barcode(shop.company.pk, "6920000000024")["unit"] == shop.box  # a scan now books a carton
    assert "6920000000024 (箱)" in client.get(reverse("web:item_edit", args=[shop.water.pk]), **ZH).content.decode()

    # taken by another item, or a unit the item does not have: refused beside the form, nothing written
    page = client.post(url, {"code": "6901234567892", "unit": shop.pcs.pk}, **ZH)
    assert page.status_code == 200 and "已" in page.context["error"]
    page = client.post(url, {"code": "6920000000031", "unit": shop.kg.pk}, **ZH)
    assert page.status_code == 200 and page.context["form"].errors
    assert not Barcode.objects.filter(code="6920000000031").exists()

    audits = AuditRecord.objects.count()
    assert client.post(url, {"remove": "6920000000017"}, **ZH).status_code == 302
    assert not Barcode.objects.filter(item=shop.water, code="6920000000017").exists()
    assert AuditRecord.objects.count() == audits + 1
    assert 'value="6920000000017"' not in client.get(url, **ZH).content.decode()


def test_a_keeper_sees_barcodes_but_cannot_change_them(client, shop):
    viewer = shop.user("keeper1", "keeper")
    client.force_login(viewer)
    url = reverse("web:item_barcodes", args=[shop.water.pk])
    page = client.get(url, **ZH)
    assert page.status_code == 200 and "6920000000017" in page.content.decode()
    assert 'name="remove"' not in page.content.decode()
    assert client.post(url, {"remove": "6920000000017"}, **ZH).status_code in (302, 403)
    assert Barcode.objects.filter(item=shop.water, code="6920000000017").exists()
