"""The web pages through django.test.Client: content, language, scoping, lifecycle buttons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from openjxc.catalog import services as catalog
from openjxc.core.i18n import not_in_catalogue, source_messages, untranslated
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.stock.models import StockBalance
from tests.conftest import assert_ledger_consistent

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def test_zh_hans_catalogue_is_complete():
    missing = untranslated()
    assert missing == [], f"{len(missing)} untranslated or fuzzy zh_Hans messages, e.g. {missing[:10]}"


def test_every_message_of_the_source_is_in_the_zh_hans_catalogue():
    absent = not_in_catalogue()
    assert absent == [], f"{len(absent)} messages would show in English in the Chinese UI, e.g. {absent[:10]}"


def test_the_source_scan_finds_python_and_template_messages():
    found = source_messages()
    assert found["Inventory report"].startswith("reports/apps.py:")  # gettext_lazy in Python
    assert "Nothing to show for this period." in found  # {% translate %} in a template


@pytest.fixture
def stocked(shop):
    """The shop with stock in the main warehouse and in the store, and one draft delivery."""
    shop.receive(shop.flour, 100, "5.00")
    shop.receive(shop.water, 48, "1.20", warehouse=shop.store)
    catalog.set_levels(shop.flour, shop.main, by=shop.admin, safety_stock=D("500"))
    return shop


def client_for(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- sign-in and layout


def test_login_page_in_chinese_and_english(client, db):
    zh = client.get(reverse("web:login"), **ZH)
    assert zh.status_code == 200
    assert "登录" in zh.content.decode()
    en = client.get(reverse("web:login"), **EN)
    assert "Sign in" in en.content.decode()
    assert "登录" not in en.content.decode().replace("简体中文", "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("web:balances"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_sign_in_with_password_then_sign_out(client, shop):
    response = client.post(reverse("web:login"), {"username": shop.admin.username, "password": "pw-12345678"})
    assert response.status_code == 302 and response.url == reverse("web:home")
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405  # a link cannot sign anyone out
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:home")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, shop):
    response = client.post(reverse("web:login"), {"username": shop.admin.username, "password": "nope"}, **EN)
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_password_change(client, shop):
    client_for(client, shop.admin)
    response = client.post(reverse("web:password_change"), {
        "old_password": "pw-12345678", "new_password1": "a-Better-pass-42", "new_password2": "a-Better-pass-42",
    })
    assert response.status_code == 302
    shop.admin.refresh_from_db()
    assert shop.admin.check_password("a-Better-pass-42")


def test_navigation_follows_roles(client, stocked):
    shop = stocked
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    finance = shop.user("fin1", Role.FINANCE)
    admin_page = client_for(client, shop.admin).get(reverse("web:home"), **EN).content.decode()
    assert reverse("web:document_new") in admin_page
    finance_page = client_for(client, finance).get(reverse("web:home"), **EN).content.decode()
    assert reverse("web:document_new") not in finance_page  # finance creates no inventory documents
    assert "Stock value" in finance_page
    cashier_page = client_for(client, cashier).get(reverse("web:home"), **EN).content.decode()
    assert "Stock value" not in cashier_page  # a cashier does not see costs
    assert "Cashier" in cashier_page


def test_language_switch_saves_the_users_choice(client, shop):
    client_for(client, shop.admin)
    response = client.post(reverse("web:set_language"), {"language": "en", "next": "/stock/"})
    assert response.status_code == 302 and response.url == "/stock/"
    shop.admin.refresh_from_db()
    assert shop.admin.language == "en"
    # the saved language wins over a Chinese browser
    assert "Stock balances" in client.get(reverse("web:balances"), **ZH).content.decode()


# ---------------------------------------------------------------- dashboard


def test_dashboard_kpis(client, stocked):
    shop = stocked
    page = client_for(client, shop.admin).get(reverse("web:home"), **EN)
    assert page.status_code == 200
    ctx = page.context
    assert ctx["stock_value"] == D("557.60")  # 100 × 5.00 + 48 × 1.20
    assert ctx["items_on_hand"] == 2
    assert ctx["posted_today"] == 2
    assert ctx["below_safety"] == 1  # flour: 100 on hand, safety stock 500
    assert ctx["negative"] == 0
    assert ctx["chart_moves"]["series"][0]["data"][-1] == 2  # two receipts today
    assert sorted(ctx["chart_value"]["names"]) == ["人民路门店", "总仓"]
    body = page.content.decode()
    assert "557.60" in body and "Items below safety stock" in body and 'data-chart="moves"' in body


def test_dashboard_in_chinese(client, stocked):
    body = client_for(client, stocked.admin).get(reverse("web:home"), **ZH).content.decode()
    assert "库存金额" in body and "低于安全库存" in body and "仪表盘" in body


# ---------------------------------------------------------------- balances and item card


def test_balances_filter_and_value_column(client, stocked):
    shop = stocked
    client_for(client, shop.admin)
    body = client.get(reverse("web:balances"), **EN).content.decode()
    assert "面粉" in body and "矿泉水" in body and "500.00" in body
    only_store = client.get(reverse("web:balances"), {"warehouse": shop.store.pk}, **EN).content.decode()
    assert "矿泉水" in only_store and "面粉" not in only_store
    by_name = client.get(reverse("web:balances"), {"item": "面"}, **EN).content.decode()
    assert "F001" in by_name and "W001" not in by_name
    by_code = client.get(reverse("web:balances"), {"item": "w00"}, **EN).content.decode()
    assert "W001" in by_code and "F001" not in by_code


def test_balances_filter_by_lot(client, shop):
    shop.receive(shop.milk, 10, "3", lot="L-A", expires_on=dt.date.today() + dt.timedelta(days=9))
    shop.receive(shop.milk, 5, "3", lot="L-B", expires_on=dt.date.today() + dt.timedelta(days=9))
    rows = client_for(client, shop.admin).get(reverse("web:balances"), {"lot": "l-b"}).context["page"].object_list
    assert [(b.lot.code, b.quantity) for b in rows] == [("L-B", D("5"))]


def test_cashier_sees_only_their_store_and_no_value(client, stocked):
    shop = stocked
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    client_for(client, cashier)
    page = client.get(reverse("web:balances"), **ZH)
    body = page.content.decode()
    assert page.status_code == 200
    assert "矿泉水" in body and "面粉" not in body and "总仓" not in body
    assert "金额" not in body  # no value column without stock.cost
    # asking for another warehouse does not widen the scope
    other = client.get(reverse("web:balances"), {"warehouse": shop.main.pk}).context["page"].object_list
    assert {b.location.warehouse_id for b in other} == {shop.store.pk}
    assert client.get(reverse("web:home")).context["items_on_hand"] == 1


def test_balances_paginate(client, shop):
    items = [
        catalog.create_item(by=shop.admin, code=f"P{n:03}", name=f"物品{n}", base_unit=shop.pcs) for n in range(60)
    ]
    shop.post("opening", [LineInput(item=i.pk, quantity=D("1"), unit_price=D("1")) for i in items])
    client_for(client, shop.admin)
    first = client.get(reverse("web:balances"))
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("web:balances"), {"page": 2})
    assert len(second.context["page"].object_list) == 10
    assert "P059" in second.content.decode()


def test_item_card_shows_running_balance(client, stocked):
    shop = stocked
    shop.sell(shop.flour, 30)
    page = client_for(client, shop.admin).get(reverse("web:item_card", args=[shop.flour.pk]), **EN)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [r["quantity_after"] for r in rows] == [D("70"), D("100")]  # newest first
    body = page.content.decode()
    assert "-30" in body and "350.00" in body


def test_item_card_pages_back_from_the_newest_moves(client, stocked):
    from openjxc.stock.views import CARD_ROWS

    shop = stocked  # 100 kg of flour received
    for _ in range(CARD_ROWS + 4):
        shop.sell(shop.flour, "0.5")
    c = client_for(client, shop.admin)
    first = c.get(reverse("web:item_card", args=[shop.flour.pk]), **EN)
    rows = first.context["rows"]
    assert len(rows) == CARD_ROWS and rows[0]["quantity_after"] == D("48") and first.context["older"]
    assert "Older moves" in first.content.decode()
    second = c.get(reverse("web:item_card", args=[shop.flour.pk]), {"before": first.context["older"]}, **EN)
    rest = second.context["rows"]
    assert [r["quantity_after"] for r in rest] == [D("98"), D("98.5"), D("99"), D("99.5"), D("100")]
    assert rows[-1]["quantity_after"] - rows[-1]["quantity_change"] == rest[0]["quantity_after"]
    assert second.context["older"] is None and "Newest" in second.content.decode()


def test_item_card_of_another_company_is_404(client, stocked):
    from tests.conftest import Shop

    other = Shop(code="OTHER")
    assert client_for(client, stocked.admin).get(reverse("web:item_card", args=[other.flour.pk])).status_code == 404


# ---------------------------------------------------------------- documents


def test_documents_list_filters(client, stocked):
    shop = stocked
    draft = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                 lines=[LineInput(item=shop.flour.pk, quantity=D("1"))])
    client_for(client, shop.admin)
    all_docs = client.get(reverse("web:documents"), **EN)
    assert all_docs.status_code == 200 and len(all_docs.context["page"].object_list) == 3
    drafts = client.get(reverse("web:documents"), {"status": "draft"}).context["page"].object_list
    assert [d.pk for d in drafts] == [draft.pk]
    receipts = client.get(reverse("web:documents"), {"kind": "purchase_receipt"}).context["page"].object_list
    assert len(receipts) == 2
    by_number = client.get(reverse("web:documents"), {"number": draft.number.lower()}).context["page"].object_list
    assert [d.pk for d in by_number] == [draft.pk]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert list(client.get(reverse("web:documents"), {"date_from": future}).context["page"].object_list) == []
    zh = client.get(reverse("web:documents"), **ZH).content.decode()
    assert "采购入库" in zh and "销售出库" in zh and "草稿" in zh


def test_documents_list_is_scoped(client, stocked):
    shop = stocked
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    numbers = [d.number for d in client_for(client, cashier).get(reverse("web:documents")).context["page"].object_list]
    assert len(numbers) == 1 and numbers[0].startswith("CGRK")
    main_receipt = Document.objects.filter(warehouse=shop.main).first()
    assert client.get(reverse("web:document", args=[main_receipt.pk])).status_code == 404


def _draft_delivery(shop, quantity="10"):
    return docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                lines=[LineInput(item=shop.flour.pk, quantity=D(quantity))])


def test_lifecycle_buttons_submit_approve_post(client, stocked):
    shop = stocked
    doc = _draft_delivery(shop)
    client_for(client, shop.admin)
    detail = client.get(reverse("web:document", args=[doc.pk]), **EN)
    assert detail.status_code == 200
    assert [a["action"] for a in detail.context["actions"]] == ["submit", "cancel"]
    for action in ("submit", "approve", "post"):
        response = client.post(reverse("web:document_action", args=[doc.pk, action]), **EN)
        assert response.status_code == 302, response.content.decode()[:500]
    doc.refresh_from_db()
    assert doc.status == Status.POSTED
    balance = StockBalance.objects.get(item=shop.flour, location__warehouse=shop.main)
    assert balance.quantity == D("90")
    page = client.get(reverse("web:document", args=[doc.pk]), **EN).content.decode()
    assert "was posted" in page and "Void" in page
    assert_ledger_consistent()


def test_insufficient_stock_shows_the_chinese_message_not_a_500(client, stocked):
    shop = stocked
    doc = docs.advance_document(_draft_delivery(shop, "1000"), by=shop.admin, to="approved")
    response = client_for(client, shop.admin).post(reverse("web:document_action", args=[doc.pk, "post"]), **ZH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "库存不足" in body and 'role="alert"' in body
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED
    assert_ledger_consistent()


def test_void_needs_a_reason_and_reverses(client, stocked):
    shop = stocked
    doc = shop.sell(shop.flour, 10)
    client_for(client, shop.admin)
    refused = client.post(reverse("web:document_action", args=[doc.pk, "void"]), {"reason": " "}, **EN)
    assert refused.status_code == 200 and "is required to void a document" in refused.content.decode()
    done = client.post(reverse("web:document_action", args=[doc.pk, "void"]), {"reason": "客户拒收"})
    assert done.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.VOIDED and doc.void_reason == "客户拒收"
    assert StockBalance.objects.get(item=shop.flour, location__warehouse=shop.main).quantity == D("100")
    assert_ledger_consistent()


def test_cashier_cannot_approve_and_sees_no_button(client, stocked):
    shop = stocked
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    doc = docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.store, partner=shop.customer,
                               lines=[LineInput(item=shop.water.pk, quantity=D("2"))])
    docs.submit_document(doc, by=cashier)
    client_for(client, cashier)
    actions = [a["action"] for a in client.get(reverse("web:document", args=[doc.pk])).context["actions"]]
    assert "approve" not in actions and "cancel" in actions
    forced = client.post(reverse("web:document_action", args=[doc.pk, "approve"]), **ZH)
    assert forced.status_code == 200 and "无权" in forced.content.decode()
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED


def test_create_from_button_makes_a_return_draft(client, stocked):
    shop = stocked
    delivery = shop.sell(shop.flour, 10)
    client_for(client, shop.admin)
    detail = client.get(reverse("web:document", args=[delivery.pk]), **ZH)
    assert [k.code for k in detail.context["create_from"]] == ["sales_return"]
    assert "销售退货" in detail.content.decode()
    response = client.post(reverse("web:document_create_from", args=[delivery.pk, "sales_return"]))
    assert response.status_code == 302
    ret = Document.objects.get(source=delivery)
    assert ret.kind == "sales_return" and ret.status == Status.DRAFT and ret.total_quantity == D("10")


def test_unknown_action_is_404_not_500(client, stocked):
    doc = _draft_delivery(stocked)
    response = client_for(client, stocked.admin).post(reverse("web:document_action", args=[doc.pk, "explode"]))
    assert response.status_code == 404


# ---------------------------------------------------------------- create form


def test_create_form_by_item_code_and_barcode(client, stocked):
    shop = stocked
    client_for(client, shop.admin)
    form = client.get(reverse("web:document_new"), **ZH)
    assert form.status_code == 200 and "新建单据" in form.content.decode()
    response = client.post(reverse("web:document_new"), {
        "kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk, "memo": "门市",
        "line_item": ["F001", "6920000000017", ""], "line_qty": ["3", "2", ""], "line_price": ["9", "", ""],
        "line_lot": ["", "", ""],
    })
    assert response.status_code == 302
    doc = Document.objects.get(kind="sales_delivery")
    lines = list(doc.lines.order_by("line_no"))
    assert [(ln.item.code, ln.quantity, ln.unit_price) for ln in lines] == [
        ("F001", D("3"), D("9")), ("W001", D("2"), D("2")),
    ]


def test_create_form_shows_domain_error(client, stocked):
    shop = stocked
    client_for(client, shop.admin)
    response = client.post(reverse("web:document_new"), {
        "kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
        "line_item": ["F001"], "line_qty": ["-1"], "line_price": [""], "line_lot": [""],
    }, **EN)
    assert response.status_code == 200
    assert "must be greater than zero" in response.content.decode()
    assert not Document.objects.filter(kind="sales_delivery").exists()


def test_create_form_unknown_barcode(client, stocked):
    client_for(client, stocked.admin)
    response = client.post(reverse("web:document_new"), {
        "kind": "write_off", "warehouse": stocked.main.pk, "line_item": ["999999"], "line_qty": ["1"],
        "line_price": [""], "line_lot": [""],
    }, **ZH)
    assert response.status_code == 200
    assert "999999" in response.content.decode() and 'role="alert"' in response.content.decode()


def test_times_are_shown_in_the_company_time_zone(client, shop):
    from openjxc.core import clock

    clock.freeze(dt.datetime(2026, 1, 1, 20, 30, tzinfo=dt.UTC))  # 04:30 next morning in Shanghai
    try:
        doc = _draft_delivery(shop, "1")
    finally:
        clock.freeze(None)
    body = client_for(client, shop.admin).get(reverse("web:document", args=[doc.pk])).content.decode()
    assert "2026-01-02 04:30" in body
