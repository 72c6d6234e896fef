"""Terminal operations held for review, as work in the 待办 inbox (workflow/todo.py's registry) of the managers who
may decide them (sync/review.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openjxc.sync.models import TerminalReview
from openjxc.sync.review import pending_for
from openjxc.workflow.todo import register_work


def describe(row: TerminalReview) -> dict:
    return {"title": f"{row.terminal.code} · {row.type} · {row.business_on:%Y-%m-%d}",
            "subtitle": f"{row.terminal.warehouse.name} · {row.get_reason_display()}",
            "url": reverse("web:terminal_reviews")}


def register() -> None:
    register_work("terminal_reviews", _("Terminal operations to review"), pending_for, describe)
