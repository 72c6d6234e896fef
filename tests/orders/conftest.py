"""The order tests that commit for real reuse the stock tests' wipeable ledger (flush around the triggers)."""

from tests.stock.conftest import pytest_runtest_teardown, wipeable_ledger  # noqa: F401
