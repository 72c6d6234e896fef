"""What an error report (the debug page, the admins' error email) may print of the settings."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretsFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings named like API|TOKEN|KEY|SECRET|PASS…; we also hide every URL, since a
    database, Redis or SMTP URL carries its password (HUEY's "url", say)."""

    hidden_settings = re.compile(r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN", flags=re.I)
