"""jxc check-ledger: verify that balances equal the ledger; exit 1 on any violation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.ledger_checks import label, run_checks
from openjxc.core.management.commands._ledger import run_check
from openjxc.core.models import Company


class Command(BaseCommand):
    help = "Check the stock ledger, the partner ledger and the report facts (exit 1 on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="CODE", help="check one company only (default: all)")
        parser.add_argument("--full", action="store_true",
                            help="replay the whole history in business-date order (default: what was posted since "
                                 "the last check; the whole history the first time)")
        parser.add_argument("--progress", action="store_true", help="print what the check is doing as it goes (always with --full)")

    def handle(self, *args, company=None, full=False, progress=False, **options):
        company_id = None
        if company:
            company_id = Company.objects.filter(code=company).values_list("pk", flat=True).first()
            if company_id is None:
                raise CommandError(f"No company with code {company!r}.")
        report = run_check(company_id, full=full,
                           progress=(lambda line: self.stderr.write(line)) if progress or full else None)
        for sentence in report.sentences:
            self.stdout.write(sentence)
        others = run_checks(company_id)  # the books other apps register: partner ledger (应收/应付), report facts
        for problems in others.values():
            for problem in problems:
                self.stdout.write(f"[{problem.code}] {problem.detail}")
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        failed = {label(name): len(p) for name, p in others.items() if p}
        if failed:
            raise CommandError(", ".join(f"{name} FAILED: {n} problem(s)" for name, n in failed.items()),
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary()))
        for name in others:
            self.stdout.write(self.style.SUCCESS(f"{label(name)} OK"))
