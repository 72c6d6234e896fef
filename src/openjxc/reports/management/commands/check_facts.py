"""jxc check-facts: the report facts equal the stock ledger, the documents and the partner ledger; exit 1 if not."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from openjxc.reports.facts.check import check_facts
from openjxc.reports.management.commands._companies import companies


class Command(BaseCommand):
    help = "Check that the report facts equal the ledgers (exit 1 and what differs on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="CODE", help="one company only (default: all)")

    def handle(self, *args, company=None, **options):
        failed = 0
        for c in companies(company):
            report = check_facts(c)
            for problem in report.problems:
                self.stdout.write(f"{c.code} [{problem.code}] {problem.detail}")
            if report.ok:
                self.stdout.write(self.style.SUCCESS(
                    f"{c.code}: facts OK (cursor {report.cursor}, {report.caught_up} newer events included)"))
            failed += len(report.problems)
        if failed:
            raise CommandError(f"facts FAILED: {failed} problem(s)", returncode=1)
