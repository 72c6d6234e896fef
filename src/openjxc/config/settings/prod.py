"""Production: loaded with JXC_PRODUCTION=1 (or `jxc serve --host` beyond this machine). `manage.py check --deploy`
is clean with these defaults (tests/config/test_production.py); docs/security.md says how to deploy behind TLS."""

import os

os.environ.setdefault("JXC_PRODUCTION", "1")

from openjxc.config.env import env_bool, env_int  # noqa: E402

from .base import *  # noqa: E402,F401,F403

# cookies only over HTTPS; JXC_INSECURE_COOKIES=1 for a plain-HTTP intranet (then sign-in works over http://)
SESSION_COOKIE_SECURE = not env_bool("JXC_INSECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS only: http:// is redirected (JXC_SSL_REDIRECT=0 when the proxy redirects, or for a plain-HTTP intranet)
SECURE_SSL_REDIRECT = env_bool("JXC_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
# Strict-Transport-Security: browsers use only HTTPS for a year (JXC_HSTS_SECONDS=0 turns it off; it cannot be
# taken back from browsers that saw it, so start with a small value when trying HTTPS out)
SECURE_HSTS_SECONDS = env_int("JXC_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("JXC_HSTS_SUBDOMAINS", default=True)
SESSION_COOKIE_AGE = env_int("JXC_SESSION_HOURS", 12, minimum=1) * 3600  # a sign-in lasts a working day
# the browsers' preload list is a decision for the owner of the whole domain, not a default: JXC_HSTS_PRELOAD=1
SECURE_HSTS_PRELOAD = env_bool("JXC_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405 - from base
