"""Concurrent allocations on PostgreSQL: many receipts paying the same deliveries at once never apply more
than a delivery owes, nor more than a receipt holds (row locks: the receipt, then the documents by id)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.db import connection

from openjxc.core.errors import DomainError
from openjxc.core.models import User
from openjxc.finance import services as fin
from openjxc.finance.models import Allocation, Settlement
from openjxc.finance.selectors import open_documents
from tests.conftest import assert_ledger_consistent
from tests.finance.conftest import Books, assert_partner_ledger_consistent
from tests.stock.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture(autouse=True)
def _postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: row locks between concurrent connections (set DATABASE_URL)")


def test_concurrent_receipts_never_over_allocate_a_delivery(wipeable_ledger):
    books = Books()
    d1, d2 = books.deliver(10, 10), books.deliver(10, 10)  # 100 each
    receipts = [books.receive_money("60").pk for _ in range(8)]
    admin_id = books.admin.pk

    def work(i):
        by = User.objects.select_related("company").get(pk=admin_id)
        s = Settlement.objects.get(pk=receipts[i])
        # every receipt tries 30 on both deliveries, in opposite orders: no deadlock either way
        order = [d1.pk, d2.pk] if i % 2 else [d2.pk, d1.pk]
        try:
            fin.allocate(by=by, settlement=s, allocations=[fin.AllocationInput(pk, D("30")) for pk in order])
            return ["ok"]
        except DomainError as exc:
            return [exc.code]

    results, unexpected = run_threads(work, n=len(receipts))
    assert unexpected == []
    # 100 owed on each: three receipts of 30 fit (90), the others are refused
    assert results.count("ok") == 3 and results.count("finance.over_allocated") == 5
    assert sum(a.amount for a in Allocation.objects.filter(document=d1)) == D("90")
    assert [i.open for i in open_documents(books.company.pk, books.customer.pk, "receivable")] == [D("10")] * 2
    assert_ledger_consistent()
    assert_partner_ledger_consistent()
