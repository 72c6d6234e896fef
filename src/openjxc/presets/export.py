"""Export what a company has (settings, approval flows, alert rules) as a preset file.

The file names people, warehouses, categories, items and channels by username / code / name, so it can be
installed into another company (`jxc preset install FILE`); texts are exported as the company has them.
"""

from __future__ import annotations

from django.utils.text import slugify

from openjxc.alerts.rule_models import AlertRule
from openjxc.core import permissions
from openjxc.core.models import Company, User
from openjxc.workflow.models import Flow

from . import company_settings
from .format import FORMAT, builtin_names, load, parse, text


def _users(company_id: int) -> dict[int, str]:
    return dict(User.objects.filter(company_id=company_id).values_list("pk", "username"))


def _step(step: dict, users: dict[int, str]) -> dict:
    """A stored step as a file step: people by username, empty settings left out."""
    out = {"name": step["name"], "mode": step.get("mode") or "any"}
    if step.get("mode") == "n_of_m":
        out["n"] = step.get("n")
    out["approvers"] = [{"type": "user", "username": users.get(a["user"], str(a["user"]))} if a["type"] == "user"
                        else dict(a) for a in step.get("approvers") or []]
    for key in ("condition", "time_limit_hours"):
        if step.get(key) not in (None, ""):
            out[key] = step[key]
    if step.get("reminders"):
        out["reminders"] = list(step["reminders"])
    esc = step.get("escalation")
    if esc:
        esc = dict(esc)
        if "deputy" in esc:
            esc["deputy_username"] = users.get(esc.pop("deputy"), "")
        out["escalation"] = esc
    return out


def _group_titles(company: Company, groups: set[str]) -> dict:
    """Flow groups the company's flows came from, titled as the preset it installed (else the group's key)."""
    mark = (company.settings or {}).get("preset") or {}
    titles: dict = {}
    for name in [mark.get("name", ""), "general"]:
        if name in builtin_names():
            for key, group in load(name).flow_groups.items():
                titles.setdefault(key, group.title)
    return {g: {"title": titles.get(g, g)} for g in sorted(groups)}


def export_company(company: Company, *, by) -> dict:
    """The company's settings, flows (their latest version) and alert rules as a preset document."""
    permissions.require(by, "company.setup")
    permissions.require_company(by, company.pk)
    company = Company.objects.get(pk=company.pk)  # its settings as stored now
    users = _users(company.pk)
    flows = []
    for flow in Flow.objects.filter(company=company).prefetch_related("warehouses").order_by("pk"):
        version = flow.versions.order_by("-number").first()
        entry = {"group": flow.preset, "kind": flow.kind, "name": flow.name, "note": version.note}
        if flow.priority:
            entry["priority"] = flow.priority
        if not flow.is_active:
            entry["active"] = False
        warehouses = sorted(w.code for w in flow.warehouses.all())
        if warehouses:
            entry["warehouses"] = warehouses
        entry["steps"] = [_step(s, users) for s in version.steps]
        flows.append(entry)
    rules = []
    for rule in (AlertRule.objects.filter(company=company).select_related("warehouse", "category", "item")
                 .prefetch_related("recipients", "channels").order_by("pk")):
        entry = {"kind": rule.kind, "name": rule.name}
        if not rule.is_active:
            entry["active"] = False
        for key in ("warehouse", "category", "item"):
            ref = getattr(rule, key)
            if ref is not None:
                entry[key] = ref.code
        entry.update(params=dict(rule.params or {}), recipient_roles=list(rule.recipient_roles or []))
        recipients = sorted(u.username for u in rule.recipients.all())
        if recipients:
            entry["recipients"] = recipients
        channels = sorted(c.name for c in rule.channels.all())
        if channels:
            entry["channels"] = channels
        entry["cooldown_hours"] = rule.cooldown_hours
        rules.append(entry)
    data = {
        "format": FORMAT,
        "name": (slugify(company.code) or "company")[:32],
        "version": 1,
        "title": company.name,
        "description": text({"en": f"Exported from company {company.code}",
                             "zh-hans": f"导出自公司 {company.code}"}),
        "settings": company_settings.read_all(company),
        "flow_groups": _group_titles(company, {f["group"] for f in flows if f["group"]}),
        "flows": flows,
        "alert_rules": rules,
    }
    parse(data)  # what we write, we can read back
    return data
