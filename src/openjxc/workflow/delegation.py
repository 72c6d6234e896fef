"""Delegation: out of office from–to, someone else decides one's approvals meanwhile."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import Conflict, NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User
from openjxc.core.permissions import company_id_of, is_person
from openjxc.workflow.flows import require_manage
from openjxc.workflow.models import Delegation


@transaction.atomic
def create_delegation(*, by, delegate, starts_at: dt.datetime, ends_at: dt.datetime, note: str = "",
                      user=None) -> Delegation:
    """Out of office from–to: `delegate` may decide `user`'s (default: by's) approvals meanwhile."""
    company_id = company_id_of(by)
    principal = by if user is None else _user(company_id, user, "user")
    if principal.pk != by.pk:
        require_manage(by)
    deputy = _user(company_id, delegate, "delegate")
    if deputy.pk == principal.pk:
        raise ValidationFailed(field="delegate", reason=_("must be someone else"))
    if starts_at is None or ends_at is None:
        raise ValidationFailed(field="starts_at", reason=_("and ends_at are required"))
    # a time without a zone is read in the company's time zone (business time)
    tz = zoneinfo.ZoneInfo(by.company.time_zone or "Asia/Shanghai")
    starts_at, ends_at = (t if t.tzinfo else t.replace(tzinfo=tz) for t in (starts_at, ends_at))
    if ends_at <= starts_at:
        raise ValidationFailed(field="ends_at", reason=_("must be after the start"))
    if Delegation.objects.filter(company_id=company_id, user=principal, cancelled_at=None, starts_at__lt=ends_at,
                                 ends_at__gt=starts_at).exists():
        raise Conflict("workflow.delegation_overlap",
                       _("%(user)s already has a delegation in that period; cancel it first."), user=str(principal))
    now = clock.now()
    d = Delegation.objects.create(company_id=company_id, user=principal, delegate=deputy, starts_at=starts_at,
                                  ends_at=ends_at, note=(note or "")[:200], created_at=now)
    payload = {"user": principal.pk, "delegate": deputy.pk, "starts_at": starts_at.isoformat(),
               "ends_at": ends_at.isoformat()}
    record_event(company=company_id, topic="workflow.delegation_created", by=by, obj=d, payload=payload)
    record_audit(company=company_id, action="create", obj=d, by=by, after=payload)
    return d


@transaction.atomic
def cancel_delegation(delegation: Delegation | int, *, by) -> Delegation:
    """End a delegation now (its owner or a manager)."""
    company_id = company_id_of(by)
    pk = delegation.pk if isinstance(delegation, Delegation) else delegation
    d = Delegation.objects.select_for_update().filter(company_id=company_id, pk=pk).first()
    if d is None:
        raise NotFound("delegation", pk)
    if d.user_id != by.pk:
        require_manage(by)
    if d.cancelled_at is None:
        d.cancelled_at = clock.now()
        d.save(update_fields=["cancelled_at"])
        record_event(company=company_id, topic="workflow.delegation_cancelled", by=by, obj=d, payload={"id": d.pk})
        record_audit(company=company_id, action="cancel", obj=d, by=by, after={"cancelled_at": str(d.cancelled_at)})
    return d


def _user(company_id: int, ref, field: str) -> User:
    pk = ref.pk if isinstance(ref, User) else ref
    u = User.objects.filter(company_id=company_id, pk=pk, is_active=True).first() if isinstance(pk, int) else None
    if u is None or not is_person(u):  # a terminal's user never stands in for anyone
        raise ValidationFailed(field=field, reason=_("is not an active user of this company"))
    return u

