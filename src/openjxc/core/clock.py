"""The one clock the services read, so tests can move time without patching the stdlib."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return _frozen or timezone.now()


def today(tz_name: str | None = None) -> dt.date:
    """Today's business date in the given (company) time zone."""
    tz = zoneinfo.ZoneInfo(tz_name or settings.JXC_TIME_ZONE)
    return now().astimezone(tz).date()


def frozen_at() -> dt.datetime | None:
    """The time the clock is frozen at, or None when it runs (a replay puts it back when done)."""
    return _frozen


def freeze(at: dt.datetime | None) -> None:
    """Set (or with None, release) the clock; for tests and replays only."""
    global _frozen
    _frozen = at
