"""The slow-mover rule's weekly sales from the sales facts (reports/facts/sales_weeks.py, decision 0025) equal the
same series read from the moves — on a history with customer returns and voids in two warehouses, before the facts
exist, caught up, and while the consumer lags behind back-dated sales (those days are read from the moves)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.alerts.rule_models import AlertKind
from openjxc.alerts.rules import DEFAULT_PARAMS, Scope
from openjxc.alerts.rules import sales as sales_rules
from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.reports.facts import sales_weeks
from openjxc.reports.facts.consumer import consume
from openjxc.reports.models import SalesDay
from tests.conftest import Shop, assert_ledger_consistent

WEEKS = 6


@pytest.fixture
def committed(wipeable_ledger):
    # the consumer reads only committed events (the feed's stable head): these tests commit for real
    shop = Shop()
    yield shop
    clock.freeze(None)


def _nonzero(series: dict) -> dict:
    return {k: v for k, v in series.items() if any(v)}


def _from_moves(scope: Scope) -> dict:
    today = scope.today or clock.today()
    return _nonzero(sales_rules.weekly_sales_from_moves(scope, today - dt.timedelta(days=7 * WEEKS), WEEKS))


def _from_facts(scope: Scope, read_from_moves: list) -> dict | None:
    today = scope.today or clock.today()
    start = today - dt.timedelta(days=7 * WEEKS)

    def moves(days):
        read_from_moves.append(set(days))
        return sales_rules.weekly_sales_from_moves(scope, start, WEEKS, days)

    found = sales_weeks.weekly_sales(scope, start, WEEKS, moves)
    return None if found is None else _nonzero(found)


def _sell(shop, item, quantity, on, warehouse=None):
    return shop.post("sales_delivery", [LineInput(item=item.pk, quantity=D(str(quantity)), unit_price=D("3"))],
                     partner=shop.customer, warehouse=warehouse, business_on=on)


def _return(shop, sale, quantity, on):
    ret = docs.create_from(sale, by=shop.admin, kind="sales_return", business_on=on)
    line = ret.lines.get()
    docs.update_document(ret, by=shop.admin, lines=[LineInput(item=line.item_id, quantity=D(str(quantity)),
                                                              unit_price=line.unit_price, source_line=line.source_line_id)])
    return docs.advance_document(ret, by=shop.admin, to="posted")


def test_weekly_sales_from_the_facts_equal_the_moves_with_returns_voids_and_a_lagging_consumer(committed):
    shop = committed
    today = clock.today()
    day = [today - dt.timedelta(days=n) for n in range(0, 50)]
    for wh in (shop.main, shop.store):
        for item in (shop.flour, shop.water):
            shop.post("purchase_receipt", [LineInput(item=item.pk, quantity=D("1000"), unit_price=D("2"))],
                      partner=shop.supplier, warehouse=wh, business_on=day[49])
    # six weeks of sales in both warehouses: water steady then falling at the store, flour with a fractional sale
    for week in range(WEEKS):
        on = day[7 * (WEEKS - week) - 3]
        _sell(shop, shop.water, 100 if week < 4 else 40, on, warehouse=shop.store)
        _sell(shop, shop.water, 20, on)
        _sell(shop, shop.flour, D("12.5"), on + dt.timedelta(days=1))
    big = _sell(shop, shop.flour, 30, day[20])
    _return(shop, big, 4, day[18])  # a customer return, two days later
    doomed = _sell(shop, shop.water, 55, day[30], warehouse=shop.store)
    clock.freeze(dt.datetime.combine(day[25], dt.time(10), tzinfo=dt.UTC))
    docs.void_document(doomed, by=shop.admin, reason="重复")  # voided 5 days later: counts on the void's day
    clock.freeze(None)
    late = _sell(shop, shop.flour, 9, day[10])
    clock.freeze(dt.datetime.combine(day[7], dt.time(4), tzinfo=dt.UTC))
    docs.void_document(late, by=shop.admin, reason="日期错")  # voided in a later week
    clock.freeze(None)
    company = shop.company.pk
    scopes = [Scope(company, today=today), Scope(company, warehouse_id=shop.store.pk, today=today),
              Scope(company, item_id=shop.flour.pk, today=today), Scope(company, category_id=shop.food.pk, today=today)]
    truth = {i: _from_moves(s) for i, s in enumerate(scopes)}
    # the 55 sold 30 days ago counts in its week, its void 5 days later in the next
    assert truth[0][(shop.water.pk, shop.store.pk)] == [D(100), D(155), D(45), D(100), D(40), D(40)]

    # no facts yet: the rule reads the moves
    assert _from_facts(scopes[0], []) is None
    assert sales_rules.weekly_sales(scopes[0], WEEKS).keys() >= truth[0].keys()

    # caught up: the facts alone answer, and equal the moves for every scope
    consume(shop.company)
    assert SalesDay.objects.filter(company_id=company).exists()
    for i, scope in enumerate(scopes):
        read: list = []
        assert _from_facts(scope, read) == truth[i], i
        assert read == [], i

    # back-dated sales and a void the consumer has not read: their days come from the moves, the rest from the facts
    _sell(shop, shop.water, 20, day[8], warehouse=shop.store)
    _sell(shop, shop.flour, 7, day[15])
    _return(shop, big, 2, day[15])
    truth = {i: _from_moves(s) for i, s in enumerate(scopes)}
    for i, scope in enumerate(scopes):
        read = []
        assert _from_facts(scope, read) == truth[i], i
        assert read == [{day[8], day[15]}], i

    # the rule finds the same slow movers either way (the store's water: 100 a week, then 40)
    params = dict(DEFAULT_PARAMS[AlertKind.SLOW_MOVER])
    with_facts = sales_rules.slow_mover(scopes[0], params)
    saved = list(sales_rules.FASTER)
    sales_rules.FASTER.clear()
    try:
        assert sales_rules.slow_mover(scopes[0], params) == with_facts
    finally:
        sales_rules.FASTER[:] = saved
    assert f"iw:{shop.water.pk}:{shop.store.pk}" in with_facts

    consume(shop.company)  # caught up again
    for i, scope in enumerate(scopes):
        read = []
        assert _from_facts(scope, read) == truth[i], i
        assert read == [], i
    assert_ledger_consistent()
