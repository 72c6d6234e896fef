"""Keep the approvers of active approval steps in step with roles, superiors and warehouse managers.

A step's approvers are StepApprover rows (what the inbox, the permission check and the reports read).
Rows that came from a role, a named user, the requester's superior or the warehouse manager are
re-resolved whenever a user or a warehouse is saved, so a new manager sees documents already waiting
and a former one no longer may decide. decide() re-resolves its step too, for changes made without
save() (queryset updates).
"""

from __future__ import annotations

from django.db.models.signals import post_save

from openjxc.core.models import User
from openjxc.stock.models import Warehouse
from openjxc.workflow.engine import resync_approvers

# a user save that changed none of these cannot change who approves (e.g. last_login on sign-in)
USER_FIELDS = {"roles", "is_active", "superior", "company"}


def _user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or instance.company_id is None:
        return
    if update_fields is not None and not (USER_FIELDS & set(update_fields)):
        return
    resync_approvers(instance.company_id)


def _warehouse_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or created:
        return
    if update_fields is not None and "manager" not in update_fields:
        return
    resync_approvers(instance.company_id, warehouse_id=instance.pk)


def register() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="workflow.user_saved")
    post_save.connect(_warehouse_saved, sender=Warehouse, dispatch_uid="workflow.warehouse_saved")
