"""Finance screens through django.test.Client: receipts and payments with allocation, post, void,
balances, statement, aging — each reflecting what was posted; refusals beside the document row."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from openjxc.finance import selectors
from openjxc.finance import services as fin
from openjxc.finance.models import Allocation, Settlement, SettlementStatus
from tests.conftest import assert_ledger_consistent

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _trade(shop):
    shop.receive(shop.flour, 20, "5.00")
    return shop.sell(shop.flour, 5, price="8.00")


def _owed(shop):
    return selectors.receivable_balance(shop.company.pk, shop.customer.pk)


def test_every_finance_page_renders_in_chinese_and_english(client, shop):
    delivery = _trade(shop)
    s = fin.create_settlement(by=shop.admin, kind="receipt", partner=shop.customer, amount="10", post=True)
    client.force_login(shop.admin)
    pages = [
        (reverse("web:settlements"), "收款单与付款单", "Receipts &amp; payments"),
        (reverse("web:settlement_new") + "?kind=receipt", "新建收款单", "New receipt"),
        (reverse("web:settlement_new") + f"?kind=receipt&partner={shop.customer.pk}", delivery.number, delivery.number),
        (reverse("web:settlement_new") + "?kind=payment", "新建付款单", "New payment"),
        (reverse("web:settlement", args=[s.pk]), s.number, "Applied to"),
        (reverse("web:finance_balances"), "应收（客户欠我们）", "Receivable (customers owe us)"),
        (reverse("web:statement"), "往来对账单", "Partner statement"),
        (reverse("web:statement") + f"?partner={shop.customer.pk}&book=receivable&date_from=2000-01-01&date_to=2099-12-31",
         "期末余额", "Closing balance"),
        (reverse("web:aging"), "账龄分析", "Aging"),
    ]
    for url, zh, en in pages:
        page = client.get(url, **ZH)
        assert page.status_code == 200 and zh in page.content.decode(), (url, zh)
        client.cookies.pop("django_language", None)
        page = client.get(url, **EN)
        assert page.status_code == 200 and en in page.content.decode(), (url, en)


def test_a_delivery_shows_as_receivable_and_an_allocated_receipt_lowers_it(client, shop):
    delivery = _trade(shop)
    owed = _owed(shop)
    assert owed > 0
    client.force_login(shop.admin)
    balances = client.get(reverse("web:finance_balances"), **ZH)
    row = next(p for p in balances.context["page"].object_list if p.pk == shop.customer.pk)
    assert row.receivable == owed and "好运超市" in balances.content.decode()
    aging = client.get(reverse("web:aging"), **ZH)
    assert [r["name"] for r in aging.context["rows"]] == ["好运超市"]
    assert aging.context["grand_total"] == owed
    assert 'data-chart="value"' in aging.content.decode()

    # a receipt of 30 with 25 applied to the delivery: posted at once, the rest a prepayment
    response = client.post(reverse("web:settlement_new"), {
        "kind": "receipt", "partner": shop.customer.pk, "business_on": delivery.business_on.isoformat(),
        "amount": "30", "method": "bank", "reference": "BANK-1", "memo": "", f"alloc_{delivery.pk}": "25",
    }, **ZH)
    s = Settlement.objects.get(company=shop.company, reference="BANK-1")
    assert response.status_code == 302 and response.url == reverse("web:settlement", args=[s.pk])
    assert s.number.startswith("SKD") and s.status == SettlementStatus.POSTED
    assert Allocation.objects.get(settlement=s, document=delivery).amount == D("25")
    assert _owed(shop) == owed - D("30")
    balances = client.get(reverse("web:finance_balances"), **ZH)
    row = next(p for p in balances.context["page"].object_list if p.pk == shop.customer.pk)
    assert row.receivable == owed - D("30")
    aging = client.get(reverse("web:aging"), **ZH).context
    assert aging["unapplied"] == D("-5") and aging["grand_total"] == owed - D("30")

    # apply what is left from the receipt's page
    detail = client.get(reverse("web:settlement", args=[s.pk]), **ZH)
    assert [d.id for d in detail.context["open_docs"]] == [delivery.pk]
    assert owed - D("25") > D("6")  # the delivery could take 6, but only 5 is left of the receipt
    page = client.post(reverse("web:settlement_action", args=[s.pk, "allocate"]),
                       {f"alloc_{delivery.pk}": "6"}, **ZH)
    assert page.status_code == 200 and page.context["error_action"] == "allocate"
    assert s.number in page.context["error"] and "5" in page.context["error"]
    assert Allocation.objects.filter(settlement=s).count() == 1
    assert client.post(reverse("web:settlement_action", args=[s.pk, "allocate"]),
                       {f"alloc_{delivery.pk}": "5"}, **ZH).status_code == 302
    assert sum(a.amount for a in Allocation.objects.filter(settlement=s)) == D("30")

    # statement: the delivery, then the receipt, closing at the balance
    st = client.get(reverse("web:statement"), {"partner": shop.customer.pk, "book": "receivable",
                                               "date_from": "2000-01-01", "date_to": "2099-12-31"}, **ZH)
    numbers = [ln.number for ln in st.context["st"].lines]
    assert numbers == [delivery.number, s.number] and st.context["st"].closing == owed - D("30")

    # void from the page: the balance is back, the allocations reversed
    assert client.post(reverse("web:settlement_action", args=[s.pk, "void"]), {"reason": "录错"},
                       **ZH).status_code == 302
    s.refresh_from_db()
    assert s.status == SettlementStatus.VOIDED and _owed(shop) == owed
    assert selectors.open_documents(shop.company.pk, shop.customer.pk, "receivable")[0].open == owed
    assert_ledger_consistent()


def test_over_allocation_is_shown_beside_the_document_and_nothing_is_written(client, shop):
    delivery = _trade(shop)
    owed = _owed(shop)
    client.force_login(shop.admin)
    page = client.post(reverse("web:settlement_new"), {
        "kind": "receipt", "partner": shop.customer.pk, "business_on": delivery.business_on.isoformat(),
        "amount": str(owed + 100), "method": "", "reference": "", "memo": "", f"alloc_{delivery.pk}": str(owed + 50),
    }, **ZH)
    assert page.status_code == 200
    row = next(d for d in page.context["open_docs"] if d.id == delivery.pk)
    assert delivery.number in row.error and row.typed == str(owed + 50)
    assert 'class="has-error"' in page.content.decode()
    assert not Settlement.objects.filter(company=shop.company).exists()
    # a bad amount on the header is refused beside the amount field
    page = client.post(reverse("web:settlement_new"), {
        "kind": "receipt", "partner": shop.customer.pk, "business_on": delivery.business_on.isoformat(),
        "amount": "-5", "method": "", "reference": "", "memo": "",
    }, **ZH)
    assert page.status_code == 200 and page.context["form"].errors["amount"]
    assert not Settlement.objects.filter(company=shop.company).exists()


def test_draft_payment_posted_and_cancel_refused_after_posting(client, shop):
    shop.receive(shop.flour, 10, "5.00")
    owed = selectors.payable_balance(shop.company.pk, shop.supplier.pk)
    client.force_login(shop.admin)
    response = client.post(reverse("web:settlement_new"), {
        "kind": "payment", "partner": shop.supplier.pk, "business_on": "2026-01-05", "amount": "20",
        "method": "cash", "reference": "P-1", "memo": "",
    }, **ZH)
    s = Settlement.objects.get(company=shop.company, reference="P-1")
    assert response.status_code == 302 and s.status == SettlementStatus.DRAFT and s.number.startswith("FKD")
    assert selectors.payable_balance(shop.company.pk, shop.supplier.pk) == owed
    assert client.post(reverse("web:settlement_action", args=[s.pk, "post"]), **ZH).status_code == 302
    assert selectors.payable_balance(shop.company.pk, shop.supplier.pk) == owed - D("20")
    page = client.post(reverse("web:settlement_action", args=[s.pk, "cancel"]), **ZH)
    assert page.status_code == 200 and page.context["error"] and page.context["error_action"] == "cancel"
    listed = client.get(reverse("web:settlements"), {"kind": "payment"}, **ZH).content.decode()
    assert s.number in listed


def test_a_keeper_sees_no_finance(client, shop):
    keeper = shop.user("keeper1", "keeper")
    client.force_login(keeper)
    for name in ("web:settlements", "web:finance_balances", "web:aging", "web:statement", "web:settlement_new"):
        assert client.get(reverse(name), **ZH).status_code == 403, name
    assert "/finance/" not in client.get(reverse("web:home"), **ZH).content.decode()
