"""Units, item units, categories, regions and price lists through the web forms (django.test.Client):
every page in Chinese and English, create and edit through the services, refusals beside the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from openjxc.catalog import pricing
from openjxc.catalog.models import Category, ItemUnit, PriceList, Unit
from openjxc.core.models import AuditRecord
from openjxc.partners import services as partners
from openjxc.partners.models import Region

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _pages(shop):
    region = partners.create_region(by=shop.admin, code="EAST", name="华东")
    pl = pricing.create_price_list(by=shop.admin, name="批发价", partner=shop.customer,
                                   prices=[pricing.PriceInput(item=shop.water.pk, price=D("1.8"))])
    return [
        (reverse("web:units"), "计量单位", "Units"),
        (reverse("web:unit_new"), "新建计量单位", "New unit"),
        (reverse("web:unit_edit", args=[shop.box.pk]), "删除计量单位", "Delete unit"),
        (reverse("web:item_units", args=[shop.water.pk]), "1 箱 = 12 瓶", "1 箱 = 12 瓶"),
        (reverse("web:categories"), "商品分类", "Categories"),
        (reverse("web:category_new"), "新建分类", "New category"),
        (reverse("web:category_edit", args=[shop.food.pk]), "上级分类", "Parent category"),
        (reverse("web:regions"), "地区", "Regions"),
        (reverse("web:region_new"), "新建地区", "New region"),
        (reverse("web:region_edit", args=[region.pk]), "华东", "华东"),
        (reverse("web:price_lists"), "价格表", "Price lists"),
        (reverse("web:price_list_new"), "新建价格表", "New price list"),
        (reverse("web:price_list_edit", args=[pl.pk]), "使用此价格表的客户", "Customers using this list"),
    ]


def test_every_page_renders_in_chinese_and_english(client, shop):
    client.force_login(shop.admin)
    for url, zh, en in _pages(shop):
        page = client.get(url, **ZH)
        assert page.status_code == 200, url
        assert zh in page.content.decode(), (url, zh)
        client.cookies.pop("django_language", None)
        shop.admin.language = "en"
        shop.admin.save(update_fields=["language"])
        page = client.get(url, **EN)
        assert page.status_code == 200 and en in page.content.decode(), (url, en)
        shop.admin.language = ""
        shop.admin.save(update_fields=["language"])


def test_units_create_edit_and_duplicate_code_beside_the_field(client, shop):
    client.force_login(shop.admin)
    response = client.post(reverse("web:unit_new"), {"code": "BAG", "name": "袋"}, **ZH)
    assert response.status_code == 302
    bag = Unit.objects.get(company=shop.company, code="BAG")
    assert AuditRecord.objects.filter(object_id=str(bag.pk), action="create").exists()

    page = client.post(reverse("web:unit_new"), {"code": "BOX", "name": "大箱"}, **ZH)
    assert page.status_code == 200
    form = page.context["form"]
    assert "BOX" in " ".join(form.errors["code"])  # beside the code field: 编码 BOX 已被使用
    assert Unit.objects.filter(company=shop.company, code="BOX").count() == 1

    response = client.post(reverse("web:unit_edit", args=[bag.pk]), {"code": "BAG", "name": "编织袋"}, **ZH)
    assert response.status_code == 302
    bag.refresh_from_db()
    assert bag.name == "编织袋"
    listed = client.get(reverse("web:units"), {"q": "编织"}, **ZH).content.decode()
    assert "BAG" in listed and "PCS" not in listed


def test_deleting_a_used_unit_is_refused_and_an_unused_one_goes(client, shop):
    client.force_login(shop.admin)
    page = client.post(reverse("web:unit_edit", args=[shop.pcs.pk]), {"delete": "1"}, **ZH)
    assert page.status_code == 200
    assert "正在使用" in page.context["delete_error"]
    assert 'data-action="delete"' in page.content.decode()
    assert Unit.objects.filter(pk=shop.pcs.pk).exists()
    spare = Unit.objects.create(company=shop.company, code="SPARE", name="备用")
    assert client.post(reverse("web:unit_edit", args=[spare.pk]), {"delete": "1"}, **ZH).status_code == 302
    assert not Unit.objects.filter(pk=spare.pk).exists()


def test_item_units_add_change_refuse_and_remove(client, shop):
    client.force_login(shop.admin)
    url = reverse("web:item_units", args=[shop.flour.pk])
    bag = Unit.objects.create(company=shop.company, code="BAG", name="袋")
    assert client.post(url, {"unit": bag.pk, "factor": "25"}, **ZH).status_code == 302
    assert ItemUnit.objects.get(item=shop.flour, unit=bag).factor == D("25")
    assert "1 袋 = 25 千克" in client.get(url, **ZH).content.decode()
    page = client.post(url, {"unit": bag.pk, "factor": "0"}, **ZH)  # the service refuses a zero factor
    assert page.status_code == 200 and page.context["form"].errors["factor"]
    assert ItemUnit.objects.get(item=shop.flour, unit=bag).factor == D("25")
    assert client.post(url, {"remove": bag.pk}, **ZH).status_code == 302
    assert not ItemUnit.objects.filter(item=shop.flour, unit=bag).exists()


def test_category_tree_create_rename_move_and_refuse_a_cycle(client, shop):
    client.force_login(shop.admin)
    new = reverse("web:category_new")
    assert client.post(new, {"code": "DAIRY", "name": "乳制品", "parent": shop.food.pk}, **ZH).status_code == 302
    dairy = Category.objects.get(company=shop.company, code="DAIRY")
    assert dairy.path == f"{shop.food.path}{dairy.pk}/"
    assert client.post(new, {"code": "FRESH", "name": "鲜奶", "parent": dairy.pk}, **ZH).status_code == 302
    fresh = Category.objects.get(company=shop.company, code="FRESH")
    page = client.get(reverse("web:categories"), **ZH).content.decode()
    assert "食品 › 乳制品 › 鲜奶" in page
    assert page.index("DAIRY") < page.index("FRESH")  # tree order

    # move 乳制品 (with 鲜奶 below it) to the top and rename it
    edit = reverse("web:category_edit", args=[dairy.pk])
    assert client.post(edit, {"code": "DAIRY", "name": "奶制品", "parent": ""}, **ZH).status_code == 302
    dairy.refresh_from_db()
    fresh.refresh_from_db()
    assert (dairy.name, dairy.parent_id, dairy.path) == ("奶制品", None, f"/{dairy.pk}/")
    assert fresh.path == f"/{dairy.pk}/{fresh.pk}/"

    # a category cannot go below itself: the service refuses it beside the parent field
    page = client.post(reverse("web:category_edit", args=[dairy.pk]),
                       {"code": "DAIRY", "name": "奶制品", "parent": fresh.pk}, **ZH)
    assert page.status_code == 200 and page.context["form"].errors["parent"]
    dairy.refresh_from_db()
    assert dairy.parent_id is None
    # duplicate code beside the code field
    page = client.post(new, {"code": "FOOD", "name": "重复"}, **ZH)
    assert page.status_code == 200 and "FOOD" in " ".join(page.context["form"].errors["code"])
    under = client.get(reverse("web:categories"), {"under": dairy.pk}, **ZH).content.decode()
    assert "FRESH" in under and "FOOD</span>" not in under


def test_regions_create_edit_and_duplicate(client, shop):
    client.force_login(shop.admin)
    assert client.post(reverse("web:region_new"), {"code": "EAST", "name": "华东"}, **ZH).status_code == 302
    east = Region.objects.get(company=shop.company, code="EAST")
    assert client.post(reverse("web:region_new"), {"code": "SH", "name": "上海", "parent": east.pk},
                       **ZH).status_code == 302
    sh = Region.objects.get(company=shop.company, code="SH")
    assert sh.parent == east
    assert client.post(reverse("web:region_edit", args=[sh.pk]), {"code": "SH", "name": "上海市", "parent": east.pk},
                       **ZH).status_code == 302
    sh.refresh_from_db()
    assert sh.name == "上海市"
    page = client.post(reverse("web:region_new"), {"code": "EAST", "name": "again"}, **ZH)
    assert page.status_code == 200 and page.context["form"].errors["code"]
    assert "上海市" in client.get(reverse("web:regions"), **ZH).content.decode()


def test_price_list_create_edit_lines_and_its_customers(client, shop):
    client.force_login(shop.admin)
    post = {"name": "批发价", "partner": shop.customer.pk, "customer_group": "", "valid_from": "", "valid_to": "",
            "is_active": "on", "p_item": ["W001", "W001", ""], "p_unit": ["", "BOX", ""],
            "p_min_qty": ["", "", ""], "p_price": ["1.8", "20", ""], "p_tax": ["1", "1", "1"]}
    response = client.post(reverse("web:price_list_new"), post, **ZH)
    pl = PriceList.objects.get(company=shop.company, name="批发价")
    assert response.status_code == 302 and response.url == reverse("web:price_list_edit", args=[pl.pk])
    assert sorted((r.unit.code, r.price) for r in pl.items.select_related("unit")) == [("BOX", D("20")),
                                                                                      ("PCS", D("1.8"))]
    page = client.get(response.url, **ZH).content.decode()
    assert "好运超市" in page  # the customer who uses it

    # a repeated quantity break is refused by the service, nothing replaced
    bad = {**post, "p_item": ["W001", "W001"], "p_unit": ["", ""], "p_min_qty": ["", ""], "p_price": ["1", "2"],
           "p_tax": ["1", "1"]}
    page = client.post(response.url, bad, **ZH)
    assert page.status_code == 200 and page.context["error"]
    assert pl.items.count() == 2
    # valid_to before valid_from: beside the field
    page = client.post(response.url, {**post, "valid_from": "2026-05-01", "valid_to": "2026-04-01"}, **ZH)
    assert page.status_code == 200 and page.context["form"].errors["valid_to"]
    # edit the lines: one price left
    one = {**post, "p_item": ["W001"], "p_unit": [""], "p_min_qty": ["10"], "p_price": ["1.5"], "p_tax": ["0"]}
    assert client.post(response.url, one, **ZH).status_code == 302
    row = pl.items.get()
    assert (row.min_quantity, row.price, row.tax_inclusive) == (D("10"), D("1.5"), False)
    assert "批发价" in client.get(reverse("web:price_lists"), {"q": "批发"}, **ZH).content.decode()


@pytest.mark.parametrize("name", ["web:unit_new", "web:category_new", "web:region_new", "web:price_list_new"])
def test_a_keeper_may_look_but_not_edit(client, shop, name):
    keeper = shop.user("keeper1", "keeper")
    client.force_login(keeper)
    assert client.get(reverse(name), **ZH).status_code == 403
    assert client.get(reverse("web:units"), **ZH).status_code == 200
