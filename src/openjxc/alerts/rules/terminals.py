"""The evaluator for terminals (AlertKind.TERMINAL): one finding per terminal and problem.

The problems are those of sync's `terminals.health` (silent, backlog_old, clock_skew, refused); the engine
raises, de-duplicates and clears the alerts. (It lives here, not in sync, so that sync never imports alerts.)
"""

from __future__ import annotations

from decimal import Decimal

from openjxc.core import clock
from openjxc.sync import terminals
from openjxc.sync.models import Terminal

from ..rule_models import AlertKind
from . import Finding, Scope


def terminal_findings(scope: Scope, params: dict) -> dict[str, Finding]:
    qs = Terminal.objects.filter(company_id=scope.company_id, revoked_at__isnull=True).select_related("company")
    if getattr(scope, "warehouse_id", None):
        qs = qs.filter(warehouse_id=scope.warehouse_id)
    conf = terminals.terminal_settings(scope.company_id)
    now = clock.now()
    out = {}
    for t in qs:
        for problem in terminals.health(t, now=now, conf=conf):
            measure = {
                "silent": Decimal(int((now - (t.last_contact_at or t.created_at)).total_seconds() // 60)),
                "backlog_old": Decimal(t.backlog_count),
                "clock_skew": Decimal(int(abs(t.clock_skew_seconds or 0))),
                "refused": Decimal(t.refused_count),
            }[problem]
            out[f"terminal:{t.pk}:{problem}"] = Finding(
                subject=f"terminal:{t.pk}:{problem}", measure=measure, warehouse_id=t.warehouse_id,
                data={"terminal": t.code, "problem": str(terminals.PROBLEM_LABELS[problem]), "code": problem},
            )
    return out


EVALUATORS = {AlertKind.TERMINAL: terminal_findings}
