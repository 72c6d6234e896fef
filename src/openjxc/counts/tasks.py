"""The count schedule: every morning, the counts of the plans that are due are created and assigned."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openjxc.core.tasks import in_business_zone
from openjxc.counts.plans import create_due_counts


@db_periodic_task(in_business_zone(crontab(hour="6", minute="5")), name="counts.create_due_counts")
def create_due_counts_task():
    """Every day at 06:05 business time: create the counts of the plans that are due."""
    return [c.number for c in create_due_counts()]
