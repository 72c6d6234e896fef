"""jxc consume-facts: bring the report facts up to the change feed now (what the worker does every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from openjxc.reports.facts.consumer import BATCH, consume
from openjxc.reports.management.commands._companies import companies


class Command(BaseCommand):
    help = "Add the changes the feed holds to the report facts (one transaction per batch of events)."

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="CODE", help="one company only (default: all)")
        parser.add_argument("--batch", type=int, default=BATCH, help=f"events per transaction (default {BATCH})")
        parser.add_argument("--verbose-batches", action="store_true", help="a line after each committed batch")

    def handle(self, *args, company=None, batch=BATCH, verbose_batches=False, **options):
        for c in companies(company):
            def told(p, code=c.code):
                self.stdout.write(f"{code} batch {p.batches} committed: {p.events} events")
                self.stdout.flush()

            p = consume(c, limit=batch, on_batch=told if verbose_batches else None)
            self.stdout.write(self.style.SUCCESS(
                f"{c.code}: {p.events:,} events in {p.batches} batch(es), {p.rows:,} fact rows"
                + (" (rebuilt first)" if p.rebuilt else "")))
