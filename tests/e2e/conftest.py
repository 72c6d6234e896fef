"""Browser tests commit for real: reuse the stock tests' way of letting the flush empty the ledger."""



def pytest_collection_modifyitems(config, items):
    """In CI the browser tests must run: a missing Chromium fails the run instead of skipping."""
    import os

    import pytest

    if os.environ.get("CI") == "true" and any("e2e" in item.keywords for item in items):
        if not os.path.exists("/usr/bin/chromium"):
            raise pytest.UsageError("CI needs Debian's chromium for the browser tests: run `make browser`")
