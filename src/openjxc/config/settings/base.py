"""Settings shared by every environment. Values that vary come from `config.env`."""

from __future__ import annotations

import os
import sys

from csp.constants import NONCE, NONE, SELF

from openjxc.config.env import ConfigError, read_env
from openjxc.core.i18n import catalogue_dir

TESTING = os.environ.get("JXC_TESTING") == "1"
try:
    # lowercase and private: not a setting, so no debug page or error report ever prints it (it holds every secret)
    _env = read_env(testing=TESTING)
except ConfigError as exc:  # fail start-up clearly: the message names the variable
    sys.stderr.write(f"OpenJXC configuration error: {exc}\n")
    raise SystemExit(2) from None

BASE_DIR = _env.base_dir
DATA_DIR = _env.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = _env.secret_key
DEBUG = _env.debug
ALLOWED_HOSTS = _env.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "csp",
    "axes",  # sign-in throttling and lockout (by user name and by address): docs/security.md
    "openjxc.core",
    "openjxc.catalog",
    "openjxc.partners",
    "openjxc.stock",
    "openjxc.documents",
    "openjxc.finance",
    "openjxc.workflow",
    "openjxc.alerts",
    "openjxc.counts",
    "openjxc.sync",
    "openjxc.reports",
    "openjxc.bi",
    "openjxc.printing",
    "openjxc.web",
    "openjxc.presets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openjxc.core.middleware.ApiErrorMiddleware",  # /api/: 413 and 500 as {code, message, data} too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openjxc.core.tokens.ApiTokenMiddleware",
    "openjxc.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openjxc.core.idempotency.IdempotencyMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into the lockout page (429)
]

ROOT_URLCONF = "openjxc.config.urls"
ASGI_APPLICATION = "openjxc.config.asgi.application"
WSGI_APPLICATION = "openjxc.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openjxc.web.context.navigation",
            ],
        },
    },
]

DATABASES = {"default": _env.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# django-axes first: it refuses an attempt while the user name or the address is locked out, and counts failures
# user names are unique per company, not globally (core/models.py User): the backend signs in by company + name
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "openjxc.core.auth.PeopleBackend",  # Django's model backend, refusing terminals' own users
]
# After JXC_LOGIN_FAILURES failed sign-ins (or wrong current passwords on the password page) a user name, and
# separately an address, is locked out for JXC_LOGIN_LOCKOUT_MINUTES; a success resets the user's count.
AXES_FAILURE_LIMIT = _env.login_failures
AXES_COOLOFF_TIME = _env.login_lockout_minutes / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "openjxc.web.account.locked_out"
AXES_USERNAME_CALLABLE = "openjxc.core.auth.lockout_name"  # company code / user name: names are per company
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# the address is REMOTE_ADDR; behind a reverse proxy uvicorn sets it from X-Forwarded-For for the proxies named in
# --forwarded-allow-ips (docs/security.md, "Behind TLS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = _env.language
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# the package's catalogues, compiled at start if missing or stale (any install speaks Chinese: core/i18n.py)
LOCALE_PATHS = [catalogue_dir(DATA_DIR)]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # timestamps are stored and handled in UTC
JXC_TIME_ZONE = _env.time_zone  # business dates are in the company's zone (Company.time_zone)
JXC_SMTP = _env.smtp  # outgoing email for the notification channels; None = not configured
JXC_BASE_URL = _env.base_url  # absolute links in notifications sent outside the app
JXC_WEBHOOK_ALLOW = _env.webhook_allow  # internal hosts/networks channels may post to (docs/security.md)
JXC_IMPORT_MAX_UNPACKED_MB = _env.import_max_unpacked_mb  # decompression bombs: web/excel.py check_upload
JXC_IMPORT_MEMORY_MB = _env.import_memory_mb  # the import worker parses in a child capped at this: web/sheet_reader.py
JXC_IDEMPOTENCY_DAYS = _env.idempotency_days  # Idempotency-Key answers are kept this long, then purged

STATIC_URL = "/static/"
# front-end libraries come from npm (package.json + lockfile), served by whitenoise: no CDN
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    # camera scanning where the browser has no BarcodeDetector: the polyfill and its .wasm, from our own URL
    ("vendor/barcode-detector", BASE_DIR / "node_modules" / "barcode-detector" / "dist" / "iife"),
    ("vendor/zxing-wasm", BASE_DIR / "node_modules" / "zxing-wasm" / "dist" / "reader"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules" / "swagger-ui-dist"),  # /api/docs (config/api.py)
]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request while it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Content-Security-Policy (django-csp): scripts only from our own static files, or inline with the request's nonce
# (`<script nonce="{{ request.csp_nonce }}">`); no inline event handlers (app.js: data-print, data-confirm,
# data-autosubmit). Styles may be inline (style attributes, ECharts and htmx set them). 'wasm-unsafe-eval': the
# barcode scanner's zxing-wasm. Proven in tests/e2e/test_csp.py: the charts and the till run with no violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, "'wasm-unsafe-eval'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# error reports hide every setting that may carry a secret (URLs too: config/reporting.py)
DEFAULT_EXCEPTION_REPORTER_FILTER = "openjxc.config.reporting.SecretsFilter"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# two worker threads: a long task (the cockpit's stock-health KPIs, a report) never holds the facts consumer back;
# an idle worker asks a queue that cannot block (SQLite) at least every 0.2 s (huey's default backs off to 10 s,
# which a live cockpit waits for: the facts consumer runs from this queue)
HUEY_CONSUMER = {"workers": 2, "worker_type": "thread", "initial_delay": 0.05, "backoff": 1.5, "max_delay": 0.2}
if _env.redis_url:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "openjxc",
        "url": _env.redis_url,
        "immediate": _env.huey_immediate,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "openjxc",
        # its own file, so the queue never contends with business writes
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": _env.huey_immediate,
        "consumer": HUEY_CONSUMER,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"openjxc": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50
