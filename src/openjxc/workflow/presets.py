"""Approval presets a company installs when it is set up for real (`jxc demo`, an administrator via the API).

They are ordinary flows afterwards: editable, versioned. Installing twice changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.models import Role
from openjxc.documents.kinds import KINDS
from openjxc.workflow.models import Flow
from openjxc.workflow.services import create_flow, require_manage

ADJUSTMENT_KINDS = ("write_off", "gain", "stock_count")
DEFAULT_THRESHOLD = Decimal("10000")


def _adjustment_steps() -> list[dict]:
    # 进销存 practice: a stock adjustment is checked by the warehouse side, then by finance / the owner
    return [
        {"name": gettext("Warehouse manager review"), "mode": "any",
         "approvers": [{"type": "warehouse_manager"}, {"type": "role", "role": Role.MANAGER.value}],
         "time_limit_hours": "8", "reminders": [-60, 0, 120],
         "escalation": {"rule": "superior", "after_minutes": 240}},
        {"name": gettext("Finance / general manager sign-off"), "mode": "any",
         "approvers": [{"type": "role", "role": Role.FINANCE.value}, {"type": "role", "role": Role.ADMIN.value}],
         "time_limit_hours": "16", "reminders": [0, 240]},
    ]


def _purchase_order_steps(threshold: Decimal) -> list[dict]:
    return [
        {"name": gettext("General manager approval (over %(threshold)s)") % {"threshold": threshold},
         "mode": "any", "approvers": [{"type": "role", "role": Role.MANAGER.value}],
         "condition": {"field": "amount", "op": ">", "value": str(threshold)},
         "time_limit_hours": "8", "reminders": [-120, 0, 240],
         "escalation": {"rule": "superior", "after_minutes": 480}},
    ]


PRESETS = {
    "stock_adjustments": _("Stock adjustments (write-off, gain, count): two levels"),
    "purchase_order_threshold": _("Purchase orders over a threshold: the general manager"),
}


@transaction.atomic
def install_preset(name: str, *, by, threshold=None) -> list[Flow]:
    """Install one preset's flows for `by`'s company (those already installed are left as they are)."""
    require_manage(by)
    if name not in PRESETS:
        raise NotFound("preset", name)
    existing = {f.preset + ":" + f.kind: f for f in Flow.objects.filter(company_id=by.company_id).exclude(preset="")}
    flows = []
    if name == "stock_adjustments":
        for kind in ADJUSTMENT_KINDS:
            if kind not in KINDS:
                continue
            found = existing.get(f"{name}:{kind}")
            flows.append(found or create_flow(
                by=by, name=gettext("%(kind)s approval") % {"kind": KINDS[kind].label}, kind=kind,
                steps=_adjustment_steps(), preset=name, note=str(PRESETS[name])))
    else:
        try:
            limit = Decimal(str(threshold)) if threshold not in (None, "") else DEFAULT_THRESHOLD
        except ArithmeticError:
            raise ValidationFailed(field="threshold", reason=_("is not a number")) from None
        if not limit.is_finite() or limit <= 0:
            raise ValidationFailed(field="threshold", reason=_("must be greater than zero"))
        found = existing.get(f"{name}:purchase_order")
        flows.append(found or create_flow(
            by=by, name=gettext("Purchase order approval"), kind="purchase_order",
            steps=_purchase_order_steps(limit), preset=name, note=str(PRESETS[name])))
    return flows


def install_default_presets(*, by) -> list[Flow]:
    """Every preset, with its default settings: what a company set up for real starts with."""
    return [f for name in PRESETS for f in install_preset(name, by=by)]
