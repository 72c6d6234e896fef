"""jxc check-ledger: verify that balances equal the ledger; exit 1 on any violation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.management.commands._ledger import run_check
from openjxc.core.models import Company


class Command(BaseCommand):
    help = "Check the stock ledger: balances equal the sum of the moves (exit 1 on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="CODE", help="check one company only (default: all)")

    def handle(self, *args, company=None, **options):
        company_id = None
        if company:
            company_id = Company.objects.filter(code=company).values_list("pk", flat=True).first()
            if company_id is None:
                raise CommandError(f"No company with code {company!r}.")
        report = run_check(company_id)
        for sentence in report.sentences:
            self.stdout.write(sentence)
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary()))
