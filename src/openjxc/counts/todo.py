"""The counts waiting for someone, as work in their 待办 inbox (workflow/todo.py): a count to count is the
assignees' (everyone who may manage counts in its warehouse when nobody is assigned); a count in review is
for those who manage counts in its warehouse, who accept it or send lines back."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.counts.models import Count, CountStatus
from openjxc.counts.rules import MANAGERS
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.workflow.todo import register_work


def counts_for(user):
    """Open, counting and reviewed counts `user` should move on."""
    mine = Q(status__in=[CountStatus.OPEN, CountStatus.COUNTING], assignees=user)
    if permissions.allowed(user, "count.manage", roles=MANAGERS):
        mine |= Q(status__in=[CountStatus.OPEN, CountStatus.COUNTING], assignees=None)
        mine |= Q(status=CountStatus.REVIEW)
    qs = Count.objects.filter(mine, company_id=user.company_id)
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(warehouse_id__in=scope)
    return qs.select_related("warehouse").distinct().order_by("due_on", "pk")


def describe(count: Count) -> dict:
    return {"title": f"{count.number} {count.name}".strip(),
            "subtitle": f"{count.warehouse.name} · {count.get_status_display()}"
                        + (f" · {gettext('due')} {count.due_on:%Y-%m-%d}" if count.due_on else ""),
            "url": reverse("web:count", args=[count.pk])}


def register() -> None:
    register_work("counts", _("Counts to finish"), counts_for, describe)
