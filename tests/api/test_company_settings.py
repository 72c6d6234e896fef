"""Company settings an administrator changes: general VAT taxpayer or small-scale (issue 13 item 5), trading mode,
what books payables, how far ahead a posting may be dated — through the API and the company settings page,
each change audited, a refused one leaving everything as it was."""

from __future__ import annotations

from decimal import Decimal as D

from django.urls import reverse

from openjxc.core.company_settings import applies_vat, future_date_tolerance, tracks_stock
from openjxc.core.models import AuditRecord, Company
from tests.conftest import assert_ledger_consistent

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def _delivery(api, shop):
    r = api.post("/documents", {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
                                "prices_include_tax": False, "advance_to": "posted",
                                "lines": [{"item": shop.flour.pk, "quantity": "10", "unit_price": "8.00"}]})
    assert r.status_code == 201, r.content
    return r.json()


def test_a_general_taxpayer_s_lines_take_the_items_rate_and_a_small_scale_one_s_do_not(api, shop):
    shop.receive(shop.flour, 100, "5.00")
    assert api.get("/finance/vat").json() == {"vat": False}  # a new company: small-scale until it says otherwise
    small = _delivery(api, shop)
    assert D(small["lines"][0]["tax_rate"]) == 0 and D(small["total_with_tax"]) == D("80.00")

    # when the administrator says the company is a general VAT taxpayer (一般纳税人)
    assert api.put("/finance/vat", {"enabled": True}).json() == {"vat": True}
    general = _delivery(api, shop)
    # then a line takes the item's 13 %: amount, tax and total shown apart
    assert D(general["lines"][0]["tax_rate"]) == D("0.13")
    assert (D(general["total_amount"]), D(general["tax_total"]), D(general["total_with_tax"])) == (
        D("80.00"), D("10.40"), D("90.40"))
    # and the document made before keeps its rate; the switch is audited with before and after
    assert D(api.get(f"/documents/{small['id']}").json()["lines"][0]["tax_rate"]) == 0
    audit = AuditRecord.objects.filter(action="settings").latest("id")
    assert audit.before == {"vat": False} and audit.after == {"vat": True} and audit.actor_id == shop.admin.pk
    assert_ledger_consistent(shop.company.pk)


def test_only_an_administrator_switches_the_vat_mode_and_only_to_a_yes_or_no(api, as_user, shop):
    keeper = as_user("keeper", "keeper")
    r = keeper.put("/finance/vat", {"enabled": True})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    assert api.put("/finance/vat", {"enabled": "maybe"}).status_code == 422
    assert not (Company.objects.get(pk=shop.company.pk).settings or {}).get("vat")


def test_the_company_settings_page_switches_vat_and_refuses_trading_mode_once_stock_moved(client, shop):
    shop.receive(shop.flour, 10, "5.00")
    client.force_login(shop.admin)
    url = reverse("web:company_settings")
    page = client.get(url, **ZH)
    assert page.status_code == 200 and "一般纳税人" in page.content.decode() and "公司设置" in page.content.decode()

    # when the administrator switches to general taxpayer and also tries trading mode with stock already moved
    form = {"vat": "1", "payable_from": "receipt", "future_days": "0"}  # stock_tracking unticked: trading mode
    refused = client.post(url, form, **ZH)
    # then nothing is saved (the refusal undoes the VAT switch too) and the reason stands beside the field
    assert refused.status_code == 200 and "库存" in refused.content.decode()
    assert not (Company.objects.get(pk=shop.company.pk).settings or {}).get("vat")

    # when only the VAT type and the posting tolerance change, both are saved
    done = client.post(url, {**form, "stock_tracking": "on", "future_days": "2"}, **ZH)
    assert done.status_code == 302
    company = Company.objects.get(pk=shop.company.pk)
    assert applies_vat(company) and future_date_tolerance(company) == 2 and tracks_stock(company)


def test_a_keeper_does_not_reach_the_company_settings_page(client, shop):
    client.force_login(shop.user("keeper", "keeper"))
    assert client.get(reverse("web:company_settings")).status_code == 403
