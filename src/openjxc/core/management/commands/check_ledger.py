"""jxc check-ledger: verify that balances equal the ledger; exit 1 on any violation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.management.commands._ledger import run_check
from openjxc.core.models import Company
from openjxc.finance.ledger import check_partner_ledger


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
        partner_problems = check_partner_ledger(company_id)  # the partner ledger (应收/应付) too
        for problem in partner_problems:
            self.stdout.write(f"[{problem.code}] {problem.detail}")
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        if partner_problems:
            raise CommandError(f"partner ledger FAILED: {len(partner_problems)} problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary()))
        self.stdout.write(self.style.SUCCESS("partner ledger OK"))
