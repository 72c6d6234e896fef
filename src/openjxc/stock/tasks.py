"""The month-end checkpoints of the balances (stock/checkpoints.py), brought up to date every night."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openjxc.core.models import Company
from openjxc.core.tasks import in_business_zone
from openjxc.stock.checkpoints import refresh


def refresh_all() -> dict[str, dict]:
    """Fold the day's back-dated moves into the checkpoints and write the month ends that have passed."""
    return {company.code: refresh(company) for company in Company.objects.order_by("pk")}


@db_periodic_task(in_business_zone(crontab(hour="2", minute="7")), name="stock.refresh_month_end_balances")
def refresh_month_end_balances():
    """Every night at 02:07 business time (before the ledger check at 02:17)."""
    return refresh_all()
