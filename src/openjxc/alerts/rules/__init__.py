"""What each alert rule watches: one evaluator per kind, set-based, returning the subjects that are in alert now.

An evaluator reads (never writes) and answers {subject: Finding}. The engine (alerts/engine.py) compares
that with the open alerts of the rule: raises the new ones, re-notifies the worse or cooled-down ones and
closes the ones no longer found. `items` narrows an evaluation to the items an event touched; an evaluator
that can't narrow (time-based kinds) ignores it and the engine then reconciles the whole rule.

This package holds what every evaluator shares (Finding, Scope, the registry, default parameters); the
evaluators live by what they watch: stock.py (levels, lots, movement), costs.py (goods issued at zero cost), sales.py
(slow movers), counts.py, approvals.py, channels.py, terminals.py (the health of sync's terminals). Other apps may
register their own, and with it a `KindSpec` when the kind's parameters are more than numbers (reports' KPI
thresholds): how they are checked, how its alerts read, the fields of its form; such a kind gets no company-wide
default rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from openjxc.catalog.models import Category
from openjxc.core.quantities import ZERO, qty

from ..rule_models import AlertKind

DEFAULT_PARAMS: dict[str, dict] = {
    AlertKind.LOW_STOCK: {},
    AlertKind.NEGATIVE_STOCK: {},
    AlertKind.OVER_MAX: {},
    AlertKind.EXPIRING: {"days": 0},  # 0: the 临期 window that goes with each item's shelf life (expiry_window)
    AlertKind.EXPIRED: {},
    # min_selling_weeks: a slow mover is an item that sold regularly (in at least that many of the baseline
    # weeks); one that sells in lumps now and then is not "slowing down" every quiet week (dead stock catches it)
    AlertKind.SLOW_MOVER: {"drop_pct": 30, "weeks_running": 2, "baseline_weeks": 4, "min_weekly": 1,
                           "min_selling_weeks": 3},
    AlertKind.DEAD_STOCK: {"days": 90},
    AlertKind.COUNT_VARIANCE: {"tolerance_pct": 2},
    AlertKind.APPROVAL_OVERDUE: {},
    AlertKind.TERMINAL: {},
    AlertKind.CHANNEL_FAILING: {},
    AlertKind.ZERO_COST: {},
}

# kinds whose condition changes when stock moves: re-evaluated for the touched items after each posting
STOCK_KINDS = {AlertKind.LOW_STOCK, AlertKind.NEGATIVE_STOCK, AlertKind.OVER_MAX, AlertKind.EXPIRED,
               AlertKind.EXPIRING, AlertKind.DEAD_STOCK, AlertKind.ZERO_COST}


@dataclass
class Finding:
    subject: str
    measure: Decimal  # how bad, larger is worse (shortfall, excess, quantity at risk …)
    data: dict = field(default_factory=dict)
    item_id: int | None = None
    warehouse_id: int | None = None
    lot_id: int | None = None


@dataclass
class Scope:
    """The part of the company a rule looks at, and (for event-driven runs) the items an event touched."""

    company_id: int
    warehouse_id: int | None = None
    category_id: int | None = None
    item_id: int | None = None
    items: set[int] | None = None  # narrowed evaluation; None = every item
    today: dt.date | None = None

    @property
    def narrowed(self) -> bool:
        return self.items is not None

    def item_filter(self, prefix: str = "item") -> Q:
        q = Q()
        if self.item_id:
            q &= Q(**{f"{prefix}_id": self.item_id})
        if self.items is not None:
            q &= Q(**{f"{prefix}_id__in": self.items})
        if self.category_id:
            cat = Category.objects.filter(pk=self.category_id).values_list("path", flat=True).first() or ""
            q &= Q(**{f"{prefix}__category__path__startswith": cat}) if cat else Q(**{f"{prefix}__category_id": self.category_id})
        return q

    def warehouse_filter(self, path: str) -> Q:
        return Q(**{path: self.warehouse_id}) if self.warehouse_id else Q()


def quantity_text(value) -> str:
    """A quantity as a JSON-friendly string without trailing zeros."""
    v = qty(value)
    return format(v.normalize(), "f") if v == v.to_integral() else format(v, "f")


def db_quantity(value) -> Decimal:
    """A database number (SQLite hands sums back as float or int) as an exact quantity."""
    return qty(Decimal(str(value)) if value is not None else ZERO)


Evaluator = Callable[["Scope", dict], dict[str, Finding]]
EVALUATORS: dict[str, Evaluator] = {}


@dataclass(frozen=True)
class KindSpec:
    """What a higher layer supplies for a kind whose parameters are not plain numbers."""

    check: Callable[[int, dict], dict]  # (company id, params) -> the params to store; DomainError when bad
    title: Callable[[dict], str]  # an alert's data -> its one-line description in the active language
    form_fields: Callable[[int], dict]  # company id -> {param: a django form field} for the rules page
    form_help: Callable[[], str] = lambda: ""  # HTML shown under the form's condition (e.g. the KPI formulas)
    defaults: dict = field(default_factory=dict)  # the parameters a new rule's form starts with


SPECS: dict[str, KindSpec] = {}


def register(kind: str, evaluator: Evaluator, spec: KindSpec | None = None) -> None:
    """Supply the evaluator of a kind (this app's modules from AlertsConfig.ready, other apps from theirs)."""
    EVALUATORS[kind] = evaluator
    if spec is not None:
        SPECS[kind] = spec
