"""The periodic task that fires due reminders and escalations (timers are rows: workflow.models.Timer)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openjxc.workflow.services import fire_due_timers


@db_periodic_task(crontab(minute="*"), name="workflow.fire_timers")
def fire_timers():
    """Every minute: fire the timers that are due. Safe with several workers: each timer is claimed once;
    a timer that fell due while no worker ran fires late and says so."""
    return fire_due_timers()
