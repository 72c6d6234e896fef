"""jxc bi-schema: create or update the PostgreSQL `bi` views (idempotent) and fill the calendar (dim_date)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import connection

from openjxc.bi.dates import default_range, fill_dates
from openjxc.bi.entities import ENTITIES, VERSION
from openjxc.bi.schema import create_schema


class Command(BaseCommand):
    help = "Create or update the BI star schema (PostgreSQL `bi` views) and fill the calendar dim_date."

    def add_arguments(self, parser):
        parser.add_argument("--from-year", type=int, help=f"first year of dim_date (default {default_range()[0].year})")
        parser.add_argument("--to-year", type=int, help="last year of dim_date (default: 5 years ahead)")

    def handle(self, *args, from_year=None, to_year=None, **options):
        start, end = default_range()
        start = dt.date(from_year, 1, 1) if from_year else start
        end = dt.date(to_year, 12, 31) if to_year else end
        added = fill_dates(start, end)
        self.stdout.write(f"dim_date: {start} … {end} ({added} days added)")
        if create_schema():
            self.stdout.write(self.style.SUCCESS(
                f"bi schema version {VERSION}: {len(ENTITIES)} views ({', '.join(ENTITIES)})"))
        else:
            self.stdout.write(f"{connection.vendor}: no `bi` schema (PostgreSQL only); the OData and "
                              f"CSV/XLSX/Parquet feeds read the same {len(ENTITIES)} entities")
