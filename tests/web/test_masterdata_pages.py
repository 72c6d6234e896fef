"""Master-data pages through django.test.Client: lists with filters and paging, create, edit, refusals."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Barcode, Item
from openjxc.core.models import Role
from openjxc.partners import services as partners
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse
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
    assert first.context["page"].count == 60
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("web:items") + "?" + first.context["page"].next_query, **ZH)  # keyset pager
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


# ---------------------------------------------------------------- partners


def test_partners_list_filters_by_kind_region_and_search(client, shop):
    east = partners.create_region(by=shop.admin, code="EAST", name="华东")
    partners.create_partner(by=shop.admin, code="B001", name="双向商行", kind="both", region=east,
                            phone="13800000000")
    client.force_login(shop.admin)
    page = client.get(reverse("web:partners"), **ZH).content.decode()
    assert "往来单位" in page and "S001" in page and "C001" in page and "B001" in page
    suppliers = client.get(reverse("web:partners"), {"kind": "supplier"}, **ZH).content.decode()
    assert "S001" in suppliers and "B001" in suppliers and "C001" not in suppliers
    in_east = client.get(reverse("web:partners"), {"region": east.pk}, **ZH).content.decode()
    assert "B001" in in_east and "S001" not in in_east
    by_phone = client.get(reverse("web:partners"), {"q": "13800"}, **ZH).content.decode()
    assert "B001" in by_phone and "C001" not in by_phone


def test_partner_create_edit_and_duplicate(client, shop):
    client.force_login(shop.admin)
    data = {"code": "C002", "name": "新客户", "kind": "customer", "region": "", "contact": "王五",
            "phone": "021-1234", "email": "", "address": "", "tax_number": "", "credit_limit": "5000",
            "is_active": "on"}
    response = client.post(reverse("web:partner_new"), data, **ZH)
    assert response.status_code == 302
    partner = Partner.objects.get(company=shop.company, code="C002")
    assert partner.contact == "王五" and partner.credit_limit == D("5000")
    response = client.post(reverse("web:partner_edit", args=[partner.pk]), {**data, "name": "老客户"}, **ZH)
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "老客户"
    count = Partner.objects.count()
    refused = client.post(reverse("web:partner_new"), {**data, "code": "S001"}, **ZH)
    assert refused.status_code == 200 and "编码 S001 已被使用" in refused.content.decode()
    assert Partner.objects.count() == count


def test_partner_pages_refuse_a_cashier_and_hide_other_companies(client, shop):
    other = Shop("BETA")
    cashier = shop.user("cashier1", Role.CASHIER)
    client.force_login(cashier)
    assert client.get(reverse("web:partners"), **ZH).status_code == 200
    assert client.get(reverse("web:partner_new"), **ZH).status_code == 403
    client.force_login(shop.admin)
    assert client.get(reverse("web:partner_edit", args=[other.supplier.pk]), **ZH).status_code == 404


# ---------------------------------------------------------------- warehouses


def test_warehouse_create_edit_and_add_location(client, shop):
    client.force_login(shop.admin)
    page = client.get(reverse("web:warehouses"), **ZH).content.decode()
    assert "WH1" in page and "ST1" in page and "总仓" in page
    data = {"code": "WH9", "name": "九号仓", "kind": "warehouse", "address": "浦东", "is_active": "on"}
    response = client.post(reverse("web:warehouse_new"), data, **ZH)
    wh = Warehouse.objects.get(company=shop.company, code="WH9")
    assert response.status_code == 302 and response.url == reverse("web:warehouse_edit", args=[wh.pk])
    assert wh.locations.filter(is_default=True).count() == 1
    response = client.post(reverse("web:warehouse_edit", args=[wh.pk]),
                           {**data, "name": "九号新仓", "allow_negative": "on"}, **ZH)
    assert response.status_code == 302
    wh.refresh_from_db()
    assert wh.name == "九号新仓" and wh.allow_negative
    response = client.post(reverse("web:warehouse_edit", args=[wh.pk]),
                           {"add_location": "1", "code": "WH9-A1", "name": "A区1排"}, **ZH)
    assert response.status_code == 302
    assert "WH9-A1" in client.get(reverse("web:warehouse_edit", args=[wh.pk]), **ZH).content.decode()
    count = Warehouse.objects.count()
    refused = client.post(reverse("web:warehouse_new"), {**data, "code": "WH1"}, **ZH)
    assert refused.status_code == 200 and "编码 WH1 已被使用" in refused.content.decode()
    assert Warehouse.objects.count() == count


def test_warehouse_pages_refuse_a_keeper_and_hide_other_companies(client, shop):
    other = Shop("BETA")
    keeper = shop.user("keeper2", Role.KEEPER)
    client.force_login(keeper)
    assert client.get(reverse("web:warehouses"), **ZH).status_code == 200
    assert client.post(reverse("web:warehouse_new"), {"code": "X", "name": "X", "kind": "warehouse"},
                       **ZH).status_code == 403
    assert not Warehouse.objects.filter(code="X").exists()
    client.force_login(shop.admin)
    assert client.get(reverse("web:warehouse_edit", args=[other.main.pk]), **ZH).status_code == 404
    assert "BETA" not in client.get(reverse("web:warehouses"), **ZH).content.decode()


def test_edit_form_shows_prices_as_typed_and_keeps_six_decimals(client, shop):
    client.force_login(shop.admin)
    page = client.get(reverse("web:item_edit", args=[shop.flour.pk]), **ZH).content.decode()
    assert 'value="5"' in page and 'value="0.13"' in page and "5.000000" not in page
    response = client.post(reverse("web:item_edit", args=[shop.flour.pk]),
                           item_post(shop, code="F001", name="面粉", purchase_price="4.123456", barcode=""), **ZH)
    assert response.status_code == 302
    shop.flour.refresh_from_db()
    assert shop.flour.purchase_price == D("4.123456")
