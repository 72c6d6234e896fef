"""Background tasks of the reports app, run by the huey worker that `jxc serve` starts."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

from openjxc.reports import cockpit_snapshots
from openjxc.reports.facts.consumer import consume_all
from openjxc.reports.subscription_send import send_due

logger = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 0.5
# [when the consumer was last asked to run now, until when a delayed run is already asked for]
_scheduled = [-DEBOUNCE_SECONDS * 1.0, -1.0]


@db_periodic_task(crontab(minute="*"), name="reports.consume_facts")
def periodic_consume_facts():
    """Every minute: the report facts catch up with the change feed (whatever a lost trigger left behind)."""
    return {code: p.events for code, p in consume_all().items()}


@db_task(name="reports.consume_facts_now")
def consume_facts_now():
    try:
        return {code: p.events for code, p in consume_all().items()}
    except Exception:  # the minute task does it again; never fail anything that scheduled it
        logger.exception("facts consumer failed")
        return None


def soon(*_args) -> None:
    """documents hook: once the posting has committed, have the worker add it to the facts (at most one request
    every DEBOUNCE_SECONDS per process; with an immediate huey — tests — nothing: callers consume explicitly)."""
    if HUEY.immediate:
        return
    transaction.on_commit(_schedule)


def _schedule() -> None:
    """Ask for a run now, or — within DEBOUNCE_SECONDS of the last one — one run at the end of that window (a
    burst of postings is one run; none of them waits for the minute task, which a dropped request would)."""
    now = time.monotonic()
    due = _scheduled[0] + DEBOUNCE_SECONDS
    if now >= due:
        _scheduled[0] = now
        consume_facts_now()
    elif _scheduled[1] < due:
        _scheduled[1] = due
        consume_facts_now.schedule(delay=due - now)


@db_periodic_task(crontab(minute="*"), name="reports.cockpit_snapshots")
def refresh_cockpit_snapshots():
    """Every minute: the cockpit's slow KPIs older than cockpit.SLOW_TTL computed again (cockpit_snapshots.py).
    Seconds on a large company: the worker runs two threads, so the facts consumer is never held behind it."""
    try:
        with HUEY.lock_task("reports.cockpit_snapshots"):  # one at a time, however long one takes
            return cockpit_snapshots.refresh_all()
    except TaskLockedException:
        return None
    except Exception:  # the next minute tries again; the page computes what it lacks meanwhile
        logger.exception("cockpit snapshots failed")
        return None


@db_periodic_task(crontab(minute="*"), name="reports.send_period_reports")
def send_period_reports():
    """Every minute: the weekly / monthly reports that are due (Monday or the 1st, 08:00 company time), each once
    per subscription and period; retries that are due."""
    return send_due()
