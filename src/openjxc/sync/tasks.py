"""Background tasks of the sync app, run by the huey worker that `jxc serve` starts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openjxc.sync.terminals import check_terminals


@db_periodic_task(crontab(minute="*/5"), name="sync.check_terminals")
def periodic_terminal_check():
    """Every five minutes: raise terminal.silent / terminal.backlog_old for terminals that crossed a threshold."""
    return check_terminals()
