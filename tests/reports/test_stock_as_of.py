"""A balance on a day read from the checkpoints and the nearest days equals the sum of every day row up to it: on
each day of the March story's January to April, whichever checkpoint (the month before, or the day's own month
less the days after it) `stock_as_of` picks; a receipt back-dated into closed February included."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.reports.query import Query, aggregate
from openjxc.reports.querysql import stock_as_of
from openjxc.reports.stockcalc import closed_through

pytestmark = pytest.mark.django_db(transaction=True)


def _sums(company, source) -> dict:
    rows = aggregate(company.pk, "stock", source, ["warehouse", "item"], ["qty_in - qty_out", "value_in - value_out"],
                     Query(measures=[]), [(0, 1)])
    return {k: v for k, v in rows.items() if any(v)}


def test_every_day_balance_equals_the_sum_of_its_day_rows(story):
    company = story.shop.company
    closed = closed_through(company)
    assert closed == dt.date(2026, 3, 1)  # February's and March's checkpoints are written
    day = dt.date(2026, 1, 25)
    seen = 0
    while day <= dt.date(2026, 4, 1):
        expected = _sums(company, stock_as_of(company.pk, day, None))  # every day row up to `day`
        assert _sums(company, stock_as_of(company.pk, day, closed)) == expected, day
        seen += bool(expected)
        day += dt.timedelta(days=1)
    assert seen > 60


def test_the_cockpit_stock_by_day_equals_the_query_layers_balances(story):
    """The stock tile's 14 days (a month-end checkpoint among them and the days' changes) equal the query layer's
    stock value by day carried through the days, for the company and a store, on days before, at and after a
    closed month's end."""
    from openjxc.reports import cockpit

    shop = story.shop
    company = shop.company
    for scope in (None, frozenset({shop.store.pk}), frozenset({shop.main.pk})):
        base = Query(measures=[], warehouse_ids=scope)
        for today in (dt.date(2026, 3, 1), dt.date(2026, 3, 5), dt.date(2026, 3, 12), dt.date(2026, 3, 31),
                      dt.date(2026, 2, 20)):
            first = today - dt.timedelta(days=cockpit.SPARK_DAYS - 1)
            days = [first + dt.timedelta(days=i) for i in range(cockpit.SPARK_DAYS)]
            new = cockpit._stock_by_day(company, base, days)
            if today.month == 2:  # no month end among the days: the tile reads the query layer's balances
                assert new is None
                continue
            assert new is not None, today  # February's or March's end is among the days or the day before
            daily = cockpit._daily(company, base, "stock_value", first, today)
            last, old = None, []
            for d in days:
                last = daily.get(d, last)
                old.append(last)
            assert new == old, (scope, today)
