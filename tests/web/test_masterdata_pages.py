"""Master-data pages through django.test.Client: lists with filters and paging, create, edit, refusals."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Barcode, Item
from openjxc.core.models import Role
from tests.conftest import Shop

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def item_post(shop, **over):
    data = {
        "code": "N001", "name": "新商品", "spec": "500g", "category": shop.food.pk, "base_unit": shop.pcs.pk,
        "tracking": "none", "shelf_life_days": "", "purchase_price": "3.5", "sale_price": "6",
        "tax_rate": "0.13", "barcode": "6940000000001", "is_active": "on",
    }
    data.update(over)
    return data


def test_items_list_search_filter_and_sort(client, shop):
    client.force_login(shop.admin)
    page = client.get(reverse("web:items"), **ZH).content.decode()
    assert "F001" in page and "W001" in page and "M001" in page
    assert "商品" in page  # the heading in Chinese
    by_barcode = client.get(reverse("web:items"), {"q": "6920000000017"}, **ZH).content.decode()
    assert "W001" in by_barcode and "F001" not in by_barcode
    by_name = client.get(reverse("web:items"), {"q": "牛奶"}, **ZH).content.decode()
    assert "M001" in by_name and "W001" not in by_name
    catalog.update_item(shop.milk, by=shop.admin, is_active=False)
    active = client.get(reverse("web:items"), {"active": "1"}, **ZH).content.decode()
    assert "M001" not in active and "F001" in active
    other = catalog.create_category(by=shop.admin, code="TOOL", name="工具")
    catalog.create_item(by=shop.admin, code="T001", name="扳手", base_unit=shop.pcs, category=other)
    tools = client.get(reverse("web:items"), {"category": other.pk}, **ZH).content.decode()
    assert "T001" in tools and "F001" not in tools
    desc = client.get(reverse("web:items"), {"sort": "-code"}, **ZH).content.decode()
    assert desc.index("W001") < desc.index("F001")


def test_items_list_pages_by_fifty(client, shop):
    for n in range(60):
        catalog.create_item(by=shop.admin, code=f"P{n:03d}", name=f"商品{n}", base_unit=shop.pcs)
    client.force_login(shop.admin)
    first = client.get(reverse("web:items"), {"q": "P0"}, **ZH)
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("web:items"), {"q": "P0", "page": 2}, **ZH)
    assert len(second.context["page"].object_list) == 10
    assert "P059" in second.content.decode() and "P000" not in second.content.decode()


def test_item_create_and_edit(client, shop):
    client.force_login(shop.admin)
    assert client.get(reverse("web:item_new"), **ZH).status_code == 200
    response = client.post(reverse("web:item_new"), item_post(shop), **ZH)
    item = Item.objects.get(company=shop.company, code="N001")
    assert response.status_code == 302 and response.url == reverse("web:item_card", args=[item.pk])
    assert item.name == "新商品" and item.sale_price == D("6") and item.category == shop.food
    assert Barcode.objects.filter(item=item, code="6940000000001").exists()

    edit = reverse("web:item_edit", args=[item.pk])
    assert "新商品" in client.get(edit, **ZH).content.decode()
    response = client.post(edit, item_post(shop, name="改名商品", sale_price="7.5", barcode="6940000000002",
                                           is_active=""), **ZH)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "改名商品" and item.sale_price == D("7.5") and not item.is_active
    assert set(item.barcodes.values_list("code", flat=True)) == {"6940000000001", "6940000000002"}


def test_duplicate_code_is_refused_in_chinese_and_writes_nothing(client, shop):
    client.force_login(shop.admin)
    before = Item.objects.count(), Barcode.objects.count()
    response = client.post(reverse("web:item_new"), item_post(shop, code="F001"), **ZH)
    assert response.status_code == 200
    assert "编码 F001 已被使用" in response.content.decode()
    assert (Item.objects.count(), Barcode.objects.count()) == before


def test_taken_barcode_on_edit_is_refused_and_rolled_back(client, shop):
    client.force_login(shop.admin)
    response = client.post(reverse("web:item_edit", args=[shop.flour.pk]),
                           item_post(shop, code="F001", name="别的名字", barcode="6920000000017"), **ZH)
    assert response.status_code == 200
    assert "6920000000017" in response.content.decode()
    shop.flour.refresh_from_db()
    assert shop.flour.name == "面粉"


def test_who_lacks_masterdata_edit_is_refused(client, shop):
    keeper = shop.user("keeper1", Role.KEEPER)
    client.force_login(keeper)
    assert client.get(reverse("web:items"), **ZH).status_code == 200
    assert "新建商品" not in client.get(reverse("web:items"), **ZH).content.decode()
    assert client.get(reverse("web:item_new"), **ZH).status_code == 403
    before = Item.objects.count()
    assert client.post(reverse("web:item_new"), item_post(shop), **ZH).status_code == 403
    assert client.post(reverse("web:item_edit", args=[shop.flour.pk]), item_post(shop), **ZH).status_code == 403
    assert Item.objects.count() == before


def test_another_companys_item_is_not_found(client, shop):
    other = Shop("BETA")
    client.force_login(shop.admin)
    assert client.get(reverse("web:item_edit", args=[other.flour.pk]), **ZH).status_code == 404
    page = client.get(reverse("web:items"), **ZH)
    assert [i.pk for i in page.context["page"].object_list if i.pk == other.flour.pk] == []
