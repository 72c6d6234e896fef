"""A category on a form at any catalogue size: a drop-down while there are few, a code (or unique name) box when
there are too many to list — the items filter, the item form and the category's parent (catalog/category_field.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openjxc.catalog import category_field
from openjxc.catalog import services as catalog
from openjxc.catalog.models import Item
from tests.web.test_masterdata_pages import item_post

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def many(shop, monkeypatch):
    """More categories than the drop-down lists (the limit lowered to 2 for the test)."""
    monkeypatch.setattr(category_field, "SELECT_UP_TO", 2)
    shop.drinks = catalog.create_category(by=shop.admin, code="DRK", name="饮料")
    shop.tea = catalog.create_category(by=shop.admin, code="TEA", name="茶", parent=shop.drinks)
    shop.tea2 = catalog.create_category(by=shop.admin, code="TEA2", name="茶", parent=shop.food)
    catalog.update_item(shop.water, by=shop.admin, category=shop.drinks)
    return shop


def test_a_small_catalogue_gets_a_drop_down_indented_by_depth(client, shop):
    catalog.create_category(by=shop.admin, code="MILK", name="乳制品", parent=shop.food)
    client.force_login(shop.admin)
    page = client.get(reverse("web:items"), **ZH).content.decode()
    assert '<select name="category"' in page and "\u3000乳制品" in page


def test_the_items_filter_takes_a_code_or_a_unique_name_when_there_are_many(client, many):
    client.force_login(many.admin)
    url = reverse("web:items")
    page = client.get(url, **ZH).content.decode()
    assert '<select name="category"' not in page and 'name="category"' in page and "分类编码或名称" in page
    by_code = client.get(url, {"category": "DRK"}, **ZH)
    assert [i.code for i in by_code.context["page"].object_list] == ["W001"]
    assert 'value="DRK"' in by_code.content.decode()  # the box keeps what was typed
    by_name = client.get(url, {"category": "饮料"}, **ZH)
    assert [i.code for i in by_name.context["page"].object_list] == ["W001"]
    unknown = client.get(url, {"category": "NOPE"}, **ZH).content.decode()
    assert "没有编码或名称为 NOPE 的分类" in unknown
    ambiguous = client.get(url, {"category": "茶"}, **ZH).content.decode()
    assert "有多个分类叫 茶" in ambiguous


def test_the_item_form_shows_the_code_and_saves_the_category_typed(client, many):
    client.force_login(many.admin)
    edit = reverse("web:item_edit", args=[many.water.pk])
    assert 'value="DRK"' in client.get(edit, **ZH).content.decode()
    response = client.post(reverse("web:item_new"), item_post(many, category="TEA2"), **ZH)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Item.objects.get(code="N001").category == many.tea2
    bad = client.post(reverse("web:item_new"), item_post(many, code="N002", category="茶"), **ZH)
    assert bad.status_code == 200 and "有多个分类叫 茶" in bad.content.decode()
    assert not Item.objects.filter(code="N002").exists()


def test_a_category_cannot_move_under_itself_by_code_either(client, many, monkeypatch):
    monkeypatch.setattr(category_field, "SELECT_UP_TO", 1)  # the two categories left outside 饮料's subtree
    client.force_login(many.admin)
    edit = reverse("web:category_edit", args=[many.drinks.pk])
    response = client.post(edit, {"code": "DRK", "name": "饮料", "parent": "TEA"}, **ZH)
    body = response.content.decode()
    assert response.status_code == 200 and "没有编码或名称为 TEA 的分类" in body, body[body.find("<main"):][:3000]
    many.drinks.refresh_from_db()
    assert many.drinks.parent_id is None
