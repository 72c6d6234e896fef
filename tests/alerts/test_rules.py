"""Alert rules through the engine: each rule raised once, re-notified only after its cool-down or when worse,
cleared when fixed; slow movers on a constructed sales history; recipients by role and warehouse."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from openjxc.alerts import engine, rules
from openjxc.alerts.models import Notification
from openjxc.alerts.rule_models import Alert, AlertAction, AlertKind, AlertRule, AlertStatus
from openjxc.alerts.rules import sales as sales_rules
from openjxc.alerts.rules import stock as stock_rules
from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.models import Role
from openjxc.documents.models import Document
from openjxc.documents.services import LineInput
from openjxc.stock.models import Location, Warehouse
from tests.conftest import Shop, assert_ledger_consistent

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    s = Shop()
    s.manager = s.user("mgr", Role.MANAGER)
    s.buyer = s.user("buyer", Role.PURCHASER)
    s.keeper2 = s.user("keeper2", Role.KEEPER, warehouses=[s.second])
    s.clerk = s.user("clerk", Role.SALESPERSON)
    return s


@pytest.fixture
def frozen():
    start = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Shanghai
    clock.freeze(start)
    yield start
    clock.freeze(None)


def rule(shop, kind, **kw):
    return engine.save_rule(by=shop.admin, kind=kind, **kw)


def receive_on(shop, item, quantity, cost, day):
    return shop.post("purchase_receipt", [LineInput(item=item.pk, quantity=D(str(quantity)), unit_price=D(str(cost)))],
                     partner=shop.supplier, business_on=day)


def sell_on(shop, item, quantity, day):
    return shop.post("sales_delivery", [LineInput(item=item.pk, quantity=D(str(quantity)), unit_price=D("9"))],
                     partner=shop.customer, business_on=day)


def alert_notes(user):
    return list(Notification.objects.filter(recipient=user, topic__startswith="alert.").order_by("pk"))


def test_low_stock_raised_once_renotified_after_cooldown_or_when_worse_and_cleared(shop, frozen):
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("10"), reorder_point=D("12"),
                       max_stock=D("40"))
    low = rule(shop, AlertKind.LOW_STOCK, cooldown_hours=24)
    shop.receive(shop.water, 8, "1.2")

    first = engine.scan_company(shop.company.pk)
    assert len(first.raised) == 1
    alert = first.raised[0]
    assert alert.kind == "low_stock" and alert.item_id == shop.water.pk and alert.warehouse_id == shop.main.pk
    assert alert.data["available"] == "8" and alert.data["safety_stock"] == "10"
    assert alert.data["suggested"] == "32"  # up to the maximum of 40
    assert [len(alert_notes(u)) for u in (shop.manager, shop.buyer, shop.clerk)] == [1, 1, 0]
    assert "矿泉水" in alert_notes(shop.manager)[0].title
    stored = Alert.objects.get(pk=alert.pk)  # inserted already marked as notified
    assert (stored.notify_count, stored.notified_measure, stored.last_notified_at) == (1, D("2"), frozen)

    # the same condition an hour later: still one open alert, nobody bothered again
    clock.freeze(frozen + dt.timedelta(hours=1))
    again = engine.scan_company(shop.company.pk)
    assert again.raised == [] and again.renotified == []
    assert Alert.objects.filter(rule=low, status=AlertStatus.OPEN).count() == 1
    assert len(alert_notes(shop.manager)) == 1

    # worse (8 -> 2 available: shortfall 2 -> 8) is sent at once, cool-down or not
    clock.freeze(frozen + dt.timedelta(hours=2))
    shop.sell(shop.water, 6)
    worse = engine.scan_company(shop.company.pk)
    assert [a.pk for a in worse.renotified] == [alert.pk]
    assert len(alert_notes(shop.manager)) == 2

    # unchanged after the cool-down: reminded once more
    clock.freeze(frozen + dt.timedelta(hours=27))
    later = engine.scan_company(shop.company.pk)
    assert [a.pk for a in later.renotified] == [alert.pk]
    assert len(alert_notes(shop.manager)) == 3
    stored.refresh_from_db()
    assert (stored.notify_count, stored.notified_measure) == (3, D("8"))
    assert stored.last_notified_at == frozen + dt.timedelta(hours=27)

    # fixed: a receipt brings it above safety stock -> closed, nobody notified
    shop.receive(shop.water, 30, "1.2")
    fixed = engine.scan_company(shop.company.pk)
    assert [a.pk for a in fixed.cleared] == [alert.pk]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED and alert.closed_at is not None
    assert len(alert_notes(shop.manager)) == 3
    actions = list(alert.history.values_list("action", flat=True))
    assert actions == [AlertAction.RAISED, AlertAction.NOTIFIED, AlertAction.WORSENED, AlertAction.NOTIFIED,
                       AlertAction.NOTIFIED, AlertAction.CLEARED]

    # it comes back as a new alert when the condition returns
    shop.sell(shop.water, 30)
    back = engine.scan_company(shop.company.pk)
    assert len(back.raised) == 1 and back.raised[0].pk != alert.pk
    assert_ledger_consistent()


def test_low_stock_counts_reservations_and_what_is_on_order(shop, frozen):
    catalog.set_levels(shop.flour, shop.main, by=shop.admin, safety_stock=D("10"), reorder_point=D("10"))
    rule(shop, AlertKind.LOW_STOCK)
    shop.receive(shop.flour, 12, "5")
    assert engine.scan_company(shop.company.pk).raised == []
    # a confirmed sales order holds 5 of the 12: only 7 available
    from openjxc.documents import services as docs

    so = docs.create_document(by=shop.admin, kind="sales_order", warehouse=shop.main, partner=shop.customer,
                              lines=[LineInput(item=shop.flour.pk, quantity=D("5"), unit_price=D("8"))])
    docs.advance_document(so, by=shop.admin, to="posted")
    found = engine.scan_company(shop.company.pk).raised
    assert len(found) == 1 and found[0].data["reserved"] == "5" and found[0].data["available"] == "7"
    # ordering from the alert: a draft purchase order for the suggestion, the alert acknowledged
    order = engine.order_for_alert(found[0], by=shop.buyer)
    assert order.kind == "purchase_order" and order.status == "draft"
    assert order.lines.get().quantity == D(found[0].data["suggested"]) == D("13")  # 7 -> 20 (2 x reorder point)
    found[0].refresh_from_db()
    assert found[0].status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(DomainError) as err:
        engine.order_for_alert(Alert(kind=AlertKind.EXPIRED, data={}), by=shop.buyer)
    assert err.value.code == "alert.no_purchase_order"


def test_acknowledged_alert_is_not_resent_after_cooldown_only_when_worse(shop, frozen):
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("10"))
    rule(shop, AlertKind.LOW_STOCK, cooldown_hours=1)
    shop.receive(shop.water, 9, "1")
    alert = engine.scan_company(shop.company.pk).raised[0]
    engine.acknowledge(alert, by=shop.manager, comment="已电话订货")
    clock.freeze(frozen + dt.timedelta(hours=5))
    assert engine.scan_company(shop.company.pk).renotified == []
    shop.sell(shop.water, 8)  # shortfall 1 -> 9
    result = engine.scan_company(shop.company.pk)
    assert [a.pk for a in result.renotified] == [alert.pk]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN  # back on the list
    with pytest.raises(DomainError):
        engine.acknowledge(Alert.objects.filter(status=AlertStatus.CLOSED).first() or alert.pk + 999, by=shop.manager)
    ack = alert.history.get(action=AlertAction.ACKNOWLEDGED)
    assert ack.by == shop.manager and ack.detail["comment"] == "已电话订货"


def test_negative_and_over_max_and_recipients_limited_to_their_warehouses(shop, frozen):
    # a store whose offline sales already happened may go below zero (set up directly: not what's tested)
    Warehouse.objects.filter(pk=shop.store.pk).update(allow_negative=True)
    Location.objects.filter(warehouse=shop.store).update(allow_negative=True)
    rule(shop, AlertKind.NEGATIVE_STOCK, recipient_roles=[Role.MANAGER, Role.KEEPER])
    rule(shop, AlertKind.OVER_MAX)
    catalog.set_levels(shop.flour, shop.second, by=shop.admin, max_stock=D("50"))
    shop.sell(shop.water, 3, warehouse=shop.store)
    shop.receive(shop.flour, 80, "5", warehouse=shop.second)
    result = engine.scan_company(shop.company.pk)
    kinds = sorted(a.kind for a in result.raised)
    assert kinds == ["negative_stock", "over_max"]
    neg = next(a for a in result.raised if a.kind == "negative_stock")
    assert neg.data["quantity"] == "-3" and neg.warehouse_id == shop.store.pk
    over = next(a for a in result.raised if a.kind == "over_max")
    assert over.measure == D("30")
    # the keeper of the second warehouse hears about nothing in the store
    assert [n.data.get("kind") for n in alert_notes(shop.keeper2)] == []
    assert {n.data.get("kind") for n in alert_notes(shop.manager)} == {"negative_stock", "over_max"}
    shop.receive(shop.water, 3, "1", warehouse=shop.store)
    assert [a.kind for a in engine.scan_company(shop.company.pk).cleared] == ["negative_stock"]
    assert_ledger_consistent()


@pytest.mark.parametrize(("shelf_life", "window"), [
    (730, 45), (365, 45), (364, 20), (180, 20), (179, 15), (90, 15), (89, 10), (30, 10), (29, 5), (16, 5),
    (15, 4), (3, 4), (None, 30),
])
def test_the_near_expiry_window_follows_the_shelf_life(shelf_life, window):
    assert stock_rules.expiry_window(shelf_life) == window


def test_expiring_by_shelf_life_by_default(shop, frozen):
    today = clock.today()
    rule(shop, AlertKind.EXPIRING)  # the default: days = 0, the 临期 window of each item's shelf life
    # milk keeps 10 days: 临期 in its last 4 days
    shop.receive(shop.milk, 5, "3", lot="M-5", expires_on=today + dt.timedelta(days=5))
    shop.receive(shop.milk, 5, "3", lot="M-3", expires_on=today + dt.timedelta(days=3))
    # flour has no shelf life on the item; its lot says it keeps 400 days: 临期 in the last 45 days
    catalog.update_item(shop.flour, by=shop.admin, tracking="lot_expiry")
    shop.receive(shop.flour, 5, "5", lot="F-40", produced_on=today - dt.timedelta(days=360),
                 expires_on=today + dt.timedelta(days=40))
    shop.receive(shop.flour, 5, "5", lot="F-50", produced_on=today - dt.timedelta(days=350),
                 expires_on=today + dt.timedelta(days=50))
    raised = engine.scan_company(shop.company.pk).raised
    assert sorted((a.data["lot"], a.data["days_left"], a.data["window_days"]) for a in raised) == [
        ("F-40", 40, 45), ("M-3", 3, 4)]
    assert_ledger_consistent()


def test_expiring_and_expired_lots(shop, frozen):
    today = clock.today()
    rule(shop, AlertKind.EXPIRING, params={"days": 7})
    rule(shop, AlertKind.EXPIRED)
    shop.receive(shop.milk, 10, "3", lot="L-SOON", expires_on=today + dt.timedelta(days=5))
    shop.receive(shop.milk, 10, "3", lot="L-LATER", expires_on=today + dt.timedelta(days=30))
    result = engine.scan_company(shop.company.pk)
    assert [(a.kind, a.data["lot"], a.data["days_left"]) for a in result.raised] == [("expiring", "L-SOON", 5)]
    # six days on: L-SOON has expired (moves from "expiring" to "expired"), L-LATER not yet within 7 days
    clock.freeze(frozen + dt.timedelta(days=6))
    later = engine.scan_company(shop.company.pk)
    assert [(a.kind, a.data["lot"]) for a in later.raised] == [("expired", "L-SOON")]
    assert [(a.kind, a.data["lot"]) for a in later.cleared] == [("expiring", "L-SOON")]
    # writing the expired lot off clears it
    shop.post("write_off", [LineInput(item=shop.milk.pk, quantity=D("10"), lot_code="L-SOON")])
    assert [a.kind for a in engine.scan_company(shop.company.pk).cleared] == ["expired"]
    assert_ledger_consistent()


def test_slow_mover_detected_on_a_constructed_sales_history(shop, frozen):
    today = clock.today()
    rule(shop, AlertKind.SLOW_MOVER)  # > 30 % down two weeks running against the four weeks before
    receive_on(shop, shop.water, 1000, "1", today - dt.timedelta(days=60))
    receive_on(shop, shop.flour, 1000, "5", today - dt.timedelta(days=60))
    # six complete weeks, oldest first: water 100/week then 60 and 50; flour steady then one bad week only
    water = [100, 100, 100, 100, 60, 50]
    flour = [40, 40, 40, 40, 20, 40]
    for week, (w, f) in enumerate(zip(water, flour, strict=True)):
        day = today - dt.timedelta(days=7 * (6 - week) - 2)
        sell_on(shop, shop.water, w, day)
        last_flour = sell_on(shop, shop.flour, f, day)
    series = sales_rules.weekly_sales(rules.Scope(shop.company.pk, today=today), 6)
    assert series[(shop.water.pk, shop.main.pk)] == [D(x) for x in water]
    result = engine.scan_company(shop.company.pk)
    assert [(a.item_id, a.data["drop_pct"]) for a in result.raised] == [(shop.water.pk, "50.0")]
    # a customer return in the latest week counts against its sales
    shop.post("sales_return", [LineInput(item=shop.flour.pk, quantity=D("5"), unit_price=D("8"),
                                         source_line=last_flour.lines.get().pk)],
              partner=shop.customer, source=last_flour, business_on=today - dt.timedelta(days=3))
    series = sales_rules.weekly_sales(rules.Scope(shop.company.pk, today=today), 6)
    assert series[(shop.flour.pk, shop.main.pk)][-1] == D("35")
    assert_ledger_consistent()


@pytest.mark.parametrize(("series", "expected"), [
    ([D(10)] * 4 + [D(6), D(5)], D("50.0")),
    ([D(10)] * 4 + [D(8), D(5)], None),  # only one week below the line
    ([D(0)] * 6, None),  # never sold: not "slowing down"
    ([D(10), D(10), D(10), D(10), D(6.9), D(0)], D("100.0")),
    # sold in lumps (one or two weeks of four): irregular, not slowing down
    ([D(18), D(0), D(0), D(0), D(0), D(0)], None),
    ([D(0), D(12), D(0), D(2), D(0), D(0)], None),
    # three weeks of four is a regular seller
    ([D(12), D(0), D(12), D(12), D(0), D(0)], D("100.0")),
])
def test_slow_mover_rule_is_pure(series, expected):
    assert sales_rules.is_slow(series, drop_pct=30, weeks_running=2, min_weekly=1, min_selling_weeks=3) == expected


def test_dead_stock_after_n_days_without_movement(shop, frozen):
    today = clock.today()
    rule(shop, AlertKind.DEAD_STOCK, params={"days": 60})
    receive_on(shop, shop.flour, 10, "5", today - dt.timedelta(days=90))
    receive_on(shop, shop.water, 10, "1", today - dt.timedelta(days=10))
    result = engine.scan_company(shop.company.pk)
    assert [(a.item_id, a.data["on_hand"], a.data["value"]) for a in result.raised] == [(shop.flour.pk, "10", "50.00")]
    shop.sell(shop.flour, 1)
    assert [a.item_id for a in engine.scan_company(shop.company.pk).cleared] == [shop.flour.pk]


def test_rule_scope_by_category_and_warehouse(shop, frozen):
    drinks = catalog.create_category(by=shop.admin, code="DRINK", name="饮料", parent=shop.food)
    catalog.update_item(shop.water, by=shop.admin, category=drinks)
    for item in (shop.water, shop.flour):
        for wh in (shop.main, shop.second):
            catalog.set_levels(item, wh, by=shop.admin, safety_stock=D("5"))
    scoped = rule(shop, AlertKind.LOW_STOCK, category=drinks.pk, warehouse=shop.second.pk)
    result = engine.scan_company(shop.company.pk)
    assert [(a.item_id, a.warehouse_id) for a in result.raised] == [(shop.water.pk, shop.second.pk)]
    # the whole-company parent category catches both items
    engine.save_rule(by=shop.admin, rule=scoped, category=shop.food.pk, warehouse=None)
    assert len(engine.scan_company(shop.company.pk).raised) == 3


def test_many_alerts_from_one_scan_go_out_as_one_digest(shop, frozen):
    rule(shop, AlertKind.LOW_STOCK)
    for n in range(8):
        item = catalog.create_item(by=shop.admin, code=f"X{n:03}", name=f"商品{n}", base_unit=shop.pcs)
        catalog.set_levels(item, shop.main, by=shop.admin, safety_stock=D("3"))
    result = engine.scan_company(shop.company.pk)
    assert len(result.raised) == 8
    notes = alert_notes(shop.manager)
    assert len(notes) == 1 and "8" in notes[0].title and notes[0].body.count("\n") == 7


def test_rule_validation(shop):
    with pytest.raises(ValidationFailed) as err:
        rule(shop, "nonsense")
    assert err.value.data["field"] == "kind"
    with pytest.raises(ValidationFailed) as err:
        rule(shop, AlertKind.EXPIRING, params={"dayz": 3})
    assert err.value.data["field"] == "params"
    with pytest.raises(ValidationFailed):
        rule(shop, AlertKind.SLOW_MOVER, params={"weeks_running": 0})
    with pytest.raises(ValidationFailed):
        rule(shop, AlertKind.LOW_STOCK, recipient_roles=["boss"])
    other = Shop("OTHER")
    with pytest.raises(DomainError) as err:
        rule(shop, AlertKind.LOW_STOCK, warehouse=other.main.pk)
    assert err.value.code == "warehouse.not_found"
    with pytest.raises(DomainError) as err:
        engine.save_rule(by=shop.clerk, kind=AlertKind.LOW_STOCK)
    assert err.value.code == "permission.denied"
    assert AlertRule.objects.filter(company=shop.company).count() == 0


def test_default_rules_are_installed_once(shop):
    made = engine.install_default_rules(shop.company)
    # a KPI threshold is made rule by rule (which KPI, judged how): no company-wide default
    assert sorted(r.kind for r in made) == sorted(set(AlertKind.values) - {AlertKind.KPI_THRESHOLD})
    assert engine.install_default_rules(shop.company) == []
    low = AlertRule.objects.get(company=shop.company, kind=AlertKind.LOW_STOCK)
    assert set(low.recipient_roles) == {Role.MANAGER, Role.PURCHASER}


@pytest.mark.django_db(transaction=True)
def test_a_posting_checks_the_rules_of_its_items_after_commit(wipeable_ledger, frozen):
    # committed for real: the engine reads the outbox through the change feed, which (on PostgreSQL)
    # only shows transactions that have finished; huey runs the scheduled evaluation at once in tests
    shop = Shop()
    shop.manager = shop.user("mgr", Role.MANAGER)
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("10"))
    rule(shop, AlertKind.LOW_STOCK)
    shop.receive(shop.water, 50, "1")
    assert not Alert.objects.exists()
    shop.sell(shop.water, 45)
    alert = Alert.objects.get(kind=AlertKind.LOW_STOCK)
    assert alert.data["available"] == "5"
    assert len(alert_notes(shop.manager)) == 1
    shop.receive(shop.water, 20, "1")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert Document.objects.filter(company=shop.company).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_minute_catch_up_reads_the_outbox_for_what_no_task_evaluated(wipeable_ledger, frozen):
    from openjxc.alerts import rule_tasks

    shop = Shop()
    catalog.set_levels(shop.flour, shop.main, by=shop.admin, safety_stock=D("10"))
    shop.receive(shop.flour, 4, "5")  # posted while no rule existed: the hook's evaluation found nothing to do
    rule(shop, AlertKind.LOW_STOCK)
    assert not Alert.objects.exists()
    # the feed shows a transaction only once every older one in the cluster has finished: give it a moment
    deadline = time.monotonic() + 60
    while not Alert.objects.exists() and time.monotonic() < deadline:
        rule_tasks.process_events(shop.company.pk)
        time.sleep(0.2)
    alert = Alert.objects.get()
    assert alert.item_id == shop.flour.pk and alert.data["available"] == "4"
    # read once: the cursor moved past those events, a second run evaluates nothing again
    assert rule_tasks.process_events(shop.company.pk).as_dict() == {"raised": 0, "renotified": 0, "cleared": 0,
                                                                    "open": 0}


def test_the_history_says_where_an_alert_was_sent(shop, frozen):
    from openjxc.alerts.channel_services import create_channel

    create_channel(by=shop.admin, kind="wecom", name="仓库群", topics=["alert."],
                   config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})
    create_channel(by=shop.admin, kind="wecom", name="财务群", topics=["document."],
                   config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=f"})
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("10"))
    rule(shop, AlertKind.LOW_STOCK)
    shop.receive(shop.water, 3, "1.2")
    [alert] = engine.scan_company(shop.company.pk).raised
    notified = alert.history.get(action=AlertAction.NOTIFIED)
    # the in-app inbox of two people and the one group channel that carries alerts, not the finance group
    assert notified.detail["recipients"] == 2
    assert notified.detail["channels"] == [{"kind": "wecom", "name": "仓库群"}]


def test_a_rule_sends_through_the_channels_it_names_and_only_those(shop, frozen):
    from openjxc.alerts.channel_services import create_channel
    from openjxc.alerts.models import Delivery

    create_channel(by=shop.admin, kind="wecom", name="仓库群", topics=["alert."],
                                     config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})
    buyers_group = create_channel(by=shop.admin, kind="feishu", name="采购群", topics=["document."],
                                  config={"url": "https://open.feishu.cn/open-apis/bot/v2/hook/b"})
    catalog.set_levels(shop.water, shop.main, by=shop.admin, safety_stock=D("10"))
    low = rule(shop, AlertKind.LOW_STOCK)
    # the purchasers' group does not carry alerts by its topics, but this rule names it: only it is used
    engine.save_rule(by=shop.admin, rule=low, channels=[buyers_group.pk])
    assert sorted(engine.save_rule(by=shop.admin, rule=low).channels.values_list("name", flat=True)) == ["采购群"]
    shop.receive(shop.water, 3, "1.2")
    [alert] = engine.scan_company(shop.company.pk).raised
    assert list(Delivery.objects.values_list("channel__name", flat=True)) == ["采购群"]
    assert alert.history.get(action=AlertAction.NOTIFIED).detail["channels"] == [{"kind": "feishu", "name": "采购群"}]
    # no channel named: back to every channel whose topics carry alerts
    engine.save_rule(by=shop.admin, rule=low, channels=[])
    shop.sell(shop.water, 2)  # worse: sent again at once
    engine.scan_company(shop.company.pk)
    assert list(Delivery.objects.order_by("pk").values_list("channel__name", flat=True)) == ["采购群", "仓库群"]


def test_a_rule_refuses_a_channel_of_another_company(shop):
    from openjxc.alerts.channel_services import create_channel

    other = Shop("OTHER")
    theirs = create_channel(by=other.admin, kind="wecom", name="别家群",
                            config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=o"})
    with pytest.raises(DomainError) as err:
        rule(shop, AlertKind.LOW_STOCK, channels=[theirs.pk])
    assert err.value.code == "channel.not_found"
    assert not AlertRule.objects.filter(company=shop.company, kind=AlertKind.LOW_STOCK).exists()


def test_weekly_sales_per_warehouse_and_within_a_warehouse_scope(shop, frozen):
    # one grouped pass maps each move's locations to warehouses (issue 15): sales land on the warehouse they left
    today = clock.today()

    def post(kind, quantity, days_ago, warehouse):
        partner = shop.supplier if kind == "purchase_receipt" else shop.customer
        shop.post(kind, [LineInput(item=shop.water.pk, quantity=D(quantity), unit_price=D("1"))], partner=partner,
                  warehouse=warehouse, business_on=today - dt.timedelta(days=days_ago))

    post("purchase_receipt", 100, 30, shop.main)
    post("purchase_receipt", 100, 30, shop.store)
    post("sales_delivery", 7, 2, shop.main)
    post("sales_delivery", 3, 2, shop.store)
    post("sales_delivery", 4, 9, shop.store)
    everything = sales_rules.weekly_sales(rules.Scope(shop.company.pk, today=today), 2)
    assert everything == {(shop.water.pk, shop.main.pk): [D(0), D(7)],
                          (shop.water.pk, shop.store.pk): [D(4), D(3)]}
    store = sales_rules.weekly_sales(rules.Scope(shop.company.pk, warehouse_id=shop.store.pk, today=today), 2)
    assert store == {(shop.water.pk, shop.store.pk): [D(4), D(3)]}
