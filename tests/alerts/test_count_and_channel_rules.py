"""Alert kinds that watch other apps: count variance beyond tolerance (and the recount it asks for), and a
notification channel failing (marked so by the delivery service's failure bookkeeping, cleared by a success;
the real sends behind it are tested in test_channels.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from openjxc.alerts import delivery, engine
from openjxc.alerts.models import Channel
from openjxc.alerts.rule_models import Alert, AlertKind, AlertStatus
from openjxc.core import clock
from openjxc.counts import services as counts
from openjxc.counts.models import CountLine, CountStatus
from openjxc.counts.services import EntryInput
from tests.conftest import Shop, assert_ledger_consistent

D = Decimal
pytestmark = pytest.mark.django_db


def test_count_variance_alert_and_recount_from_the_alert_page(client):
    shop = Shop()
    shop.receive(shop.water, 100, "1.20")
    shop.receive(shop.flour, 50, "5")
    engine.save_rule(by=shop.admin, kind=AlertKind.COUNT_VARIANCE, params={"tolerance_pct": 2})
    # the count itself tolerates a lot (no automatic recount): the rule is stricter
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False, tolerance_rate=D("0.5"),
                                tolerance_value=D("10000"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("90")),
                                                         EntryInput(item=shop.flour.pk, quantity=D("50"))])
    assert engine.scan_company(shop.company.pk).raised == []  # still counting
    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    raised = engine.scan_company(shop.company.pk).raised
    assert [(a.item_id, a.data["difference"], a.data["pct"], a.data["value"]) for a in raised] == [
        (shop.water.pk, "-10", "10.0", "12.00")]
    client.force_login(shop.admin)
    r = client.post(reverse("web:alert_action", args=[raised[0].pk, "recount"]))
    assert r.status_code == 302 and r["Location"] == reverse("web:count", args=[count.pk])
    line = CountLine.objects.get(count=count, item=shop.water)
    assert line.recount_requested and line.counted_quantity is None
    assert [a.pk for a in engine.scan_company(shop.company.pk).cleared] == [raised[0].pk]
    assert_ledger_consistent()


def test_channel_failing_alert_follows_the_channel():
    shop = Shop()
    engine.save_rule(by=shop.admin, kind=AlertKind.CHANNEL_FAILING)
    channel = Channel.objects.create(company=shop.company, kind="webhook", name="ERP 回调",
                                     config={"url": "https://hooks.example.com/hook", "secret": "s" * 24})
    now = clock.now()
    for n in range(delivery.FAILING_AFTER):
        delivery.channel_failed(channel, now + dt.timedelta(minutes=n), "connection refused", gave_up=False)
    channel.refresh_from_db()
    assert channel.is_failing
    raised = engine.scan_company(shop.company.pk).raised
    assert [(a.kind, a.data["channel"]) for a in raised] == [(AlertKind.CHANNEL_FAILING, "ERP 回调")]
    assert "connection refused" in engine.render_title(raised[0].kind, raised[0].data)
    delivery.channel_succeeded(channel, now + dt.timedelta(hours=1))
    assert [a.pk for a in engine.scan_company(shop.company.pk).cleared] == [raised[0].pk]
    assert Alert.objects.get(pk=raised[0].pk).status == AlertStatus.CLOSED
