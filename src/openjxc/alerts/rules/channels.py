"""The evaluator that watches this app's own notification channels: those marked failing (clears on recovery)."""

from __future__ import annotations

from decimal import Decimal

from ..models import Channel
from ..rule_models import AlertKind
from . import Finding, Scope


def channel_failing(scope: Scope, params: dict) -> dict[str, Finding]:
    """Notification channels marked failing (consecutive failures or a delivery given up)."""
    out = {}
    for ch in Channel.objects.filter(company_id=scope.company_id, enabled=True, is_failing=True):
        subject = f"channel:{ch.pk}"
        out[subject] = Finding(subject, Decimal(ch.consecutive_failures),
                                     data={"channel": ch.name, "channel_id": ch.pk, "kind": ch.kind,
                                           "error": (ch.last_error or "")[:200]})
    return out


EVALUATORS = {AlertKind.CHANNEL_FAILING: channel_failing}
