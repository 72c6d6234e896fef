"""The .mo files are build output (not in git): compile the catalogues before the pages render Chinese."""

from openjxc.core.i18n import compile_all

compile_all()

# committing tests (tests/web/test_jobs.py) let the flush empty the ledger; the hook puts its triggers back
