"""Install a preset into the acting administrator's company: idempotent, atomic, audited.

What the company already has is left as it is: a flow of the same group and kind (or, outside a group, of the
same name), an alert rule of the same kind and scope (and name, when the file has several such rules), a
setting that already has the file's value. Installing twice changes nothing and writes nothing. Everything
else goes through the owning services (workflow.create_flow, alerts.save_rule, the settings' setters), which
check it and write their own events and audit records; the install adds one audit record and one event that
say which preset was installed and what it added.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.alerts.engine import save_rule
from openjxc.alerts.models import Channel
from openjxc.alerts.rule_models import AlertRule
from openjxc.catalog.models import Category, Item
from openjxc.core import permissions
from openjxc.core.errors import NOUNS, DomainError, NotFound
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, User
from openjxc.stock.models import Warehouse
from openjxc.workflow.models import Flow
from openjxc.workflow.services import create_flow, require_manage, update_flow

from . import company_settings
from .format import FlowSpec, PresetFile, RuleSpec, builtin_names, check_parameters, load, substitute, text


@dataclass
class Installed:
    preset: str
    version: int
    flows: list[Flow] = field(default_factory=list)  # added now
    rules: list[AlertRule] = field(default_factory=list)  # added now
    settings: dict = field(default_factory=dict)  # changed now
    kept_flows: int = 0  # already there
    kept_rules: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.flows or self.rules or self.settings)


class UnknownReference(DomainError):
    code = "preset.unknown_reference"
    http_status = 422
    message = _("The preset names %(what)s %(name)s, which this company does not have.")

    def __init__(self, what: str, name: str):
        super().__init__(what=what, name=name)
        self.display = {"what": NOUNS.get(what) or _("notification channel")}


class Refs:
    """Names in the file (usernames, codes) → rows of the company; a missing one refuses the install."""

    def __init__(self, company_id: int):
        self.company_id = company_id

    def _get(self, model, what: str, **lookup):
        obj = model.objects.filter(company_id=self.company_id, **lookup).first()
        if obj is None:
            raise UnknownReference(what, next(iter(lookup.values())))
        return obj

    def user(self, username: str) -> int:
        return self._get(User, "user", username=username, is_active=True).pk

    def warehouse(self, code: str | None):
        return None if code is None else self._get(Warehouse, "warehouse", code=code)

    def category(self, code: str | None):
        return None if code is None else self._get(Category, "category", code=code)

    def item(self, code: str | None):
        return None if code is None else self._get(Item, "item", code=code)

    def channel(self, name: str):
        return self._get(Channel, "channel", name=name)


def flow_key(group: str, kind: str, name: str) -> tuple:
    return ("group", group, kind) if group else ("name", name)


def _steps(spec: FlowSpec, parameters: dict, refs: Refs, language: str | None) -> list[dict]:
    """The file's steps as workflow.check_steps takes them: texts in one language, people by id."""
    out = []
    for raw in substitute(spec.steps, parameters):
        step = dict(raw)
        step["name"] = text(step.get("name") or "", language)
        approvers = []
        for a in step.get("approvers") or []:
            if isinstance(a, dict) and a.get("type") == "user" and "username" in a:
                a = {"type": "user", "user": refs.user(a["username"])}
            approvers.append(a)
        step["approvers"] = approvers
        esc = step.get("escalation")
        if isinstance(esc, dict) and "deputy_username" in esc:
            esc = {k: v for k, v in esc.items() if k != "deputy_username"}
            esc["deputy"] = refs.user(raw["escalation"]["deputy_username"])
            step["escalation"] = esc
        out.append(step)
    return out


def install_flows(preset: PresetFile, *, by, groups: set[str] | None = None, parameters: dict | None = None,
                  language: str | None = None) -> tuple[list[Flow], int]:
    """The preset's flows the company lacks (only `groups`, when given); returns (added, already there)."""
    company_id = by.company_id
    have = {flow_key(f.preset, f.kind, f.name) for f in Flow.objects.filter(company_id=company_id)}
    refs = Refs(company_id)
    added, kept = [], 0
    for spec in preset.flows:
        if groups is not None and spec.group not in groups:
            continue
        name = text(spec.name, language)
        key = flow_key(spec.group, spec.kind, name)
        if key in have:
            kept += 1
            continue
        group = preset.flow_groups.get(spec.group)
        values = check_parameters(spec.group, group.parameters if group else {}, (parameters or {}).get(spec.group))
        note = text(spec.note, language) if spec.note is not None else text(group.title, language) if group else ""
        flow = create_flow(by=by, name=name, kind=spec.kind, steps=_steps(spec, values, refs, language),
                           warehouses=[refs.warehouse(code).pk for code in spec.warehouses],
                           priority=spec.priority, note=note, preset=spec.group)
        if not spec.active:
            flow = update_flow(flow, by=by, is_active=False)
        have.add(key)
        added.append(flow)
    return added, kept


def _rule_scope(rule: AlertRule) -> tuple:
    return rule.kind, rule.warehouse_id, rule.category_id, rule.item_id


