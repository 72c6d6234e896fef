"""The pages behind the terminal API's settings (sync/views_settings.py): the company's terminal settings (the
administrators', linked from the company settings and the terminals page) and a customer's store limits (whoever
edits master data, linked from the customer's page) — through the same services as the API: the same
permission, the same audit record, the same refusals beside the field, zh and en."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from openjxc.core import clock
from openjxc.core.models import AuditRecord, Role
from openjxc.partners import services as partners
from openjxc.stock import services as stock
from openjxc.sync import terminals
from openjxc.sync.models import StoreCustomer

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(conf: dict, **changes) -> dict:
    return {key: str(value) for key, value in {**conf, **changes}.items()}


def test_the_terminal_settings_page_saves_through_the_service_and_bounds_the_tills(shop):
    admin = _client(shop.admin)
    url = reverse("web:terminal_settings")
    page = admin.get(url, **ZH).content.decode()
    assert "终端设置" in page and "单行最大数量" in page and "数量小数位数" in page and 'value="1000000"' in page
    assert "Largest quantity on one line" in admin.get(url, **EN).content.decode()
    # the way there: the company settings and the terminals page
    assert url in admin.get(reverse("web:company_settings"), **ZH).content.decode()
    assert url in admin.get(reverse("web:terminals"), **ZH).content.decode()

    conf = terminals.terminal_settings(shop.company.pk)
    # refused beside its field, nothing saved
    bad = admin.post(url, _form(conf, quantity_decimals=5), **ZH)
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    assert terminals.terminal_settings(shop.company.pk)["quantity_decimals"] == 4
    # saved through set_terminal_settings: audited like the API's PUT
    r = admin.post(url, _form(conf, max_line_quantity=10, quantity_decimals=0), **ZH)
    assert r.status_code == 302 and r["Location"] == url
    after = terminals.terminal_settings(shop.company.pk)
    assert (after["max_line_quantity"], after["quantity_decimals"]) == (10, 0)
    audit = AuditRecord.objects.filter(action="settings").latest("id")
    assert audit.actor == shop.admin and audit.after["terminals"]["max_line_quantity"] == 10
    assert audit.before["terminals"]["max_line_quantity"] == 1000000
    # an unchanged form writes nothing
    audits = AuditRecord.objects.count()
    assert admin.post(url, _form(after), **ZH).status_code == 302 and AuditRecord.objects.count() == audits
    # the tills are held to it: a line of 11 is refused now
    walk_in = partners.create_partner(by=shop.admin, code="W1", name="散客", kind="customer")
    raw = terminals.register_terminal(by=shop.admin, code="POS1", name="POS1", kind="pos", warehouse=shop.store,
                                      customer=walk_in)[1]
    op = {"id": str(uuid.uuid4()), "type": "sale", "created_at": clock.now().isoformat(),
          "data": {"lines": [{"item": "W001", "qty": "11"}]}}
    answer = Client().post("/api/sync/push", json.dumps({"ops": [op]}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}").json()["results"][0]
    assert answer["status"] == "refused" and answer["error"]["data"]["field"] == "lines[1].qty"
    # administrators only, as the API
    manager = _client(shop.user("mgr", Role.MANAGER))
    assert manager.get(url).status_code == 403
    assert manager.post(url, _form(after, max_line_quantity=99)).status_code == 403
    assert terminals.terminal_settings(shop.company.pk)["max_line_quantity"] == 10


def test_a_customers_store_limits_are_set_on_their_own_page(shop):
    other = stock.create_warehouse(by=shop.admin, code="ST2", name="二号门店", kind="store")
    manager_user = shop.user("mgr", Role.MANAGER)
    manager = _client(manager_user)
    url = reverse("web:customer_stores", args=[shop.customer.pk])
    # linked from the customer's page (not from a supplier's)
    assert url in manager.get(reverse("web:partner_edit", args=[shop.customer.pk]), **ZH).content.decode()
    assert "/stores/" not in manager.get(reverse("web:partner_edit", args=[shop.supplier.pk]), **ZH).content.decode()
    page = manager.get(url, **ZH).content.decode()
    assert "门店限制" in page and "人民路门店" in page and "二号门店" in page
    assert "总仓" not in page  # only stores
    assert "Stores whose tills may sell to this customer" in manager.get(url, **EN).content.decode()

    r = manager.post(url, {"stores": [str(shop.store.pk)]}, **ZH)
    assert r.status_code == 302 and r["Location"] == url
    assert list(StoreCustomer.objects.filter(customer=shop.customer).values_list("warehouse_id", flat=True)) == [
        shop.store.pk]
    audit = AuditRecord.objects.get(action="partner.stores")
    assert (audit.actor, audit.before, audit.after) == (manager_user, {"stores": []}, {"stores": ["ST1"]})
    assert 'checked' in manager.get(url).content.decode()
    # moved to the other store, then to every store (none ticked)
    manager.post(url, {"stores": [str(other.pk)]})
    assert list(StoreCustomer.objects.filter(customer=shop.customer).values_list("warehouse_id", flat=True)) == [
        other.pk]
    manager.post(url, {})
    assert not StoreCustomer.objects.filter(customer=shop.customer).exists()
    # a supplier has no store limits: refused with the service's reason, nothing written
    refused = manager.post(reverse("web:customer_stores", args=[shop.supplier.pk]), {"stores": [str(shop.store.pk)]},
                           **ZH)
    assert refused.status_code == 200 and not StoreCustomer.objects.exists()
    # whoever may not edit master data may not see it
    keeper = _client(shop.user("kp", Role.KEEPER))
    assert keeper.get(url).status_code == 403
    assert keeper.post(url, {"stores": [str(shop.store.pk)]}).status_code == 403
    assert not StoreCustomer.objects.exists()
