import os

os.environ.setdefault("JXC_PRODUCTION", "1")

from .base import *  # noqa: E402,F401,F403

SESSION_COOKIE_SECURE = os.environ.get("JXC_INSECURE_COOKIES") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("JXC_HSTS_SECONDS", "0"))
