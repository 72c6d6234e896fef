"""KPI thresholds that act (issue 17): the three examples of the issue, each a hand-built story posted through the
services with the facts caught up. The alert opens on the right subject with the right figure, is in the 待办 of the
responsible role (inbox, its API and the dashboard count the same) with a link that opens the report filtered to the
cause, is not sent again within the cool-down, leaves the 待办 when acknowledged and closes when the KPI recovers;
another role, or a user of another warehouse, never sees it. Bad parameters are refused with a code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation

from openjxc.alerts import engine
from openjxc.alerts.models import Notification
from openjxc.alerts.rule_models import Alert, AlertAction, AlertRule, AlertStatus
from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.core.models import Role
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners
from openjxc.reports.cockpit import alert_counts
from openjxc.reports.facts.consumer import consume
from openjxc.workflow.todo import inbox_counts, waiting_work, work_count
from tests.conftest import Shop
from tests.reports.pagefigs import figures

pytestmark = pytest.mark.django_db(transaction=True)


def at(day: dt.date, hour: int = 2) -> None:
    clock.freeze(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai


@pytest.fixture
def shop(wipeable_ledger):
    try:
        at(dt.date(2026, 3, 1))
        yield Shop()
    finally:
        clock.freeze(None)


def line(item, qty, price, **more):
    return LineInput(item=item.pk, quantity=D(str(qty)), unit_price=D(str(price)), tax_rate=D(0), **more)


def sell(shop, item, qty, price, *, warehouse=None):
    return shop.post("sales_delivery", [line(item, qty, price)], partner=shop.customer, warehouse=warehouse)


def rule(shop, name, **params):
    return engine.save_rule(by=shop.admin, kind="kpi_threshold", name=name, params=params)


def kpi_alerts(r):
    return list(Alert.objects.filter(rule=r).order_by("pk"))


def todo_rows(user):
    work = waiting_work(user)
    return next(w for w in work.work if w["name"] == "kpi_alerts")


def same_count_everywhere(client, user) -> int:
    """The 待办 number as the dashboard shows it, the inbox page and its API: one answer."""
    client.force_login(user)
    dash = client.get("/")
    assert dash.status_code == 200
    shown = dash.content.decode().split('id="kpi-todo"')[1].split('class="kpi-value">')[1].split("<")[0]
    page = client.get(reverse("workflow:inbox")).content.decode()
    on_page = page.split('class="tab-count">')[1].split("<")[0]
    api = client.get("/api/workflow/inbox/count").json()
    full = client.get("/api/workflow/inbox").json()
    assert int(shown) == int(on_page) == api["waiting"] == full["total"] == work_count(user)
    assert api["kpi_alerts"] == inbox_counts(user)["kpi_alerts"] == full["counts"]["kpi_alerts"]
    return full["counts"]["kpi_alerts"]


# ---------------------------------------------------------------- 毛利率 below 15 % for a category this month


def test_margin_below_15_percent_for_a_category_this_month(shop, client):
    by = shop.admin
    drinks = catalog.create_category(by=by, code="DRINK", name="饮料", parent=shop.food)
    grain = catalog.create_category(by=by, code="GRAIN", name="粮油", parent=shop.food)
    catalog.update_item(shop.water, by=by, category=drinks)
    catalog.update_item(shop.flour, by=by, category=grain)
    shop.post("purchase_receipt", [line(shop.water, 100, "1.80"), line(shop.flour, 100, "5.00")],
              partner=shop.supplier)
    at(dt.date(2026, 3, 5))
    sell(shop, shop.water, 50, "2.00")  # revenue 100.00, cost 90.00: margin 10 %
    sell(shop, shop.flour, 10, "8.00")  # revenue 80.00, cost 50.00: margin 37.5 %
    consume(shop.company)
    boss = shop.user("boss", Role.MANAGER)
    clerk = shop.user("clerk", Role.SALESPERSON)
    r = rule(shop, "毛利率低于 15%", kpi="gross_margin", by="category", period="month", which="current",
             compare="absolute", op="below", threshold=15, role="manager", severity="critical")
    assert r.recipient_roles == ["manager"]  # the responsible role hears of it

    at(dt.date(2026, 3, 6))
    result = engine.scan_company(shop.company.pk)  # what the ten-minute scan runs
    assert len(result.raised) == 1
    (alert,) = kpi_alerts(r)
    assert alert.subject == f"kpi:category:{drinks.pk}" and alert.status == AlertStatus.OPEN
    assert alert.data["figure"] == "10" and alert.data["value"] == "10" and alert.data["threshold"] == "15"
    assert (alert.data["label"], alert.data["start"], alert.data["end"]) == ("饮料", "2026-03-01", "2026-03-06")
    assert alert.measure == D("5")  # 5 points below the threshold
    assert "饮料" in alert.title and "10%" in alert.title and "15%" in alert.title
    with translation.override("zh-hans"):
        assert alert.title == "饮料的毛利率（2026-03-01 – 2026-03-06）：10%，低于 15%"
    assert Notification.objects.filter(recipient=boss).count() == 1
    assert alert_counts(boss) == {"critical": 1, "warning": 0, "notice": 0}  # the cockpit's tile: the rule's severity

    # the manager's 待办: one KPI alert, counted the same on the dashboard, the inbox and its API
    rows = todo_rows(boss)
    assert rows["count"] == 1 and rows["rows"][0]["title"] == alert.title
    assert same_count_everywhere(client, boss) == 1
    assert todo_rows(clerk)["count"] == 0 and same_count_everywhere(client, clerk) == 0

    # the link opens the margin report for that category and month
    link = rows["rows"][0]["url"]
    assert link.startswith("/reports/margin/?") and f"f_category={drinks.pk}" in link
    client.force_login(boss)
    page = client.get(link)
    assert page.status_code == 200 and b"data-narrowed" in page.content
    shown = figures(page.content)
    assert D(shown.cards["gross_margin"]) == D("10")
    assert set(shown.tables["margin"]) == {"饮料", "合计"} or set(shown.tables["margin"]) == {"饮料", "Total"}

    # within the cool-down a re-evaluation neither re-opens nor re-sends it
    at(dt.date(2026, 3, 6), hour=5)
    again = engine.scan_company(shop.company.pk)
    assert (len(again.raised), len(again.renotified), again.still_open) == (0, 0, 1)
    assert kpi_alerts(r) == [alert] and Alert.objects.get(pk=alert.pk).notify_count == 1

    # acknowledged: off the 待办, still open
    engine.acknowledge(alert, by=boss)
    assert todo_rows(boss)["count"] == 0 and same_count_everywhere(client, boss) == 0

    # the margin recovers: 10 more at 3.00 → revenue 130.00, cost 108.00, margin 16.92 % → closed
    sell(shop, shop.water, 10, "3.00")
    consume(shop.company)
    cleared = engine.scan_company(shop.company.pk)
    assert len(cleared.cleared) == 1 and Alert.objects.get(pk=alert.pk).status == AlertStatus.CLOSED
    assert AlertRule.objects.get(pk=r.pk).alerts.filter(status__in=["open", "acknowledged"]).count() == 0


# ---------------------------------------------------------------- an item's weekly sales down > 30 % two weeks running


def test_an_items_weekly_sales_down_more_than_30_percent_two_weeks_running(shop, client):
    # weeks (Monday–Sunday) of March 2026: 2–8, 9–15, 16–22; today is in the week of the 23rd
    shop.post("purchase_receipt", [line(shop.water, 1000, "1.00"), line(shop.flour, 1000, "4.00")],
              partner=shop.supplier)
    for day, water, flour in ((dt.date(2026, 3, 3), 100, 100), (dt.date(2026, 3, 10), 60, 50),
                              (dt.date(2026, 3, 17), 40, 45)):
        at(day)
        sell(shop, shop.water, water, "2.00")  # 200.00 → 120.00 (−40 %) → 80.00 (−33.33 %)
        sell(shop, shop.flour, flour, "8.00")  # 800.00 → 400.00 (−50 %) → 360.00 (−10 %): one week only
    consume(shop.company)
    buyer = shop.user("buyer", Role.PURCHASER)
    boss = shop.user("boss", Role.MANAGER)
    r = rule(shop, "单品周销售连续两周下降超过 30%", kpi="revenue", by="item", period="week", which="last",
             compare="previous", op="below", threshold=-30, running=2, role="purchaser", severity="warning")

    at(dt.date(2026, 3, 24))
    engine.scan_company(shop.company.pk)
    (alert,) = kpi_alerts(r)
    assert alert.subject == f"kpi:item:{shop.water.pk}" and alert.item_id == shop.water.pk
    assert alert.data["figure"] == "-33.3333" and alert.data["value"] == "80" and alert.data["base"] == "120"
    assert (alert.data["start"], alert.data["end"]) == ("2026-03-16", "2026-03-22")
    assert alert.measure == D("3.3333")
    assert todo_rows(buyer)["count"] == 1 and todo_rows(boss)["count"] == 0
    assert same_count_everywhere(client, buyer) == 1
    link = todo_rows(buyer)["rows"][0]["url"]
    assert link.startswith("/reports/sales/?") and f"f_item={shop.water.pk}" in link and "start=2026-03-16" in link
    client.force_login(buyer)
    page = client.get(link)
    assert page.status_code == 200
    shown = figures(page.content)
    assert D(shown.cards["revenue"]) == D("80")  # the item's week only, not the flour's 360

    # the next week sells 120.00 (+50 %): the alert clears once that week is over
    at(dt.date(2026, 3, 25))
    sell(shop, shop.water, 60, "2.00")
    consume(shop.company)
    at(dt.date(2026, 3, 26))
    assert engine.scan_company(shop.company.pk).cleared == []  # the judged week is still the 16th–22nd
    at(dt.date(2026, 3, 30))
    assert len(engine.scan_company(shop.company.pk).cleared) == 1
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.CLOSED and todo_rows(buyer)["count"] == 0


# ---------------------------------------------------------------- on-time rate below 90 % for a supplier


def test_on_time_rate_below_90_percent_for_a_supplier_seen_in_its_warehouse_only(shop, client):
    late_co = shop.supplier
    good_co = partners.create_partner(by=shop.admin, code="S002", name="准时水厂", kind="supplier")
    at(dt.date(2026, 3, 2))
    po_late = shop.post("purchase_order", [line(shop.flour, 50, "5.00", promised_on=dt.date(2026, 3, 10)),
                                           line(shop.water, 20, "1.00", promised_on=dt.date(2026, 3, 10))],
                        partner=late_co)
    po_good = shop.post("purchase_order", [line(shop.water, 100, "1.00", promised_on=dt.date(2026, 3, 12))],
                        partner=good_co)
    at(dt.date(2026, 3, 9))
    water_line = po_late.lines.get(item=shop.water)
    shop.post("purchase_receipt", [line(shop.water, 20, "1.00", source_line=water_line.pk)], partner=late_co,
              source=po_late)
    at(dt.date(2026, 3, 12))
    shop.post("purchase_receipt", [line(shop.water, 100, "1.00", source_line=po_good.lines.get().pk)],
              partner=good_co, source=po_good)
    at(dt.date(2026, 3, 14))  # the flour comes four days late
    flour_line = po_late.lines.get(item=shop.flour)
    shop.post("purchase_receipt", [line(shop.flour, 50, "5.00", source_line=flour_line.pk)], partner=late_co,
              source=po_late)
    consume(shop.company)
    mine = shop.user("buyer-main", Role.PURCHASER, warehouses=[shop.main])
    elsewhere = shop.user("buyer-2", Role.PURCHASER, warehouses=[shop.second])
    r = engine.save_rule(by=shop.admin, kind="kpi_threshold", name="供应商准时率低于 90%", warehouse=shop.main,
                         params={"kpi": "on_time_rate", "by": "supplier", "period": "month", "which": "last",
                                 "threshold": 90, "role": "purchaser"})

    at(dt.date(2026, 4, 1))
    client.force_login(shop.admin)
    assert client.post("/api/alerts/scan").json()["raised"] == 1  # on demand ("Check now")
    (alert,) = kpi_alerts(r)
    assert alert.subject == f"kpi:supplier:{late_co.pk}" and alert.warehouse_id == shop.main.pk
    assert alert.data["figure"] == "50" and alert.data["label"] == "面粉厂"
    assert (alert.data["start"], alert.data["end"]) == ("2026-03-01", "2026-03-31")
    assert todo_rows(mine)["count"] == 1 and todo_rows(elsewhere)["count"] == 0
    assert same_count_everywhere(client, mine) == 1 and same_count_everywhere(client, elsewhere) == 0
    link = todo_rows(mine)["rows"][0]["url"]
    client.force_login(mine)
    page = client.get(link)
    assert page.status_code == 200
    table = figures(page.content).tables["on_time"]
    assert [label for label in table if label not in ("合计", "Total")] == ["面粉厂"]
    assert D(table["面粉厂"]["rate"]) == D("50")

    # a day later: no new alert and nothing re-sent; 25 hours later (past the 24 h cool-down) it is sent again
    at(dt.date(2026, 4, 1), hour=6)
    assert engine.scan_all() == {"ACME": {"raised": 0, "renotified": 0, "cleared": 0, "open": 1}}  # the periodic scan
    at(dt.date(2026, 4, 2), hour=4)
    assert engine.scan_all()["ACME"]["renotified"] == 1
    assert kpi_alerts(r) == [alert] and Alert.objects.get(pk=alert.pk).notify_count == 2
    assert alert.history.filter(action=AlertAction.NOTIFIED).count() == 2

    # April has no promised lines: the last complete month is clean from May on, and the alert closes
    at(dt.date(2026, 5, 1))
    assert len(engine.scan_company(shop.company.pk).cleared) == 1


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("params", "field"), [
    ({"kpi": "happiness"}, "params.kpi"),
    ({"kpi": "on_time_rate", "by": "item"}, "params.by"),
    ({"period": "decade"}, "params.period"),
    ({"threshold": "much"}, "params.threshold"),
    ({"running": 0}, "params.running"),
    ({"running": 1.5}, "params.running"),
    ({"colour": "red"}, "params"),
    ({"kpi": "gross_margin", "role": "salesperson"}, "params.role"),  # margins are made of costs
    ({"severity": "apocalyptic"}, "params.severity"),
])
def test_bad_parameters_are_refused_with_a_code_and_nothing_is_saved(shop, client, params, field):
    with pytest.raises(DomainError) as err:
        rule(shop, "bad", **params)
    assert err.value.code == "validation.failed" and err.value.data["field"] == field
    client.force_login(shop.admin)
    r = client.post("/api/alert-rules", {"kind": "kpi_threshold", "name": "bad", "params": params},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    assert not AlertRule.objects.filter(kind="kpi_threshold").exists()


def test_the_rules_api_and_page_take_a_kpi_threshold(shop, client):
    client.force_login(shop.admin)
    r = client.post("/api/alert-rules", {"kind": "kpi_threshold", "name": "准时率", "params": {
        "kpi": "on_time_rate", "by": "supplier", "period": "month", "which": "last", "threshold": 90,
        "role": "purchaser"}}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["params"]["kpi"] == "on_time_rate" and body["params"]["running"] == 1
    assert body["recipient_roles"] == ["purchaser"]
    changed = client.patch(f"/api/alert-rules/{body['id']}", {"params": {"threshold": 85}},
                           content_type="application/json")
    assert changed.status_code == 200 and changed.json()["params"] == {**body["params"], "threshold": 85}
    refused = client.patch(f"/api/alert-rules/{body['id']}", {"params": {"by": "customer"}},
                           content_type="application/json")
    assert refused.status_code == 422 and refused.json()["data"]["field"] == "params.by"
    page = client.get("/alerts/rules/new/kpi_threshold/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="param_kpi"' in html and "kpi-formulas" in html and "gross margin = gross profit ÷ revenue" in html
    zh = client.get("/alerts/rules/new/kpi_threshold/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "毛利率 = 毛利 ÷ 销售收入" in zh and "负责角色" in zh
    form = {"name": "类目毛利率", "is_active": "on", "cooldown_hours": "24", "param_kpi": "gross_margin",
            "param_by": "category", "param_period": "month", "param_which": "current", "param_compare": "absolute",
            "param_op": "below", "param_threshold": "15", "param_running": "1", "param_min_base": "0",
            "param_role": "manager", "param_severity": "warning", "recipient_roles": ["manager"]}
    saved = client.post("/alerts/rules/new/kpi_threshold/", form)
    assert saved.status_code == 302, saved.content[-1500:]
    made = AlertRule.objects.get(name="类目毛利率")
    assert made.params["kpi"] == "gross_margin" and made.params["threshold"] == 15
    bad = client.post("/alerts/rules/new/kpi_threshold/", {**form, "name": "x", "param_role": "cashier"})
    assert bad.status_code == 200 and not AlertRule.objects.filter(name="x").exists()
