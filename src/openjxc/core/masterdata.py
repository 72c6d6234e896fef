"""Shared create/update for master data: validate with the model's own rules, audit, event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import Conflict, NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User


def snapshot(obj, fields) -> dict:
    out = {}
    for f in fields:
        v = getattr(obj, f"{f}_id", None) if hasattr(obj, f"{f}_id") else getattr(obj, f, None)
        out[f] = v if isinstance(v, int | bool | type(None)) else str(v)
    return out


def save_master(obj, *, by: User, fields: list[str], action: str, topic: str, before: dict | None = None):
    """Validate `obj` (model field rules and unique keys), save it, and write audit + event rows."""
    permissions.require(by, "masterdata.edit")
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(field=field, reason=" ".join(str(m) for m in messages)) from None
    try:
        with transaction.atomic():
            obj.save()
            record_event(company=obj.company_id, topic=topic, by=by, obj=obj, payload=snapshot(obj, fields))
            record_audit(company=obj.company_id, action=action, obj=obj, by=by, before=before,
                         after=snapshot(obj, fields))
    except IntegrityError:
        raise Conflict(
            f"{obj._meta.model_name}.code_taken", _("Code %(code)s is already in use."), code=getattr(obj, "code", "")
        ) from None
    return obj


def get_for_company(model, company_id, pk, what: str):
    obj = model.objects.filter(company_id=company_id, pk=pk).first()
    if obj is None:
        raise NotFound(what, pk)
    return obj


def apply_changes(obj, changes: dict, allowed: list[str]):
    for key, value in changes.items():
        if key in allowed:
            setattr(obj, key, value)
