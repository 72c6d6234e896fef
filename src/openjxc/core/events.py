"""Write outbox events and audit records inside the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from openjxc.core import clock
from openjxc.core.instances import new_object
from openjxc.core.models import AuditRecord, Event, User


def record_event(*, company, topic: str, by: User | None = None, obj=None, payload: dict | None = None) -> Event:
    """Append one outbox Event; must run inside the transaction of the change it describes."""
    assert transaction.get_connection().in_atomic_block, "events are written in the change's transaction"
    event = make_event(company=company, topic=topic, by=by, obj=obj, payload=payload)
    event.save(force_insert=True)
    return event


def make_event(*, company, topic: str, by: User | None = None, obj=None, payload: dict | None = None) -> Event:
    """An unsaved Event, for callers that write several at once with bulk_create in their transaction."""
    return new_object(Event, {
        "company_id": company.pk if hasattr(company, "pk") else company,
        "topic": topic,
        "actor_id": by.pk if (by is not None and by.pk) else None,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "payload": payload or {},
        "created_at": clock.now(),
    })


def record_audit(*, company, action: str, obj, by: User | None = None, before=None, after=None) -> AuditRecord:
    """Append one audit record (actor, action, time, before/after) in the caller's transaction."""
    # outside a transaction the change it records would already be saved: refuse loudly instead of half-writing
    assert transaction.get_connection().in_atomic_block, "audit records are written in the change's transaction"
    audit = make_audit(company=company, action=action, obj=obj, by=by, before=before, after=after)
    audit.save(force_insert=True)
    return audit


def make_audit(*, company, action: str, obj, by: User | None = None, before=None, after=None) -> AuditRecord:
    """An unsaved AuditRecord, for bulk writing."""
    return new_object(AuditRecord, {
        "company_id": company.pk if hasattr(company, "pk") else company,
        "actor_id": by.pk if (by is not None and by.pk) else None,
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "before": before,
        "after": after,
        "at": clock.now(),
    })
