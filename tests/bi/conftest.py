"""Two companies with facts: ACME's March story (tests/reports/story.py) and a small second company, OTHER."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from openjxc.bi.dates import fill_dates
from openjxc.core import clock
from openjxc.reports.facts.consumer import consume
from tests.conftest import Shop
from tests.reports.story import March
from tests.snapshots import built_once


def _companies() -> SimpleNamespace:
    story = March(Shop())
    consume(story.shop.company)
    other = Shop("OTHER")
    other.receive(other.flour, 7, "3.00")
    other.sell(other.flour, 2, price="9.00")
    consume(other.company)
    fill_dates(dt.date(2025, 12, 1), dt.date(2026, 4, 30))
    return SimpleNamespace(story=story, acme=story.shop, other=other)


@pytest.fixture
def companies(wipeable_ledger):
    """Built once per run, its rows put back for each test (tests/snapshots.py)."""
    try:
        yield built_once("march+other", _companies)
    finally:
        clock.freeze(None)
