"""The .mo files are build output (not in git): compile the catalogues before the pages render Chinese."""

from openjxc.core.i18n import compile_all

compile_all()

# committing tests (tests/web/test_jobs.py) let the flush empty the ledger; the hook puts its triggers back


import pytest  # noqa: E402
from django.utils import translation  # noqa: E402


@pytest.fixture(autouse=True)
def _language_reset():
    """A page asked for in Chinese leaves zh-hans active in the thread; the next test starts from the default."""
    yield
    translation.deactivate()
