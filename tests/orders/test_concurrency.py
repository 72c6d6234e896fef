"""Two clients delivering against one sales order at once on PostgreSQL: never over-delivered.

Each delivery's posting hook locks the order row before counting what was delivered, so the
second posting waits for the first to commit and then sees it.
"""

from __future__ import annotations

import os
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from openjxc.core.errors import DomainError
from openjxc.core.models import User
from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from tests.conftest import assert_ledger_consistent

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: row locks between concurrent connections (set DATABASE_URL)")


@pytest.mark.parametrize("clients", [2, 6])
def test_concurrent_deliveries_never_over_deliver_one_order(wipeable_ledger, shop, clients):
    # given 100 bottles in stock and a confirmed order for 10
    shop.receive(shop.water, 100, "1.20")
    so = docs.create_document(by=shop.admin, kind="sales_order", warehouse=shop.main, partner=shop.customer,
                              lines=[LineInput(item=shop.water.pk, quantity=D("10"), unit_price=D("2"))],
                              advance_to="posted")
    line_id, so_id, admin_id = so.lines.get().pk, so.pk, shop.admin.pk
    barrier = threading.Barrier(clients)
    outcomes, lock = [], threading.Lock()

    # when several clients each deliver 6 against it at the same moment
    def client():
        try:
            by = User.objects.get(pk=admin_id)
            order = Document.objects.get(pk=so_id)
            barrier.wait()
            try:
                docs.create_document(by=by, kind="sales_delivery", warehouse=order.warehouse_id,
                                     partner=order.partner_id, source=order, advance_to="posted",
                                     lines=[LineInput(item=shop.water.pk, quantity=D("6"), unit_price=D("2"),
                                                      source_line=line_id)])
                result = "posted"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        except BaseException as exc:  # noqa: BLE001 - every unexpected error must fail the test
            with lock:
                outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    # then exactly one is posted, the others are refused as over-delivery, and 6 of 10 went out
    assert sorted(outcomes) == ["document.over_delivery"] * (clients - 1) + ["posted"], outcomes
    so = Document.objects.get(pk=so_id)
    prog = orders.order_progress(so)[0]
    assert (prog.fulfilled, prog.remaining, prog.status) == (D("6"), D("4"), "partial")
    assert Document.objects.filter(kind="sales_delivery", status=Status.POSTED).count() == 1
    assert_ledger_consistent()
