"""Browser tests commit for real: reuse the stock tests' way of letting the flush empty the ledger."""

from tests.stock.conftest import pytest_runtest_teardown, wipeable_ledger  # noqa: F401
