"""Random business: receipts (some back-dated), sales with discounts and tax, returns, transfers, write-offs,
receipts of money and voids, consumed in random batch sizes — then check-facts holds, and every report total
equals the same total computed straight from the ledgers. Each example is a company of its own."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.services import LineInput
from openjxc.finance import services as finance
from openjxc.finance.models import PartnerEntry
from openjxc.reports.facts.check import check_facts
from openjxc.reports.facts.consumer import consume
from openjxc.reports.kpi_run import compute
from openjxc.reports.query import Query, run
from openjxc.reports.stockcalc import ageing
from openjxc.stock.models import StockBalance, StockMove
from tests.conftest import Shop, assert_ledger_consistent
from tests.reports.oracle import assert_rebuild_equals_consumer

pytestmark = pytest.mark.django_db(transaction=True)
_codes = itertools.count(1)
START = dt.date(2026, 1, 5)

op = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(1, 30), st.integers(100, 900), st.integers(0, 40)),
    st.tuples(st.just("sell"), st.integers(0, 1), st.integers(1, 10), st.integers(150, 1500), st.integers(0, 30)),
    st.tuples(st.just("return"), st.integers(0, 50), st.integers(1, 5), st.just(0), st.just(0)),
    st.tuples(st.just("transfer"), st.integers(0, 1), st.integers(1, 10), st.just(0), st.just(0)),
    st.tuples(st.just("write_off"), st.integers(0, 1), st.integers(1, 3), st.just(0), st.just(0)),
    st.tuples(st.just("money"), st.just(0), st.integers(1, 50), st.just(0), st.just(0)),
    st.tuples(st.just("void"), st.integers(0, 50), st.just(0), st.just(0), st.just(0)),
    st.tuples(st.just("consume"), st.integers(1, 200), st.just(0), st.just(0), st.just(0)),
)


@pytest.fixture
def ledger(wipeable_ledger):
    yield
    clock.freeze(None)


def _play(shop, ops) -> None:
    by = shop.admin
    items = [shop.flour, shop.water]
    posted = []
    day = START
    for n, (kind, a, b, c, d) in enumerate(ops):
        day = START + dt.timedelta(days=n // 3 + 45 * (n % 17 == 16))  # now and then a jump into a new month
        clock.freeze(dt.datetime.combine(day, dt.time(3, 0), dt.UTC))
        try:
            if kind == "receive":
                dated = day - dt.timedelta(days=d)  # back-dated by up to 40 days
                posted.append(shop.post("purchase_receipt", [LineInput(
                    item=items[a].pk, quantity=D(b), unit_price=D(c) / 100)], partner=shop.supplier,
                    business_on=dated))
            elif kind == "sell":
                posted.append(shop.post("sales_delivery", [LineInput(
                    item=items[a].pk, quantity=D(b), unit_price=D(c) / 100, tax_rate=D("0.13"),
                    discount_rate=D(d) / 100)], partner=shop.customer))
            elif kind == "return":
                sales = [x for x in posted if x.kind == "sales_delivery" and x.status == Status.POSTED]
                if sales:
                    src = sales[a % len(sales)]
                    line = DocumentLine.objects.filter(document=src).first()
                    posted.append(shop.post("sales_return", [LineInput(
                        item=line.item_id, quantity=min(D(b), line.quantity), source_line=line.pk)],
                        partner=shop.customer, source=src))
            elif kind == "transfer":
                out = shop.post("transfer_out", [LineInput(item=items[a].pk, quantity=D(b))], to_warehouse=shop.store)
                shop.post("transfer_in", [LineInput(item=items[a].pk, quantity=D(b),
                                                    source_line=out.lines.get().pk)], warehouse=shop.store, source=out)
            elif kind == "write_off":
                posted.append(shop.post("write_off", [LineInput(item=items[a].pk, quantity=D(b))]))
            elif kind == "money":
                finance.create_settlement(by=by, kind="receipt", partner=shop.customer, amount=D(b), post=True)
            elif kind == "void":
                live = [x for x in posted if x.status == Status.POSTED]
                if live:
                    doc = live[a % len(live)]
                    doc = docs.void_document(doc, by=by, reason="hypothesis")
                    posted = [doc if x.pk == doc.pk else x for x in posted]
            elif kind == "consume":
                consume(shop.company, limit=a)
        except DomainError:
            pass  # not enough stock, a return of a voided sale, …: refused, nothing written


def exact_sum(rows, field: str) -> D:
    """The column summed in Python: SQLite's SUM of a NUMERIC column is a float (−2.90000000000001 for −2.90)."""
    return sum(rows.values_list(field, flat=True), D(0))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=5, max_size=40))
def test_facts_equal_the_ledgers_whatever_happens(ledger, ops):
    shop = Shop(f"H{next(_codes)}")
    _play(shop, ops)
    consume(shop.company, limit=37)
    assert_ledger_consistent(shop.company.pk)
    report = check_facts(shop.company)
    assert report.problems == [], report.problems
    company = shop.company
    # up to the last business date anything carries: a posting made on a day the clock jumped ahead to, and a
    # void, whose reversal is dated the day it was voided (after the document's own date)
    end = max([clock.today(company.time_zone),
               *Document.objects.filter(company=company).values_list("business_on", flat=True),
               *StockMove.objects.filter(company=company).values_list("business_on", flat=True),
               *PartnerEntry.objects.filter(company=company).values_list("business_on", flat=True)])
    q = Query(measures=["revenue", "cogs", "stock_value", "stock_qty", "receivable_balance"],
              start=dt.date(2025, 12, 1), end=end)
    totals = run(company, q).rows[0].values

    revenue = D(0)
    for kind, status, sign in (("sales_delivery", Status.POSTED, 1), ("sales_return", Status.POSTED, -1)):
        revenue += sign * exact_sum(DocumentLine.objects.filter(document__company=company, document__kind=kind,
                                                                document__status=status), "amount")
    assert totals["revenue"] == revenue
    to_customer = exact_sum(StockMove.objects.filter(company=company, to_location__kind="customer"), "value")
    from_customer = exact_sum(StockMove.objects.filter(company=company, from_location__kind="customer"), "value")
    assert totals["cogs"] == to_customer - from_customer
    balances = StockBalance.objects.filter(company=company)
    assert totals["stock_qty"] == exact_sum(balances, "quantity")
    assert totals["stock_value"] == exact_sum(balances, "value")
    # ageing from the layers (decision 0023) equals ageing from the day facts, on the last day and a year on
    for on in (end, end + dt.timedelta(days=365)):
        assert ageing(company, Query(measures=[]), on, now=True) == ageing(company, Query(measures=[]), on, now=False)
    owed = exact_sum(PartnerEntry.objects.filter(company=company, book="receivable"), "amount")
    assert totals["receivable_balance"] == owed
    # the KPI's receivables = the query's = the partner ledger's; gross profit = revenue − COGS
    assert compute(company, "receivables", q).total.value == owed
    gp = compute(company, "gross_profit", q).total
    assert gp.value == revenue - totals["cogs"]
    assert_rebuild_equals_consumer(company)
