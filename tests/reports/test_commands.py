"""jxc rebuild-facts, check-facts and consume-facts, and check-ledger's facts check: a difference is found, named
and exits 1; a rebuild repairs it."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from openjxc.documents.services import LineInput
from openjxc.reports.models import FactCursor, SalesDay, StockDay
from tests.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(wipeable_ledger):
    return Shop()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_rebuild_check_and_repair(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.post("sales_delivery", [LineInput(item=shop.flour.pk, quantity=D(4), unit_price=D("8"))],
              partner=shop.customer)
    assert "facts rebuilt from 2 moves and 2 documents" in run("rebuild_facts", "--company", "ACME")
    assert "ACME: facts OK" in run("check_facts", "--company", "ACME")
    shop.sell(shop.flour, 1, price=8)  # not consumed yet: the check adds what the consumer has not reached
    out = run("check_facts")
    assert "facts OK" in out and ", 0 newer events" not in out
    assert "events in" in run("consume_facts", "--company", "ACME")
    assert FactCursor.objects.get(company=shop.company).events > 0

    StockDay.objects.filter(company=shop.company, qty_out__gt=0).update(qty_out=F("qty_out") + 10_000)
    SalesDay.objects.filter(company=shop.company).update(revenue=F("revenue") + 1)
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_facts", stdout=out)
    assert failed.value.returncode == 1
    text = out.getvalue()
    assert "[facts.stock_day]" in text and "[facts.stock_balance]" in text and "[facts.sales]" in text
    with pytest.raises(CommandError) as failed:
        call_command("check_ledger", stdout=io.StringIO())
    assert "facts FAILED" in str(failed.value)

    rebuilt = run("rebuild_facts", "--quiet")
    # PostgreSQL: the rows the rebuild replaced are vacuumed away after its commit (SQLite has nothing to do)
    assert ("fact tables vacuumed and analysed" in rebuilt) == (connection.vendor == "postgresql")
    assert "facts OK" in run("check_facts")
    assert "facts OK" in run("check_ledger")
    with pytest.raises(CommandError):
        call_command("check_facts", "--company", "NOPE", stdout=io.StringIO())
