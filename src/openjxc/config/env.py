"""All configuration read from the environment, in one place.

Every setting the app reads from the environment is parsed and validated here; a bad value
raises `ConfigError` with a message that names the variable and what is wrong, so start-up
fails clearly instead of running with a half-understood setting.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url


class ConfigError(Exception):
    """A setting in the environment is missing or malformed."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def _or_exit(read, *args, **kwargs):
    try:
        return read(*args, **kwargs)
    except ConfigError as exc:  # a settings module: fail start-up clearly, as settings/base.py does
        sys.stderr.write(f"OpenJXC configuration error: {exc}\n")
        raise SystemExit(2) from None


def env_bool(name: str, *, default: bool) -> bool:
    """A yes/no variable for a settings module (a bad value stops start-up naming it)."""
    return _or_exit(_bool, name, default)


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole-number variable for a settings module (a bad value stops start-up naming it)."""
    return _or_exit(_int, name, default, minimum)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def settings_module(argv: list[str] | None = None) -> str:
    """The settings a process loads when DJANGO_SETTINGS_MODULE does not say: production with JXC_PRODUCTION=1, or
    when `jxc serve` listens beyond this machine (--host 0.0.0.0: others can reach it, so it is production);
    development otherwise. Never DEBUG unless JXC_DEBUG=1 (read_env)."""
    production = _bool("JXC_PRODUCTION", default=False)
    args = list(argv or [])
    if not production and args and args[0] == "serve":
        host = "127.0.0.1"
        for n, arg in enumerate(args):
            if arg == "--host" and n + 1 < len(args):
                host = args[n + 1]
            elif arg.startswith("--host="):
                host = arg.split("=", 1)[1]
        production = host not in LOOPBACK_HOSTS
    return "openjxc.config.settings.prod" if production else "openjxc.config.settings.dev"


@dataclass(frozen=True)
class Env:
    base_dir: Path
    data_dir: Path
    debug: bool
    secret_key: str
    database: dict
    database_url: str
    redis_url: str | None
    time_zone: str
    allowed_hosts: list[str]
    language: str
    sqlite_synchronous: str
    huey_immediate: bool
    smtp: dict | None = None
    base_url: str = "http://127.0.0.1:8000"
    idempotency_days: int = 7
    # notification channels may post to these internal hosts/networks (names, addresses, CIDR networks)
    webhook_allow: tuple[frozenset, tuple] = (frozenset(), ())
    login_failures: int = 5  # failed sign-ins before a user name or an address is locked out
    login_lockout_minutes: int = 15
    import_max_unpacked_mb: int = 256  # an uploaded .xlsx may unpack to this much (its zip directory says)
    import_memory_mb: int = 1024  # the child process that parses an upload may take this much (RLIMIT_AS)


def read_env(*, testing: bool = False) -> Env:
    """Parse the process environment into an `Env`; raise ConfigError on any bad value."""
    base_dir = Path(__file__).resolve().parents[3]
    data_dir = Path(os.environ.get("JXC_DATA_DIR") or (base_dir / "var")).resolve()
    debug = _bool("JXC_DEBUG", default=False)  # only when asked for: a debug page shows code and settings

    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key:
        if _bool("JXC_PRODUCTION", default=False):
            raise ConfigError("SECRET_KEY must be set in production (50+ random characters)")
        secret_key = "dev-only-openjxc-secret-key-change-me-in-production-0123456789"
    elif len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short: use at least 32 random characters")

    default_sqlite = data_dir / ("test.sqlite3" if testing else "openjxc.sqlite3")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_sqlite}"
    scheme = urlparse(database_url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL scheme {scheme!r} is not supported: use sqlite:///path or postgresql://user@host/db"
        )
    try:
        database = dj_database_url.parse(database_url, conn_max_age=0)
    except Exception as exc:  # dj_database_url raises several types for malformed URLs
        raise ConfigError(f"DATABASE_URL is malformed: {exc}") from None

    sqlite_synchronous = os.environ.get("JXC_SQLITE_SYNCHRONOUS", "FULL").upper()
    if sqlite_synchronous not in {"FULL", "NORMAL", "EXTRA"}:
        raise ConfigError("JXC_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    pool_size = _int("JXC_DB_POOL", 10)
    if database["ENGINE"].endswith("sqlite3"):
        # Django's SQLite backend plus a pool of connections per process (docs/decisions/0026): under ASGI each
        # request would open a new connection and make its PRAGMAs and together view again
        database["ENGINE"] = "openjxc.core.backends.sqlite3"
        database["OPTIONS"] = {
            # Writers take the write lock at BEGIN, so two writers never deadlock half-way.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                f"PRAGMA synchronous={sqlite_synchronous};"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
            ),
        }
        if pool_size > 0:
            database["OPTIONS"]["pool"] = {"max_idle": pool_size}
    else:
        database.setdefault("OPTIONS", {})
        if pool_size > 0 and importlib.util.find_spec("psycopg_pool") is not None:
            # A connection pool per process (docs/decisions/0014-connection-pool.md): under ASGI every request
            # runs in a new thread, and Django's per-thread persistent connection died with it, so CONN_MAX_AGE
            # opened a new PostgreSQL session (~10 ms) per request. The pool hands the thread a warm one.
            database["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_size,
                                           "timeout": _int("JXC_DB_POOL_TIMEOUT", 30)}
            database["CONN_MAX_AGE"] = 0  # Django returns the connection to the pool when a request ends
        else:
            # keep connections between requests: a new PostgreSQL connection costs ~10 ms per request
            database["CONN_MAX_AGE"] = _int("JXC_DB_CONN_MAX_AGE", 60)
            database["CONN_HEALTH_CHECKS"] = True

    redis_url = os.environ.get("REDIS_URL") or None
    if redis_url and urlparse(redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL={redis_url!r} must start with redis://, rediss:// or unix://")

    time_zone = os.environ.get("JXC_TIME_ZONE", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"JXC_TIME_ZONE={time_zone!r} is not a known time zone (e.g. Asia/Shanghai)") from None

    hosts = [h.strip() for h in os.environ.get("JXC_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")]
    language = os.environ.get("JXC_LANGUAGE", "en")
    if language not in {"zh-hans", "en"}:
        raise ConfigError("JXC_LANGUAGE must be zh-hans or en")

    smtp = _smtp(os.environ.get("JXC_SMTP_URL", ""))
    base_url = (os.environ.get("JXC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    parsed_base = urlparse(base_url)
    if parsed_base.scheme not in {"http", "https"} or not parsed_base.hostname:
        raise ConfigError(f"JXC_BASE_URL={base_url!r} must be the site's address, e.g. https://jxc.example.com")

    return Env(
        base_dir=base_dir,
        data_dir=data_dir,
        debug=debug,
        secret_key=secret_key,
        database=database,
        database_url=database_url,
        redis_url=redis_url,
        time_zone=time_zone,
        allowed_hosts=[h for h in hosts if h],
        language=language,
        sqlite_synchronous=sqlite_synchronous,
        huey_immediate=_bool("JXC_HUEY_IMMEDIATE", default=testing),
        smtp=smtp,
        base_url=base_url,
        idempotency_days=_int("JXC_IDEMPOTENCY_DAYS", 7, minimum=1),
        webhook_allow=_allow_list(os.environ.get("JXC_WEBHOOK_ALLOW_HOSTS", "")),
        login_failures=_int("JXC_LOGIN_FAILURES", 5, minimum=1),
        login_lockout_minutes=_int("JXC_LOGIN_LOCKOUT_MINUTES", 15, minimum=1),
        import_max_unpacked_mb=_int("JXC_IMPORT_MAX_UNPACKED_MB", 256, minimum=1),
        import_memory_mb=_int("JXC_IMPORT_MEMORY_MB", 1024, minimum=64),
    )


_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?)*$")


def _allow_list(raw: str) -> tuple[frozenset, tuple]:
    """JXC_WEBHOOK_ALLOW_HOSTS: comma-separated host names, addresses or networks (10.1.2.0/24) that
    notification channels may reach although they are not on the public internet."""
    names, networks = set(), []
    for entry in (e.strip().lower().rstrip(".") for e in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.match(entry):
            raise ConfigError(f"JXC_WEBHOOK_ALLOW_HOSTS entry {entry!r} is neither a host name, an address nor a "
                              "network (e.g. hooks.intranet, 10.0.0.5, 10.1.2.0/24)")
        names.add(entry)
    return frozenset(names), tuple(networks)


def _smtp(url: str) -> dict | None:
    """JXC_SMTP_URL: smtp://user:pass@host:port?starttls=1&from=noreply@example.com (smtps:// for TLS on
    connect); empty = no email."""
    if not url:
        return None
    from urllib.parse import parse_qs, unquote

    parts = urlparse(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ConfigError("JXC_SMTP_URL must look like smtp://user:password@host:587?starttls=1 (or smtps://)")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ConfigError("JXC_SMTP_URL has a port that is not a number") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "from"}
    if unknown:
        raise ConfigError(f"JXC_SMTP_URL has unknown options {sorted(unknown)}: use starttls=1 and from=address")
    starttls = query.get("starttls", "0").lower()
    if starttls not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ConfigError("JXC_SMTP_URL starttls= must be 1 or 0")
    sender = query.get("from") or f"openjxc@{parts.hostname}"
    if "@" not in sender:
        raise ConfigError(f"JXC_SMTP_URL from={sender!r} is not an email address")
    return {
        "host": parts.hostname,
        "port": port,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "starttls": starttls in {"1", "true", "yes", "on"},
        "ssl": parts.scheme == "smtps",
        "from_address": sender,
    }
