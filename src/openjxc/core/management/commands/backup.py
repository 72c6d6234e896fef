"""jxc backup: a consistent copy of the whole database, taken while the app runs."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from openjxc.core.management.commands import _backup


class Command(BaseCommand):
    help = "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump -Fc)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="PATH",
                            help="file to write (default JXC_DATA_DIR/backups/openjxc-<time>.sqlite3 or .dump)")

    def handle(self, *args, output=None, **options):
        if output:
            path = Path(output).expanduser().resolve()
        else:
            path = Path(settings.DATA_DIR) / "backups" / _backup.default_name()
        if "django_migrations" not in connection.introspection.table_names():
            raise CommandError("The database is empty: nothing to back up (run `jxc init` first).")
        path.parent.mkdir(parents=True, exist_ok=True)
        # a backup holds every company's books, password hashes and channel secrets: readable by this user only
        # (the umask covers the file as it is written, by us or by pg_dump; docs/security.md "Backups")
        previous = os.umask(0o077)
        try:
            if _backup.is_sqlite():
                _backup.backup_sqlite(path)
            else:
                _backup.backup_postgres(path)
        finally:
            os.umask(previous)
        path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"backup written: {path} ({path.stat().st_size} bytes)"))
