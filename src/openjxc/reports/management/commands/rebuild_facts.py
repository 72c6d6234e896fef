"""jxc rebuild-facts: recompute the report facts from the ledgers (a new install, after an upgrade, a repair)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from openjxc.reports.facts.rebuild import rebuild, tidy
from openjxc.reports.management.commands._companies import Bar, companies


class Command(BaseCommand):
    help = "Rebuild the report facts from the stock ledger, the documents and the partner ledger (with progress)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="CODE", help="one company only (default: all)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, company=None, quiet=False, **options):
        for c in companies(company):
            started = time.monotonic()
            bar = None if quiet else Bar(self.stdout, c.code)
            result = rebuild(c, progress=bar)
            self.stdout.write(self.style.SUCCESS(
                f"{c.code}: facts rebuilt from {result.moves:,} moves and {result.documents:,} documents "
                f"({result.rows:,} rows) in {time.monotonic() - started:.1f} s; feed cursor {result.cursor}"))
        started = time.monotonic()
        if tidy():  # the old rows are dead now: clear them and refresh the planner's statistics
            self.stdout.write(f"fact tables vacuumed and analysed in {time.monotonic() - started:.1f} s")
