"""Alerts over the API (same error model as everywhere) and on the pages, in Chinese and English."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from openjxc.alerts import engine, selectors
from openjxc.alerts.rule_models import Alert, AlertKind, AlertRule, AlertStatus
from openjxc.catalog import services as catalog
from openjxc.core.models import Role
from openjxc.documents.models import Document
from tests.api.conftest import Api
from tests.conftest import Shop, assert_ledger_consistent

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    s = Shop()
    s.manager = s.user("mgr", Role.MANAGER)
    s.keeper = s.user("keeper", Role.KEEPER, warehouses=[s.second])
    catalog.set_levels(s.water, s.main, by=s.admin, safety_stock=D("10"), max_stock=D("30"))
    s.receive(s.water, 4, "1.2")
    return s


def test_rules_alerts_acknowledge_and_order_through_the_api(shop):
    api = Api(shop.manager)
    created = api.post("/alert-rules", {"kind": "low_stock", "cooldown_hours": 12})
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["recipient_roles"] == ["manager", "purchaser"] and rule["params"] == {}
    scan = api.post("/alerts/scan")
    assert scan.json() == {"raised": 1, "renotified": 0, "cleared": 0, "open": 1}
    listed = api.get("/alerts").json()
    assert listed["count"] == 1
    alert = listed["items"][0]
    assert alert["kind"] == "low_stock" and "矿泉水" in alert["title"] and alert["data"]["suggested"] == "26"
    assert api.get("/alerts/summary").json() == {"open": 1, "acknowledged": 0, "by_kind": {"low_stock": 1}}

    acked = api.post(f"/alerts/{alert['id']}/acknowledge", {"comment": "在途"})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert [h["action"] for h in acked.json()["history"]] == ["raised", "notified", "acknowledged"]
    again = api.post(f"/alerts/{alert['id']}/acknowledge", {"comment": ""})
    assert again.status_code == 409 and again.json()["code"] == "alert.not_open"

    order = api.post(f"/alerts/{alert['id']}/purchase-order", {"quantity": "24", "supplier": shop.supplier.pk})
    assert order.status_code == 201, order.content
    doc = Document.objects.get(pk=order.json()["document"])
    assert doc.kind == "purchase_order" and doc.lines.get().quantity == D("24")

    patched = api.patch(f"/alert-rules/{rule['id']}", {"is_active": False, "params": {}})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    # a rule names the channels it goes through; a channel not of this company is not found
    from openjxc.alerts.channel_services import create_channel

    group = create_channel(by=shop.admin, kind="wecom", name="仓库群",
                           config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})
    assert rule["channels"] == []
    routed = api.patch(f"/alert-rules/{rule['id']}", {"channels": [group.pk]})
    assert routed.status_code == 200 and routed.json()["channels"] == [group.pk]
    missing = api.patch(f"/alert-rules/{rule['id']}", {"channels": [group.pk + 1000]})
    assert missing.status_code == 404 and missing.json()["code"] == "channel.not_found"
    assert api.get("/alert-rules").json()[0]["channels"] == [group.pk]
    assert_ledger_consistent()


def test_api_refusals(shop):
    api = Api(shop.manager)
    bad_kind = api.post("/alert-rules", {"kind": "weather"})
    assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "request.invalid"
    bad_param = api.post("/alert-rules", {"kind": "expiring", "params": {"weeks": 2}})
    assert bad_param.status_code == 422 and bad_param.json()["code"] == "validation.failed"
    extra = api.post("/alert-rules", {"kind": "expiring", "colour": "red"})
    assert extra.status_code == 422
    keeper = Api(shop.keeper)
    denied = keeper.post("/alert-rules", {"kind": "low_stock"})
    assert denied.status_code == 403 and denied.json()["code"] == "permission.denied"
    assert AlertRule.objects.count() == 0
    # other companies' alerts and rules are not found
    other = Shop("OTHER")
    engine.install_default_rules(other.company)
    foreign_rule = AlertRule.objects.filter(company=other.company).first()
    assert api.patch(f"/alert-rules/{foreign_rule.pk}", {"name": "x"}).status_code == 404
    catalog.set_levels(other.flour, other.main, by=other.admin, safety_stock=D("1"))
    engine.scan_company(other.company.pk)
    foreign = Alert.objects.filter(company=other.company).first()
    assert api.get(f"/alerts/{foreign.pk}").json()["code"] == "alert.not_found"
    assert api.post(f"/alerts/{foreign.pk}/acknowledge", {}).status_code == 404
    assert api.get("/alerts", {"status": "sometimes"}).status_code == 422


def test_a_scoped_keeper_sees_only_their_warehouses_alerts(shop):
    engine.install_default_rules(shop.company)
    catalog.set_levels(shop.flour, shop.second, by=shop.admin, safety_stock=D("5"))
    engine.scan_company(shop.company.pk)
    kinds = {(a.item_id, a.warehouse_id) for a in Alert.objects.filter(kind=AlertKind.LOW_STOCK)}
    assert kinds == {(shop.water.pk, shop.main.pk), (shop.flour.pk, shop.second.pk)}
    seen = Api(shop.keeper).get("/alerts", {"kind": "low_stock"}).json()["items"]
    assert [(a["item"], a["warehouse"]) for a in seen] == [(shop.flour.pk, shop.second.pk)]


def test_alert_pages_in_chinese_and_english(client, shop):
    engine.install_default_rules(shop.company)
    engine.scan_company(shop.company.pk)
    alert = Alert.objects.get(kind=AlertKind.LOW_STOCK)
    client.force_login(shop.manager)
    zh = client.get(reverse("web:alerts"), **ZH).content.decode()
    assert "预警" in zh and "矿泉水" in zh
    en = client.get(reverse("web:alerts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Low stock" in en and "Needs attention" in en
    page = client.get(reverse("web:alert", args=[alert.pk]), **ZH).content.decode()
    assert "采购订单" in page
    home = client.get(reverse("web:home"), **ZH).content.decode()
    assert reverse("web:alert", args=[alert.pk]) in home
    rules_page = client.get(reverse("web:alert_rules"), **ZH)
    assert rules_page.status_code == 200
    # acknowledge and order from the page
    r = client.post(reverse("web:alert_action", args=[alert.pk, "order"]))
    assert r.status_code == 302 and Document.objects.filter(kind="purchase_order").count() == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_rule_form_saves_and_shows_errors(client, shop):
    from openjxc.alerts.channel_services import create_channel

    group = create_channel(by=shop.admin, kind="wecom", name="仓库群",
                           config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})
    client.force_login(shop.manager)
    url = reverse("web:alert_rule_new", args=["slow_mover"])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sales drop (%)" in form
    assert "仓库群 · " in form and "None ticked: every enabled channel" in form
    bad = client.post(url, {"name": "慢销", "is_active": "on", "cooldown_hours": "24", "param_drop_pct": "30",
                            "param_weeks_running": "0", "param_baseline_weeks": "4", "param_min_weekly": "1",
                            "param_min_selling_weeks": "3"},
                      HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "weeks_running" in bad.content.decode()
    assert not AlertRule.objects.exists()
    ok = client.post(url, {"name": "慢销", "is_active": "on", "cooldown_hours": "48", "param_drop_pct": "25",
                           "param_weeks_running": "2", "param_baseline_weeks": "6", "param_min_weekly": "1",
                           "param_min_selling_weeks": "4",
                           "recipient_roles": ["manager"], "channels": [str(group.pk)]})
    assert ok.status_code == 302
    saved = AlertRule.objects.get()
    assert list(saved.channels.all()) == [group]
    assert saved.params == {"drop_pct": 25, "weeks_running": 2, "baseline_weeks": 6, "min_weekly": 1,
                            "min_selling_weeks": 4}
    assert saved.cooldown_hours == 48 and saved.recipient_roles == ["manager"]
    # a keeper can't edit rules
    client.force_login(shop.keeper)
    assert client.get(reverse("web:alert_rule_edit", args=[saved.pk])).status_code == 404


def test_each_user_finds_their_alerts_in_the_to_do_inbox(client, shop):
    engine.install_default_rules(shop.company)
    engine.scan_company(shop.company.pk)
    low = Alert.objects.get(kind=AlertKind.LOW_STOCK)
    client.force_login(shop.manager)  # low stock goes to managers and purchasers
    page = client.get(reverse("workflow:inbox") + "?tab=alerts", **ZH).content.decode()
    assert reverse("web:alert", args=[low.pk]) in page and "我的预警" in page
    client.force_login(shop.keeper)  # a keeper: not a recipient of low stock, and scoped to another warehouse
    page = client.get(reverse("workflow:inbox") + "?tab=alerts", **ZH).content.decode()
    assert reverse("web:alert", args=[low.pk]) not in page
    assert [a.pk for a in selectors.alerts_for(shop.manager)] == [low.pk]


def test_warehouse_filters_leave_out_the_in_transit_warehouse(client, shop):
    """The in-transit warehouse holds goods between two warehouses: nobody filters alerts or scopes a rule by it,
    and its stored name is whatever language created the company (English from the CLI) — so it is not offered."""
    from openjxc.stock.locations import TRANSIT_WAREHOUSE_CODE
    from openjxc.stock.models import Warehouse

    transit = Warehouse.objects.get(company=shop.company, code=TRANSIT_WAREHOUSE_CODE)
    client.force_login(shop.manager)
    for url in (reverse("web:alerts"), reverse("web:alert_rule_new", args=["low_stock"])):
        page = client.get(url, **ZH).content.decode()
        select = re.search(r'<select name="warehouse"[^>]*>(.*?)</select>', page, re.S).group(1)
        offered = set(re.findall(r'<option value="(\d+)"', select))
        assert str(shop.main.pk) in offered and str(transit.pk) not in offered, url


def test_rule_form_offers_people_not_terminals_as_recipients(client, shop):
    from openjxc.partners import services as partners
    from openjxc.sync import terminals

    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer", is_walk_in=True)
    till, _token = terminals.register_terminal(by=shop.admin, code="POS1", name="一号收银台", kind="pos",
                                               warehouse=shop.store, customer=walk_in)
    client.force_login(shop.manager)
    page = client.get(reverse("web:alert_rule_new", args=["low_stock"]), **ZH).content.decode()
    offered = set(re.findall(r'name="recipients" value="(\d+)"', page))
    assert str(shop.manager.pk) in offered and str(till.user_id) not in offered
