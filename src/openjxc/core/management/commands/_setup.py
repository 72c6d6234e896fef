"""Steps shared by `jxc init`, `jxc demo` and `jxc serve`: migrations and static files."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> int:
    """How many migrations are not applied to the default database yet."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def migrate() -> int:
    """Apply pending migrations; return how many were applied."""
    pending = pending_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
    return pending


def static_is_current() -> bool:
    """True when every static file the finders know is in STATIC_ROOT and not older than its source."""
    root = Path(settings.STATIC_ROOT)
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            prefix = getattr(storage, "prefix", None) or ""
            target = root / prefix / path
            try:
                if target.stat().st_mtime < Path(storage.path(path)).stat().st_mtime:
                    return False
            except FileNotFoundError:
                return False
    return True


def collect_static(*, force: bool = False) -> bool:
    """Collect static files into STATIC_ROOT for whitenoise when they are missing or stale."""
    if not force and static_is_current():
        return False
    call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
    return True


def static_needed() -> bool:
    """Whether STATIC_ROOT must be filled: whitenoise reads the finders directly only in DEBUG."""
    return not getattr(settings, "WHITENOISE_USE_FINDERS", settings.DEBUG)
