"""The March story (tests/reports/story.py) as a fixture: posted through the services, the facts caught up (built
once per run, its rows put back for each test: tests/snapshots.py)."""

from __future__ import annotations

import pytest

from openjxc.core import clock
from openjxc.reports.facts.consumer import consume
from tests.conftest import Shop
from tests.reports.story import March
from tests.snapshots import built_once


def _march() -> March:
    s = March(Shop())
    consume(s.shop.company)
    return s


@pytest.fixture
def story(wipeable_ledger):
    try:
        yield built_once("march", _march)
    finally:
        clock.freeze(None)
