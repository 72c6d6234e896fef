"""Fixtures shared with other test packages: the API client (tests/api) and, for the tests that commit
for real, the stock tests' wipeable ledger (the flush around the append-only triggers)."""

from tests.api.conftest import api, as_user, other  # noqa: F401
