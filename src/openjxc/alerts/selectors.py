"""Which alerts a user sees (queries only; the engine in engine.py raises and clears them)."""

from __future__ import annotations

from openjxc.stock.access import scoped_warehouse_ids

from .rule_models import Alert, AlertRule, AlertStatus, by_severity


def visible_alerts(user):
    """The user's company's alerts, limited to their warehouses when they are scoped to some."""
    qs = Alert.objects.filter(company_id=user.company_id).select_related("rule", "acknowledged_by")
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(warehouse_id__in=scope) | qs.filter(warehouse__isnull=True)
    return qs


def alerts_for(user):
    """The open alerts `user` receives (named on the rule or holding one of its roles) and may see: their to-do."""
    roles = set(user.roles or [])
    rule_ids = [r.pk for r in AlertRule.objects.filter(company_id=user.company_id, is_active=True)
                .prefetch_related("recipients")
                if roles & set(r.recipient_roles or []) or any(u.pk == user.pk for u in r.recipients.all())]
    return (visible_alerts(user).filter(rule_id__in=rule_ids, status=AlertStatus.OPEN)
            .order_by(by_severity(), "-raised_at", "-id"))
