"""jxc restore: replace the database's content with a backup made by `jxc backup`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.management.commands import _backup
from openjxc.core.management.commands._setup import migrate


class Command(BaseCommand):
    help = "Restore the database from a backup (refuses to overwrite data without --yes)."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="a file written by `jxc backup`")
        parser.add_argument("--yes", action="store_true", help="overwrite a database that already holds data")

    def handle(self, *args, path, yes=False, **options):
        source = Path(path).expanduser().resolve()
        if not source.is_file():
            raise CommandError(f"No backup file at {source}.")
        if not yes and not _backup.is_empty():
            raise CommandError(
                "The target database already holds data; restoring replaces all of it. "
                "Run again with --yes to confirm (take a `jxc backup` first if unsure)."
            )
        if _backup.is_sqlite():
            _backup.restore_sqlite(source)
        else:
            _backup.restore_postgres(source)
        applied = migrate()  # a backup from an older version is brought up to this one
        note = f", then applied {applied} migration(s)" if applied else ""
        self.stdout.write(self.style.SUCCESS(f"restored from {source}{note}"))
