"""What every benchmark does before it measures: describe the machine, and start Django on a fresh database.

    from _fresh import fresh_database, machine_line, pg_url

`fresh_database(prefix, database_url=None, **env)` makes a temporary data directory, sets the production
settings with a random secret, and creates the database anew: a SQLite file in that directory when
`database_url` is None, or the PostgreSQL database the URL names, dropped (with its connections) and created.
Then `django.setup()` and `migrate`. It returns the data directory (the caller removes it when done).
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(database: str) -> str:
    """The URL of `database` on the server BENCH_PG_ADMIN_URL points at."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def machine_line() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"machine: {os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}"


def fresh_database(prefix: str, database_url: str | None = None, **env: str) -> str:
    data_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1", "JXC_DATA_DIR": data_dir, "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **env,
    })
    if database_url and database_url.startswith("postgres"):
        import psycopg

        base, name = database_url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir
