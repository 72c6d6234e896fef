"""Items are found by their pinyin (issue 13 item 27): the catalog service stores the name's full pinyin and
initials on the item (可口可乐 → kekoukele / kkkl), the item search matches it as well as the name, the code and
any of the item's barcodes, a renamed item gets its new key, and migration 0007 gave existing items theirs."""

from __future__ import annotations

import importlib
from decimal import Decimal as D

from django.apps import apps

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Item
from openjxc.catalog.search_keys import search_key
from openjxc.documents.forms import DocumentHeaderForm
from openjxc.partners import services as partners


def test_a_name_reads_as_its_full_pinyin_and_initials():
    assert search_key("可口可乐") == "kekoukele kkkl"
    assert search_key("重庆火锅底料") == "chongqinghuoguodiliao cqhgdl"  # a phrase reads right (not zhong-qing)
    assert search_key("农夫山泉 550ml") == "nongfushanquan550ml nfsq550ml"
    assert search_key("") == ""


def test_items_are_searched_by_name_pinyin_code_or_barcode(api, shop):
    cola = catalog.create_item(by=shop.admin, code="K001", name="可口可乐", base_unit=shop.pcs,
                               barcodes=["6954767412345"], units=[(shop.box, D("24"))])
    catalog.add_barcode(cola, by=shop.admin, code="06954767412345", unit=shop.box)
    catalog.create_item(by=shop.admin, code="K002", name="可乐鸡翅", base_unit=shop.pcs)

    def codes(q):
        return [i["code"] for i in api.get("/catalog/items", {"q": q}).json()["items"]]

    assert codes("kkkl") == ["K001"]
    assert codes("KeKou") == ["K001"]  # any case, any part
    assert codes("kele") == ["K001", "K002"]
    assert codes("可乐") == ["K001", "K002"]
    assert codes("k00") == ["K001", "K002"]
    assert codes("6954767412345") == ["K001"]
    assert codes("06954767412345") == ["K001"]  # the carton's barcode
    assert codes("mf") == ["F001"]  # 面粉 of the shop
    catalog.update_item(cola, by=shop.admin, name="百事可乐")
    assert codes("kkkl") == [] and codes("bskl") == ["K001"]


def test_the_migration_gives_existing_items_their_pinyin_key(shop):
    Item.objects.filter(company=shop.company).update(search_key="")
    importlib.import_module("openjxc.catalog.migrations.0007_item_search_key").fill_search_keys(apps, None)
    assert dict(Item.objects.filter(company=shop.company).values_list("code", "search_key")) == {
        "F001": "mianfen mf", "W001": "kuangquanshui kqs", "M001": "xianniunai xnn"}


def test_a_partner_who_is_both_supplier_and_customer_is_listed_once(shop):
    both = partners.create_partner(by=shop.admin, code="B001", name="万家批发", kind="both")
    choices = DocumentHeaderForm(user=shop.admin).fields["partner"].choices
    listed = [pk for _group, options in choices[1:] for pk, _label in options]
    assert sorted(listed) == sorted([shop.supplier.pk, shop.customer.pk, both.pk])
