"""jxc demo: load the demo company (items, partners, users and months of history) through the services."""

from __future__ import annotations

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.errors import DomainError
from openjxc.core.management.commands._ledger import run_check
from openjxc.core.management.commands._setup import migrate
from openjxc.presets import demo


class Progress:
    """A one-line progress bar on a terminal; a few plain lines elsewhere (logs, pipes)."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width = stream, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, done: int, total: int, label: str) -> None:
        share = done / total if total else 1
        if self.tty:
            filled = int(self.width * share)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {share:4.0%} {label:<24}")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(share * 10) != self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(f"demo: {share:4.0%} {label} ({time.monotonic() - self.started:.0f}s)\n")


class Command(BaseCommand):
    help = "Load the demo company with three months of history (does nothing if it exists)."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=200, help="number of items (default 200)")
        parser.add_argument("--days", type=int, default=90, help="days of history (default 90)")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (same seed, same books)")
        parser.add_argument("--company-code", default=demo.DEMO_CODE, help=f"company code (default {demo.DEMO_CODE})")
        parser.add_argument(
            "--password",
            help=f"password of the demo users (default: $JXC_DEMO_PASSWORD, else {demo.DEFAULT_PASSWORD!r})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, items, days, seed, company_code, password, no_progress, **options):
        migrate()
        if demo.demo_exists(company_code):
            self.stdout.write(f"The demo company {company_code} already exists: nothing to do.")
            return
        if items < 10 or items > demo.catalogue_size():
            raise CommandError(f"--items must be between 10 and {demo.catalogue_size()}.")
        if days < 7:
            raise CommandError("--days must be at least 7.")
        password = password or os.environ.get("JXC_DEMO_PASSWORD") or demo.DEFAULT_PASSWORD
        started = time.monotonic()
        progress = None if no_progress else Progress(sys.stderr)
        try:
            result = demo.build_demo(items=items, days=days, seed=seed, password=password, code=company_code,
                                     progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(f"The demo could not be built ({exc.code}): {exc.render_message()}") from None
        elapsed = time.monotonic() - started

        w = self.stdout.write
        w(self.style.SUCCESS(
            f"Demo company {result.company.code} {result.company.name} built in {elapsed:.1f}s: "
            f"{result.items} items, {result.partners} partners, "
            f"{sum(result.documents.values())} documents from {result.first_day} to {result.last_day}."
        ))
        for (kind, status), count in sorted(result.documents.items()):
            if count:
                w(f"  {kind:<18} {status:<10} {count:>5}")
        for kind, count in sorted(result.settlements.items()):
            w(f"  {kind:<18} {'posted':<10} {count:>5}")
        for number, name, status in result.counts:
            w(f"  count {number} {name}: {status}")
        w("")
        w("Demo users (one per role):")
        for username, role, display in result.users:
            w(f"  {username:<20} {role:<12} {display}")
        w(self.style.WARNING(f"Password of every demo user: {result.password}  (demo only: change it for real use)"))
        w(f"Sign in with `jxc serve` running, e.g. as {result.users[1][0]} (manager) to see the demo company.")
        w(f"The store's till {result.till} is registered. To make this browser the second till, open /pos/ and "
          f"register with the one-time code {result.till_code} (valid 7 days).")
        w("")
        report = run_check(result.company.pk)
        for sentence in report.sentences:
            w(sentence)
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        w(self.style.SUCCESS(report.summary()))
