"""System checks that fail start-up with a clear message when the setup is wrong."""

import sqlite3

from django.conf import settings
from django.core.checks import Error, register


@register()
def sqlite_version_check(app_configs, **kwargs):
    errors = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and sqlite3.sqlite_version_info < (3, 35):
        errors.append(
            Error(
                f"SQLite {sqlite3.sqlite_version} is too old; OpenJXC needs 3.35+ (UPSERT ... RETURNING).",
                id="openjxc.E001",
            )
        )
    return errors
