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
