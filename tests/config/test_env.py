"""Configuration is read in one place; a bad value stops start-up with a message naming it."""

import os
import subprocess
import sys

import pytest

from openjxc.config.env import ConfigError, read_env


@pytest.fixture
def env(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "JXC_TIME_ZONE", "JXC_PRODUCTION", "JXC_DEBUG",
                 "JXC_LANGUAGE", "JXC_SQLITE_SYNCHRONOUS", "JXC_DB_POOL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_embedded_sqlite(env, tmp_path):
    env.setenv("JXC_DATA_DIR", str(tmp_path))
    e = read_env()
    assert e.database["ENGINE"].endswith("sqlite3")
    assert e.database["NAME"] == str(tmp_path / "openjxc.sqlite3")
    assert e.database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in e.database["OPTIONS"]["init_command"]
    assert e.time_zone == "Asia/Shanghai"
    assert e.redis_url is None
    # decision 0026: a server process reuses its SQLite connections (our backend: Django's plus a pool)
    assert e.database["ENGINE"] == "openjxc.core.backends.sqlite3"
    assert e.database["OPTIONS"]["pool"] == {"max_idle": 10}


def test_sqlite_pool_can_be_switched_off(env, tmp_path):
    env.setenv("JXC_DATA_DIR", str(tmp_path))
    env.setenv("JXC_DB_POOL", "0")
    assert "pool" not in read_env().database["OPTIONS"]


def test_postgres_url_is_parsed(env):
    env.setenv("DATABASE_URL", "postgresql://jxc:secret@db.example:6543/books")
    e = read_env()
    assert e.database["ENGINE"] == "django.db.backends.postgresql"
    assert (e.database["HOST"], e.database["PORT"], e.database["NAME"]) == ("db.example", 6543, "books")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL scheme 'mysql'"),
        ("JXC_TIME_ZONE", "Mars/Olympus", "JXC_TIME_ZONE='Mars/Olympus'"),
        ("REDIS_URL", "http://localhost:6379", "REDIS_URL"),
        ("SECRET_KEY", "short", "SECRET_KEY is too short"),
        ("JXC_DEBUG", "maybe", "JXC_DEBUG='maybe' is not a boolean"),
        ("JXC_LANGUAGE", "fr", "JXC_LANGUAGE"),
        ("JXC_SQLITE_SYNCHRONOUS", "OFF", "JXC_SQLITE_SYNCHRONOUS"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env, name, value, fragment):
    env.setenv(name, value)
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        read_env()


def test_production_requires_a_secret_key(env):
    env.setenv("JXC_PRODUCTION", "1")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        read_env()


def test_start_up_fails_clearly_on_a_bad_value(tmp_path):
    """The real process: Django refuses to start and prints the variable, exit code 2, no traceback."""
    environ = {**os.environ, "JXC_TIME_ZONE": "Nowhere/Land", "JXC_DATA_DIR": str(tmp_path),
               "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.dev"}
    environ.pop("JXC_TESTING", None)
    proc = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=environ,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "OpenJXC configuration error: JXC_TIME_ZONE='Nowhere/Land'" in proc.stderr
    assert "Traceback" not in proc.stderr
