"""The alerts engine: evaluate rules, keep one open alert per rule and subject, notify, clear.

Evaluation runs when something relevant happens (postings touch items: `process_events` reads the
outbox after its cursor) and by a periodic scan for the time-based rules (expiry, slow movers, dead
stock …). Each rule is evaluated under its own row lock, so several workers and app servers never
raise the same alert twice (and the partial unique index would refuse it anyway).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Category, Item
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.core.events import record_event
from openjxc.core.models import Company, Role, User
from openjxc.documents.reorder import Selection, create_purchase_orders
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import Location, Warehouse

from . import rules
from .models import Channel
from .notify import matching_channels, notify
from .rule_models import OPEN_STATUSES, Alert, AlertAction, AlertHistory, AlertKind, AlertRule, AlertStatus

# a re-evaluation notifies again when the measure grew by this share since the last notification
WORSE_BY = Decimal("0.2")
# more new alerts than this from one evaluation of one rule go out as one digest, listing the first DIGEST_LINES
DIGEST_OVER = 5
DIGEST_LINES = 20

TITLES = {
    AlertKind.LOW_STOCK: _("Low stock: %(item)s in %(warehouse)s — %(available)s available, safety stock "
                           "%(safety_stock)s; suggested purchase %(suggested)s"),
    AlertKind.NEGATIVE_STOCK: _("Negative stock: %(item)s at %(location)s is %(quantity)s"),
    AlertKind.OVER_MAX: _("Above maximum: %(item)s in %(warehouse)s — %(on_hand)s on hand, maximum %(max_stock)s"),
    AlertKind.EXPIRING: _("Lot %(lot)s of %(item)s in %(warehouse)s expires on %(expires_on)s "
                          "(%(days_left)s days left): %(quantity)s on hand"),
    AlertKind.EXPIRED: _("Expired lot %(lot)s of %(item)s in %(warehouse)s (expired %(expires_on)s): "
                         "%(quantity)s still on hand"),
    AlertKind.SLOW_MOVER: _("Slow mover: %(item)s in %(warehouse)s — sales down %(drop_pct)s%% in the latest week"),
    AlertKind.DEAD_STOCK: _("No movement for %(days)s days: %(item)s in %(warehouse)s, %(on_hand)s on hand "
                            "worth %(value)s"),
    AlertKind.COUNT_VARIANCE: _("Count %(number)s: %(item)s differs by %(difference)s (%(pct)s%%)"),
    AlertKind.APPROVAL_OVERDUE: _("Document %(number)s is overdue for approval at step %(step)s (%(hours)s h)"),
    AlertKind.TERMINAL: _("Terminal %(terminal)s: %(problem)s"),
    AlertKind.CHANNEL_FAILING: _("Notification channel %(channel)s is failing: %(error)s"),
    AlertKind.ZERO_COST: _("Costed at zero: %(item)s in %(warehouse)s — %(quantity)s issued without any cost by "
                           "%(documents)s; give the item a standard cost or purchase price"),
}

DEFAULT_ROLES = {
    AlertKind.LOW_STOCK: [Role.MANAGER, Role.PURCHASER],
    AlertKind.NEGATIVE_STOCK: [Role.MANAGER, Role.KEEPER],
    AlertKind.OVER_MAX: [Role.MANAGER, Role.PURCHASER],
    AlertKind.EXPIRING: [Role.MANAGER, Role.KEEPER],
    AlertKind.EXPIRED: [Role.MANAGER, Role.KEEPER],
    AlertKind.SLOW_MOVER: [Role.MANAGER, Role.SALESPERSON],
    AlertKind.DEAD_STOCK: [Role.MANAGER, Role.PURCHASER],
    AlertKind.COUNT_VARIANCE: [Role.MANAGER, Role.KEEPER],
    AlertKind.APPROVAL_OVERDUE: [Role.MANAGER],
    AlertKind.TERMINAL: [Role.ADMIN, Role.MANAGER],
    AlertKind.CHANNEL_FAILING: [Role.ADMIN],
    AlertKind.ZERO_COST: [Role.MANAGER, Role.FINANCE],
    AlertKind.KPI_THRESHOLD: [Role.MANAGER],
}


def render_title(kind: str, data: dict) -> str:
    """The alert's one-line description in the active language."""
    spec = rules.SPECS.get(kind)
    if spec is not None:
        return spec.title(data)
    text = str(TITLES.get(kind, kind))
    try:
        return text % {k: v for k, v in data.items()}
    except (KeyError, ValueError, TypeError):
        return f"{AlertKind(kind).label if kind in AlertKind.values else kind}"


