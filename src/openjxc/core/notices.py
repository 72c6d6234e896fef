"""Telling people something, for the apps below alerts (workflow's approvals, …): alerts installs the sender.

    notices.notify(company=doc.company, recipients=[users], topic="workflow.waiting", title=…, body=…,
                   link=…, data={…}, by=user)

runs inside the caller's transaction. The alerts app installs `alerts.notify.notify` at start-up (in-app
notifications, and deliveries through the company's channels after commit); with no sender installed
nothing is sent and an empty list is returned.
"""

from __future__ import annotations

from collections.abc import Callable

_sender: list[Callable] = []


def install(sender: Callable) -> None:
    """Make `sender(company=, recipients=, topic=, title=, body=, link=, data=, by=)` the way to notify."""
    _sender[:] = [sender]


def notify(**message) -> list:
    """Notify the message's recipients through the installed sender; returns what it created."""
    return _sender[0](**message) if _sender else []