def install_rules(preset: PresetFile, *, by, language: str | None = None) -> tuple[list[AlertRule], int]:
    """The preset's alert rules the company lacks; returns (added, already there)."""
    company_id = by.company_id
    refs = Refs(company_id)
    existing = list(AlertRule.objects.filter(company_id=company_id))
    resolved = []
    for spec in preset.alert_rules:
        wh, cat, item = refs.warehouse(spec.warehouse), refs.category(spec.category), refs.item(spec.item)
        scope = (spec.kind, getattr(wh, "pk", None), getattr(cat, "pk", None), getattr(item, "pk", None))
        resolved.append((spec, scope, wh, cat, item))
    several = Counter(scope for _s, scope, *_ in resolved)
    added, kept = [], 0
    for spec, scope, wh, cat, item in resolved:
        name = text(spec.name, language)
        same = [r for r in existing if _rule_scope(r) == scope and (several[scope] == 1 or r.name == name)]
        if same:
            kept += 1
            continue
        rule = _save_rule(spec, by=by, name=name, warehouse=wh, category=cat, item=item, refs=refs)
        existing.append(rule)
        added.append(rule)
    return added, kept


def _save_rule(spec: RuleSpec, *, by, name: str, warehouse, category, item, refs: Refs) -> AlertRule:
    return save_rule(by=by, kind=spec.kind, name=name, is_active=spec.active, warehouse=warehouse,
                     category=category, item=item, params=dict(spec.params),
                     recipient_roles=list(spec.recipient_roles),
                     recipients=[refs.user(u) for u in spec.recipients],
                     channels=[refs.channel(c) for c in spec.channels], cooldown_hours=spec.cooldown_hours)


@transaction.atomic
def install_preset(preset: PresetFile, *, by, language: str | None = None,
                   parameters: dict | None = None) -> Installed:
    """Give `by`'s company what the preset holds and it lacks (settings, approval flows, alert rules).

    All or nothing: a refused part (a setting the company can no longer take, a name it does not have)
    refuses the whole install. `parameters` fills flow groups' parameters ({group: {name: value}}).
    """
    permissions.require(by, "company.setup")
    company = Company.objects.select_for_update().get(pk=by.company_id)
    settings = company_settings.check(preset.settings)
    result = Installed(preset=preset.name, version=preset.version)
    result.settings = company_settings.differing(company, settings)
    company_settings.apply(result.settings, by=by)
    result.flows, result.kept_flows = install_flows(preset, by=by, parameters=parameters, language=language)
    result.rules, result.kept_rules = install_rules(preset, by=by, language=language)
    company.refresh_from_db(fields=["settings"])
    mark = {"name": preset.name, "version": preset.version}
    if (company.settings or {}).get("preset") != mark:
        company.settings = {**(company.settings or {}), "preset": mark}
        company.save(update_fields=["settings"])
        result.settings["preset"] = mark
    if result.changed:
        summary = {"preset": preset.name, "version": preset.version, "settings": _jsonable(result.settings),
                   "flows": [f.name for f in result.flows], "alert_rules": [r.name for r in result.rules]}
        record_event(company=company, topic="company.preset_installed", by=by, obj=company, payload=summary)
        record_audit(company=company, action="preset.install", obj=company, by=by, after=summary)
    return result


def _jsonable(settings: dict) -> dict:
    return {k: (str(v) if not isinstance(v, bool | int | str | dict | list | type(None)) else v)
            for k, v in settings.items()}


# ---------------------------------------------------------------- approval flow groups on their own


def company_preset(company_id: int) -> PresetFile:
    """The shipped preset the company was set up from (general when none or not a shipped one)."""
    settings = Company.objects.filter(pk=company_id).values_list("settings", flat=True).first() or {}
    name = (settings.get("preset") or {}).get("name")
    return load(name if name in builtin_names() else "general")


def flow_groups(company_id: int) -> dict:
    """{group: title} of the approval flow groups an administrator or manager can install on their own."""
    return {key: group.title for key, group in company_preset(company_id).flow_groups.items()}


@transaction.atomic
def install_flow_group(name: str, *, by, threshold=None) -> list[Flow]:
    """The flows of one group of the company's preset (e.g. purchase orders over `threshold` to the general
    manager): those already there are left as they are; returns the group's flows."""
    require_manage(by)
    preset = company_preset(by.company_id)
    group = preset.flow_groups.get(name)
    if group is None:
        raise NotFound("preset", name)
    given = {"threshold": threshold} if "threshold" in group.parameters else {}
    check_parameters(name, group.parameters, given)
    install_flows(preset, by=by, groups={name}, parameters={name: given})
    kinds = [spec.kind for spec in preset.flows if spec.group == name]
    found = {f.kind: f for f in Flow.objects.filter(company_id=by.company_id, preset=name, kind__in=kinds)}
    return [found[k] for k in kinds if k in found]


def install_flow_groups(*, by) -> list[Flow]:
    """Every flow group of the company's preset with its default parameters."""
    return [f for name in flow_groups(by.company_id) for f in install_flow_group(name, by=by)]
