"""check_facts per day and warehouse (sales, purchases, tickets): the database sums the facts against the documents
and returns only the keys left over; a void counts on its own day. Honest books pass, damage is named."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db.models import F

from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.reports.facts.check import check_facts
from openjxc.reports.models import PurchaseDay, SalesTicketDay
from tests.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(wipeable_ledger):
    return Shop()


def problems(shop):
    return [(p.code, p.detail) for p in check_facts(shop.company).problems]


def test_a_void_on_a_later_day_passes_and_damaged_day_and_ticket_facts_are_named(shop):
    today = clock.today(shop.company.time_zone)
    before = today - dt.timedelta(days=3)
    shop.receive(shop.flour, 10, "5.00")
    sale = shop.post("sales_delivery", [LineInput(item=shop.flour.pk, quantity=D(2), unit_price=D("8"))],
                     partner=shop.customer, business_on=before)
    shop.post("sales_delivery", [LineInput(item=shop.flour.pk, quantity=D(1), unit_price=D("8"))],
              partner=shop.customer, business_on=before)
    docs.void_document(sale, by=shop.admin, reason="wrong")
    call_command("rebuild_facts", "--company", "ACME", stdout=io.StringIO())
    assert problems(shop) == []  # the void's ticket and figures are taken off today, not on its business day

    SalesTicketDay.objects.filter(company=shop.company, day=today).update(tickets=F("tickets") + 1)
    found = problems(shop)
    assert [c for c, _d in found] == ["facts.tickets"]
    assert f"day, warehouse {(today, shop.main.pk)}: facts − ledger = (1, 0)" in found[0][1]

    SalesTicketDay.objects.filter(company=shop.company, day=today).update(tickets=F("tickets") - 1)
    PurchaseDay.objects.filter(company=shop.company).update(amount=F("amount") + 1)
    assert sorted({c for c, _d in problems(shop)}) == ["facts.purchases", "facts.purchases_day"]
