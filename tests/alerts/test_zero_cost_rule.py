"""Cost never silently zero (issue 13 item 4): goods issued with no cost history and no standard cost or purchase
price raise one "item costed at zero" alert per (item, warehouse) naming the documents; it closes when the item
gets a cost."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from openjxc.alerts import engine, rule_tasks
from openjxc.alerts.models import Notification
from openjxc.alerts.rule_models import Alert, AlertKind, AlertStatus
from openjxc.catalog import services as catalog
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.stock import services as stock
from tests.conftest import Shop, assert_ledger_consistent
from tests.documents.helpers import line


def _store_and_gift(shop):
    store = stock.create_warehouse(by=shop.admin, code="NEG", name="负库存门店", kind="store", allow_negative=True)
    gift = catalog.create_item(by=shop.admin, code="Z001", name="赠品袋", base_unit=shop.pcs)  # no price at all
    return store, gift


@pytest.mark.django_db(transaction=True)
def test_an_item_costed_at_zero_raises_an_alert_naming_the_document_until_it_gets_a_cost(wipeable_ledger):
    # committed for real: the posting's hook evaluates its items after commit, the item's update reaches the
    # rule through the outbox
    shop = Shop()
    manager = shop.user("mgr", Role.MANAGER)
    assert AlertKind.ZERO_COST in {r.kind for r in engine.install_default_rules(shop.company)}
    store, gift = _store_and_gift(shop)
    first = shop.post("write_off", [line(gift, 2)], warehouse=store)
    second = shop.post("sales_delivery", [line(gift, 3, 1)], partner=shop.customer, warehouse=store)
    alert = Alert.objects.get(kind=AlertKind.ZERO_COST, status=AlertStatus.OPEN)
    assert (alert.item_id, alert.warehouse_id, alert.measure) == (gift.pk, store.pk, D(5))
    assert alert.data["documents"] == f"{first.number}, {second.number}"
    title = engine.render_title(alert.kind, alert.data)
    assert first.number in title and "赠品袋" in title and "负库存门店" in title
    # raised by the first posting, notified again when the second made it worse (2 → 5)
    assert Notification.objects.filter(recipient=manager, topic="alert.zero_cost").count() == 2
    # one alert per (item, warehouse): the second posting named its document on the same alert
    assert Alert.objects.filter(kind=AlertKind.ZERO_COST).count() == 1
    catalog.update_item(gift, by=shop.admin, purchase_price=D("0.30"))
    deadline = time.monotonic() + 60
    while alert.status != AlertStatus.CLOSED and time.monotonic() < deadline:
        rule_tasks.process_events(shop.company.pk)
        alert.refresh_from_db()
        time.sleep(0.2)
    assert alert.status == AlertStatus.CLOSED
    assert_ledger_consistent(shop.company.pk)


@pytest.mark.django_db
def test_a_zero_cost_issue_voided_or_followed_by_a_priced_receipt_clears_its_alert(shop):
    engine.install_default_rules(shop.company)
    store, gift = _store_and_gift(shop)
    other = catalog.create_item(by=shop.admin, code="Z002", name="试吃装", base_unit=shop.pcs)
    costed = shop.post("write_off", [line(shop.water, 1)], warehouse=store)  # has a purchase price: no alert
    voided = shop.post("write_off", [line(gift, 2)], warehouse=store)
    tasting = shop.post("write_off", [line(other, 1)], warehouse=store)
    raised = engine.scan_company(shop.company.pk, kinds={AlertKind.ZERO_COST}).raised
    assert sorted((a.item_id, a.data["documents"]) for a in raised) == sorted(
        [(gift.pk, voided.number), (other.pk, tasting.number)])
    assert costed.number not in {a.data["documents"] for a in raised}
    docs.void_document(voided, by=shop.admin, reason="录错")
    shop.post("purchase_receipt", [line(other, 5, 2)], partner=shop.supplier, warehouse=store)
    cleared = engine.scan_company(shop.company.pk, kinds={AlertKind.ZERO_COST}).cleared
    assert sorted(a.item_id for a in cleared) == sorted([gift.pk, other.pk])
    assert_ledger_consistent(shop.company.pk)
