"""The March story (tests/reports/story.py) as a fixture: posted through the services, the facts caught up."""

from __future__ import annotations

import pytest

from openjxc.core import clock
from openjxc.reports.facts.consumer import consume
from tests.conftest import Shop
from tests.reports.story import March


@pytest.fixture
def story(wipeable_ledger):
    shop = Shop()
    try:
        s = March(shop)
        consume(shop.company)
        yield s
    finally:
        clock.freeze(None)
