"""Background tasks of the core, run by the huey worker that `jxc serve` starts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from openjxc.core.events import record_event
from openjxc.core.idempotency import purge_idempotency_records
from openjxc.core.models import Company


def in_business_zone(schedule):
    """A huey schedule read in the business time zone (JXC_TIME_ZONE) instead of the worker's UTC clock."""
    tz = zoneinfo.ZoneInfo(settings.JXC_TIME_ZONE)

    def validate(timestamp: dt.datetime) -> bool:
        if timestamp.tzinfo is None:  # huey hands naive times: UTC when HUEY.utc, else the host's local time
            timestamp = timestamp.replace(tzinfo=dt.UTC) if HUEY.utc else timestamp.astimezone()
        return schedule(timestamp.astimezone(tz).replace(tzinfo=None))

    return validate


def check_ledgers() -> dict[str, dict]:
    """Check every company's stock and partner ledgers and the registered books (core/ledger_checks.py); record one
    "ledger.checked" event per company with the problems (`problems`: stock ledger, `partner_problems`: 应收/应付,
    `<name>_problems` for each registered check, e.g. `facts_problems`; `ok` only when all are empty)."""
    from openjxc.core.ledger_checks import run_checks
    from openjxc.core.management.commands._ledger import run_check

    out = {}
    for company in Company.objects.order_by("pk"):
        report = run_check(company.pk)
        payload = report.as_payload()
        for name, problems in run_checks(company.pk).items():  # other apps' books: partner ledger, report facts
            payload[f"{name}_problems"] = [{"code": p.code, "detail": p.detail} for p in problems]
            payload["ok"] = payload["ok"] and not problems
        with transaction.atomic():
            record_event(company=company, topic="ledger.checked", payload=payload)
        out[company.code] = payload
    return out


@db_periodic_task(in_business_zone(crontab(hour="2", minute="17")), name="core.nightly_ledger_check")
def nightly_ledger_check():
    """Every night at 02:17 business time: the ledger check, its result written to the outbox."""
    return check_ledgers()


@db_periodic_task(crontab(minute="41"), name="core.purge_idempotency_records")
def purge_idempotency():
    """Every hour: forget Idempotency-Key answers older than JXC_IDEMPOTENCY_DAYS (default 7)."""
    return purge_idempotency_records()
