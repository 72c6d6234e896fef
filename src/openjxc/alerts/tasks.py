"""Background tasks of the notifications: send after commit, and a periodic sweep for due deliveries."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from openjxc.alerts.delivery import dispatch_due, send_delivery


@db_task()
def send_deliveries(ids: list[int]):
    """Send the deliveries a notify() just created (queued after its commit)."""
    return [send_delivery(pk) for pk in ids]


@db_periodic_task(crontab(minute="*"), name="alerts.dispatch_due_deliveries")
def dispatch_due_deliveries():
    """Every minute: retries that are due, throttled deliveries whose window has room, anything a worker missed."""
    return dispatch_due()
