"""Shared by the sync tests (feed, SSE, terminals): committing tests flush the ledger, so re-export the guard."""

from __future__ import annotations

from tests.stock.conftest import pytest_runtest_teardown, wipeable_ledger  # noqa: F401 - committing tests