# --- rules -------------------------------------------------------------------------------------------------


def _check_params(kind: str, params: dict, company_id: int) -> dict:
    spec = rules.SPECS.get(kind)
    if spec is not None:  # a kind a higher layer registered, with parameters of its own (not only numbers)
        return spec.check(company_id, params)
    defaults = rules.DEFAULT_PARAMS.get(kind, {})
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValidationFailed(field="params", reason=_("has unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    out = dict(defaults)
    for key, value in params.items():
        try:
            number = Decimal(str(value))
        except Exception:
            raise ValidationFailed(field=f"params.{key}", reason=_("must be a number")) from None
        if number < 0 or number > 100000:
            raise ValidationFailed(field=f"params.{key}", reason=_("must be between 0 and 100000"))
        out[key] = int(number) if number == number.to_integral() else float(number)
    if kind == AlertKind.SLOW_MOVER and (out["weeks_running"] < 1 or out["baseline_weeks"] < 1):
        raise ValidationFailed(field="params.weeks_running", reason=_("and baseline_weeks must be at least 1"))
    return out


def _scope_refs(company_id: int, warehouse, category, item):
    def get(model, ref, what):
        if ref in (None, ""):
            return None
        pk = getattr(ref, "pk", ref)
        obj = model.objects.filter(company_id=company_id, pk=pk).first()
        if obj is None:
            raise NotFound(what, pk)
        return obj

    return get(Warehouse, warehouse, "warehouse"), get(Category, category, "category"), get(Item, item, "item")


KEEP = object()  # save_rule: leave this part of the scope as it is (None clears it)


def save_rule(*, by, rule: AlertRule | None = None, kind: str | None = None, name: str | None = None,
              is_active: bool | None = None, warehouse=KEEP, category=KEEP, item=KEEP, params: dict | None = None,
              recipient_roles: list | None = None, recipients: list | None = None,
              channels: list | None = None, cooldown_hours: int | None = None) -> AlertRule:
    """Create (rule=None) or change an alert rule; parameters and recipients validated, unknown keys refused."""
    permissions.require(by, "alerts.manage")
    company_id = by.company_id
    if rule is None:
        if kind not in AlertKind.values:
            raise ValidationFailed(field="kind", reason=_("must be one of %(kinds)s") % {"kinds": ", ".join(AlertKind.values)})
        rule = AlertRule(company_id=company_id, kind=kind, recipient_roles=list(DEFAULT_ROLES.get(kind, [])))
    elif rule.company_id != company_id:
        raise NotFound("alert_rule", rule.pk)
    if name is not None:
        if not name.strip():
            raise ValidationFailed(field="name", reason=_("must not be empty"))
        rule.name = name.strip()[:100]
    elif not rule.name:
        rule.name = str(AlertKind(rule.kind).label)
    if is_active is not None:
        rule.is_active = is_active
    if params is not None or rule.pk is None:
        given = params or {}
        if rule.pk is not None and rule.kind in rules.SPECS:
            given = {**(rule.params or {}), **given}  # a change names what changes (the KPI stays the KPI)
        rule.params = _check_params(rule.kind, given, company_id)
        if rule.pk is None and recipient_roles is None and rule.params.get("role") in Role.values:
            rule.recipient_roles = [rule.params["role"]]  # a rule with a responsible role tells that role
    if recipient_roles is not None:
        bad = [r for r in recipient_roles if r not in Role.values]
        if bad:
            raise ValidationFailed(field="recipient_roles", reason=_("has unknown roles: %(keys)s") % {"keys": ", ".join(bad)})
        rule.recipient_roles = list(dict.fromkeys(recipient_roles))
    if cooldown_hours is not None:
        if not 0 <= int(cooldown_hours) <= 24 * 90:
            raise ValidationFailed(field="cooldown_hours", reason=_("must be between 0 and 2160"))
        rule.cooldown_hours = int(cooldown_hours)
    scope = {"warehouse": warehouse, "category": category, "item": item}
    if rule.pk is None:
        scope = {k: (None if v is KEEP else v) for k, v in scope.items()}
    given = {k: v for k, v in scope.items() if v is not KEEP}
    if given:
        refs = dict(zip(("warehouse", "category", "item"),
                        _scope_refs(company_id, *(given.get(k) for k in ("warehouse", "category", "item"))),
                        strict=True))
        for k in given:
            setattr(rule, k, refs[k])
    users = None
    if recipients is not None:
        ids = [getattr(u, "pk", u) for u in recipients]
        users = [u for u in User.objects.filter(company_id=company_id, pk__in=ids, is_active=True)
                 if permissions.is_person(u)]  # a terminal's user receives no alerts
        missing = set(ids) - {u.pk for u in users}
        if missing:
            raise NotFound("user", sorted(missing)[0])
    chosen = None
    if channels is not None:
        ids = [getattr(c, "pk", c) for c in channels]
        chosen = list(Channel.objects.filter(company_id=company_id, pk__in=ids))
        missing = set(ids) - {c.pk for c in chosen}
        if missing:
            raise NotFound("channel", sorted(missing)[0])
    with transaction.atomic():
        rule.save()
        if users is not None:
            rule.recipients.set(users)
        if chosen is not None:
            rule.channels.set(chosen)
        record_event(company=company_id, topic="alert_rule.saved", by=by, obj=rule,
                     payload={"kind": rule.kind, "name": rule.name, "active": rule.is_active})
    return rule


def install_default_rules(company) -> list[AlertRule]:
    """One company-wide rule per kind with its default parameters and recipients (skips kinds already set up, and
    kinds made rule by rule, such as KPI thresholds)."""
    company_id = getattr(company, "pk", company)
    have = set(AlertRule.objects.filter(company_id=company_id).values_list("kind", flat=True))
    made = []
    for kind in AlertKind.values:
        if kind in have or kind in rules.SPECS:
            continue
        made.append(AlertRule.objects.create(company_id=company_id, kind=kind, name=str(AlertKind(kind).label),
                                             params=dict(rules.DEFAULT_PARAMS.get(kind, {})),
                                             recipient_roles=list(DEFAULT_ROLES.get(kind, []))))
    return made


# --- evaluation -------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    raised: list[Alert] = field(default_factory=list)
    renotified: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    still_open: int = 0

    def add(self, other: RunResult) -> None:
        self.raised += other.raised
        self.renotified += other.renotified
        self.cleared += other.cleared
        self.still_open += other.still_open

    def as_dict(self) -> dict:
        return {"raised": len(self.raised), "renotified": len(self.renotified), "cleared": len(self.cleared),
                "open": self.still_open}


NAME_KEYS = ("item", "warehouse", "location")


def _numbers(data: dict) -> dict:
    """An alert's data without the names _names added: what the evaluator itself produced."""
    return {k: v for k, v in data.items() if k not in NAME_KEYS}


def _names(findings, only: set[str] | None = None) -> None:
    """Fill item / warehouse / location names into the findings' data (shown in titles and lists)."""
    if only is not None:
        findings = [f for f in findings if f.subject in only]

    item_ids = {f.item_id for f in findings if f.item_id}
    wh_ids = {f.warehouse_id for f in findings if f.warehouse_id}
    loc_ids = {f.data.get("location_id") for f in findings if f.data.get("location_id")}
    items = {pk: f"{code} {name}" for pk, code, name in Item.objects.filter(pk__in=item_ids).values_list("pk", "code", "name")}
    whs = dict(Warehouse.objects.filter(pk__in=wh_ids).values_list("pk", "name"))
    locs = dict(Location.objects.filter(pk__in=loc_ids).values_list("pk", "name"))
    for f in findings:
        if f.item_id:
            f.data.setdefault("item", items.get(f.item_id, f.item_id))
        if f.warehouse_id:
            f.data.setdefault("warehouse", whs.get(f.warehouse_id, f.warehouse_id))
        if f.data.get("location_id"):
            f.data.setdefault("location", locs.get(f.data["location_id"], f.data["location_id"]))


def _due(alert: Alert, rule: AlertRule, measure: Decimal, now: dt.datetime) -> str | None:
    """Why an open alert should be notified again now, or None."""
    if alert.notified_measure is not None and measure > alert.notified_measure * (1 + WORSE_BY) and measure > 0:
        return AlertAction.WORSENED
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return None  # someone is on it: only getting worse brings it back
    if alert.last_notified_at is None or now - alert.last_notified_at >= dt.timedelta(hours=rule.cooldown_hours):
        return AlertAction.NOTIFIED
    return None


def evaluate_rule(rule: AlertRule, *, items: set[int] | None = None, today: dt.date | None = None) -> RunResult:
    """Evaluate one rule (narrowed to `items` when given) and reconcile its open alerts; notifies after commit."""
    evaluator = rules.EVALUATORS.get(rule.kind)
    result = RunResult()
    if evaluator is None:
        return result
    with transaction.atomic():
        # the rule row is the lock: one evaluation of a rule at a time across workers and servers
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        if not rule.is_active:
            return result
        scope = rules.Scope(rule.company_id, rule.warehouse_id, rule.category_id, rule.item_id, items=items, today=today)
        findings = evaluator(scope, rule.params or {})
        narrowed = items is not None and rule.kind in rules.STOCK_KINDS
        open_alerts = Alert.objects.filter(rule=rule, status__in=OPEN_STATUSES)
        if narrowed:
            open_alerts = open_alerts.filter(item_id__in=items)
        current = {a.subject: a for a in open_alerts.only(
            "id", "subject", "measure", "data", "status", "notified_measure", "last_notified_at", "notify_count",
            "warehouse_id", "item_id", "kind", "rule_id", "company_id")}
        now = clock.now()
        history, to_notify, changed, new = [], [], [], []
        for subject, f in findings.items():
            alert = current.pop(subject, None)
            if alert is None:
                new.append(Alert(
                    company_id=rule.company_id, rule=rule, kind=rule.kind, subject=subject, item_id=f.item_id,
                    warehouse_id=f.warehouse_id, lot_id=f.lot_id, measure=f.measure, data=f.data, raised_at=now,
                    last_seen_at=now))
                continue
            why = _due(alert, rule, f.measure, now)
            if alert.measure != f.measure or _numbers(alert.data) != f.data:
                alert.measure, alert.data, alert.last_seen_at = f.measure, f.data, now
                changed.append(alert)
            if why == AlertAction.WORSENED and alert.status == AlertStatus.ACKNOWLEDGED:
                alert.status = AlertStatus.OPEN  # worse than when it was acknowledged: back on the list
                if alert not in changed:
                    changed.append(alert)
            if why:
                if why == AlertAction.WORSENED:
                    history.append(AlertHistory(alert=alert, at=now, action=AlertAction.WORSENED, detail=f.data))
                result.renotified.append(alert)
                to_notify.append(alert)
        # names (shown in titles) only for what is written: an unchanged alert keeps the ones it has
        _names(list(findings.values()), only={a.subject for a in new} | {a.subject for a in changed})
        if new:
            # _notify below sends them in this same transaction: insert them already marked as notified
            for alert in new:
                alert.last_notified_at, alert.notified_measure, alert.notify_count = now, alert.measure, 1
            Alert.objects.bulk_create(new, batch_size=1000)
            for alert in new:
                history.append(AlertHistory(alert=alert, at=now, action=AlertAction.RAISED, detail=alert.data))
            result.raised = new
            to_notify = new + to_notify
        if changed:
            Alert.objects.bulk_update(changed, ["measure", "data", "last_seen_at", "status"], batch_size=500)
        if current:  # no longer found: the condition cleared
            Alert.objects.filter(pk__in=[a.pk for a in current.values()]).update(status=AlertStatus.CLOSED,
                                                                                 closed_at=now)
            for alert in current.values():
                alert.status, alert.closed_at = AlertStatus.CLOSED, now
                history.append(AlertHistory(alert=alert, at=now, action=AlertAction.CLEARED))
                result.cleared.append(alert)
        if to_notify:
            history += _notify(rule, to_notify, now, marked={id(a) for a in new})
        AlertHistory.objects.bulk_create(history, batch_size=1000)
        if result.raised or result.cleared:
            record_event(company=rule.company_id, topic="alert.changed", obj=rule,
                         payload={"kind": rule.kind, **result.as_dict()})
        result.still_open = Alert.objects.filter(rule=rule, status__in=OPEN_STATUSES).count()
    return result


def recipients_of(rule: AlertRule, warehouse_id: int | None = None) -> list[User]:
    """The rule's named users and the users with its roles, limited to those who may see the warehouse."""
    named = set(rule.recipients.values_list("pk", flat=True))
    roles = set(rule.recipient_roles or [])
    # a company has tens of users, not millions: filter the roles (a JSON list) here on every database
    users = [u for u in User.objects.filter(company_id=rule.company_id, is_active=True).order_by("pk")
             if (u.pk in named or roles & set(u.roles or [])) and permissions.is_person(u)]
    return _can_see(users, warehouse_id)


def _can_see(users: list[User], warehouse_id: int | None) -> list[User]:
    if warehouse_id is None:
        return users
    return [u for u in users if (scope := scoped_warehouse_ids(u)) is None or warehouse_id in scope]


def alert_link(alert: Alert) -> str:
    return reverse("web:alert", args=[alert.pk])


def _notify(rule: AlertRule, alerts: list[Alert], now, marked: set[int] = frozenset()) -> list[AlertHistory]:
    """Send the alerts of one evaluation: one message each, or one digest when there are many.

    `marked` holds the id() of alerts already stored as notified now (the new ones, inserted that way); the
    others are marked here with one UPDATE (their measure column already holds the measure notified)."""
    history = []
    groups: dict[tuple[int, ...], list[Alert]] = {}
    everyone = recipients_of(rule)
    channels = ([c for c in rule.channels.order_by("pk") if c.enabled]
                or matching_channels(rule.company_id, f"alert.{rule.kind}"))
    per_warehouse: dict[int | None, tuple[int, ...]] = {}
    for alert in alerts:
        key = per_warehouse.get(alert.warehouse_id)
        if key is None:
            key = per_warehouse[alert.warehouse_id] = tuple(sorted(
                u.pk for u in _can_see(everyone, alert.warehouse_id)))
        groups.setdefault(key, []).append(alert)
    company = Company.objects.get(pk=rule.company_id)
    for user_ids, members in groups.items():
        people = list(User.objects.filter(pk__in=user_ids))
        # the text is rendered from the data in each reader's language (alerts/messages.py)
        if len(members) > DIGEST_OVER:
            notify(company=company, recipients=people, topic=f"alert.{rule.kind}", channels=channels,
                   link=reverse("web:alerts") + f"?rule={rule.pk}",
                   data={"rule": rule.pk, "rule_name": rule.name, "kind": rule.kind, "count": len(members),
                         "alerts": [a.pk for a in members], "shown": [a.data for a in members[:DIGEST_LINES]]})
        else:
            for a in members:
                notify(company=company, recipients=people, topic=f"alert.{rule.kind}", channels=channels,
                       link=alert_link(a), data={"alert": a.pk, "kind": a.kind, "facts": a.data})
    # where it went: the in-app inbox and the rule's channels (none chosen: every channel carrying its topic)
    where = [{"kind": c.kind, "name": c.name} for c in channels]
    for user_ids, members in groups.items():
        detail = {"recipients": len(user_ids), "digest": len(members) > DIGEST_OVER, "channels": where}
        for a in members:
            if id(a) not in marked:
                a.last_notified_at, a.notified_measure, a.notify_count = now, a.measure, a.notify_count + 1
            history.append(AlertHistory(alert=a, at=now, action=AlertAction.NOTIFIED, detail=detail))
    again = [a.pk for a in alerts if id(a) not in marked]
    for start in range(0, len(again), 500):
        Alert.objects.filter(pk__in=again[start:start + 500]).update(
            last_notified_at=now, notified_measure=F("measure"), notify_count=F("notify_count") + 1)
    return history


def scan_company(company_id: int, *, kinds=None, items: set[int] | None = None,
                 today: dt.date | None = None) -> RunResult:
    """Evaluate the company's active rules (of `kinds`, narrowed to `items` for the stock kinds)."""
    total = RunResult()
    qs = AlertRule.objects.filter(company_id=company_id, is_active=True).order_by("pk")
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    for rule in qs:
        narrowed = items if (items is not None and rule.kind in rules.STOCK_KINDS) else None
        total.add(evaluate_rule(rule, items=narrowed, today=today))
    return total


def scan_all(*, today: dt.date | None = None) -> dict[str, dict]:
    """The periodic scan: every rule of every company (time-based conditions change without any event)."""
    return {c.code: scan_company(c.pk, today=today).as_dict() for c in Company.objects.order_by("pk")}


def acknowledge(alert: Alert | int, *, by, comment: str = "") -> Alert:
    """Someone is on it: the alert stays open (until the condition clears) but is not re-sent unless worse."""
    with transaction.atomic():
        pk = getattr(alert, "pk", alert)
        alert = Alert.objects.select_for_update().filter(pk=pk, company_id=by.company_id).first()
        if alert is None:
            raise NotFound("alert", pk)
        if alert.status != AlertStatus.OPEN:
            raise DomainError("alert.not_open", _("This alert is %(status)s, not open."),
                              status=alert.get_status_display(), http_status=409)
        now = clock.now()
        alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, by
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        AlertHistory.objects.create(alert=alert, at=now, action=AlertAction.ACKNOWLEDGED, by=by,
                                    detail={"comment": comment[:500]})
        record_event(company=alert.company_id, topic="alert.acknowledged", by=by, obj=alert, payload={"kind": alert.kind})
    return alert


def order_for_alert(alert: Alert, *, by, quantity: Decimal | None = None, supplier=None):
    """What to do about a low-stock alert: a draft purchase order for the suggested quantity (or `quantity`)."""
    if alert.kind != AlertKind.LOW_STOCK or alert.item_id is None or alert.warehouse_id is None:
        raise DomainError("alert.no_purchase_order", _("Only a low-stock alert can turn into a purchase order."),
                          http_status=409)
    if quantity is None:
        quantity = Decimal(str(alert.data.get("suggested") or 0))
        if quantity <= 0:  # already on order: nothing left to suggest, but the user may still order more
            quantity = Decimal(str(alert.measure))
    orders = create_purchase_orders(by=by, selections=[
        Selection(item=alert.item_id, warehouse=alert.warehouse_id, quantity=quantity, supplier=supplier)])
    with transaction.atomic():
        AlertHistory.objects.create(alert=alert, at=clock.now(), action=AlertAction.ACKNOWLEDGED, by=by,
                                    detail={"purchase_order": orders[0].number})
        if alert.status == AlertStatus.OPEN:
            alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, clock.now(), by
            alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return orders[0]
