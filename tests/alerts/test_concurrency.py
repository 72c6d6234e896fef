"""Several dispatchers at once on PostgreSQL (as several workers/app servers would run): every delivery is
sent exactly once, and a channel's rate limit holds across them."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.db import connection

from openjxc.alerts.channel_services import create_channel
from openjxc.alerts.delivery import dispatch_due
from openjxc.alerts.models import Delivery
from openjxc.core import clock
from tests.alerts.conftest import WEBHOOK_SECRET
from tests.conftest import Shop, assert_ledger_consistent
from tests.stock.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: several connections claiming the same rows (set DATABASE_URL)")


def _queue(shop, channel, n):
    # queued directly: notify() would send them itself right after commit (huey runs immediately in tests)
    now = clock.now()
    Delivery.objects.bulk_create([
        Delivery(company=shop.company, channel=channel, topic="alert.low_stock", title=f"消息 {i}",
                 next_attempt_at=now, created_at=now) for i in range(n)
    ])


def test_concurrent_dispatchers_send_each_delivery_exactly_once(wipeable_ledger, platforms):
    shop = Shop()
    channel = create_channel(by=shop.admin, kind="webhook", name="erp",
                             config={"url": platforms.url("webhook"), "secret": WEBHOOK_SECRET,
                                     "rate_per_minute": 6000})
    _queue(shop, channel, 60)
    platforms.delay = 0.01  # a slow receiver widens the window in which two senders could collide

    results, unexpected = run_threads(lambda i: [dispatch_due()], n=6)
    assert unexpected == []
    ids = Counter(h["payload"]["id"] for h in platforms.hits)
    assert len(ids) == 60 and set(ids.values()) == {1}  # each delivery reached the receiver once
    assert sum(r.get("sent", 0) for r in results) == 60
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert_ledger_consistent()


def test_concurrent_dispatchers_respect_the_wecom_rate_limit_together(wipeable_ledger, platforms):
    shop = Shop()
    channel = create_channel(by=shop.admin, kind="wecom", name="wecom", config={"url": platforms.url("wecom")})
    _queue(shop, channel, 30)

    results, unexpected = run_threads(lambda i: [dispatch_due()], n=6)
    assert unexpected == []
    assert len(platforms.hits) == 20  # 20 a minute per robot, counted in the database across senders
    assert sum(r.get("sent", 0) for r in results) == 20
    assert Delivery.objects.filter(status="pending").count() == 10  # deferred, not dropped
    assert_ledger_consistent()
