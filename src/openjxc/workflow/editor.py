"""The flow editor's forms: a step as a manager fills it in (approvers by ticking, a mode, condition rows of
field / operator / value, time limit, reminders, escalation) turned into the step data that
workflow.services.check_steps validates, and back; plus plain-language summaries of a step."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core.models import PERSON_ROLE_CHOICES, Role, User
from openjxc.core.permissions import is_person
from openjxc.documents.kinds import KINDS
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.workflow.models import Mode

# what a condition row may look at, with the operators that make sense for it
CONDITION_FIELDS = {
    "amount": (gettext_lazy("Amount (with tax; stock documents at cost)"), [">", ">=", "<", "<=", "=", "!="]),
    "quantity": (gettext_lazy("Total quantity"), [">", ">=", "<", "<=", "=", "!="]),
    "warehouse": (gettext_lazy("Warehouse"), ["in", "not_in"]),
    "category": (gettext_lazy("Item category"), ["in", "not_in"]),
    "partner": (gettext_lazy("Partner"), ["in", "not_in"]),
    "kind": (gettext_lazy("Document kind"), ["=", "!=", "in", "not_in"]),
    "custom": (gettext_lazy("Custom field"), ["=", "!=", ">", ">=", "<", "<=", "in", "not_in"]),
}
OPERATORS = {
    ">": gettext_lazy("greater than"), ">=": gettext_lazy("at least"), "<": gettext_lazy("less than"),
    "<=": gettext_lazy("at most"), "=": gettext_lazy("equals"), "!=": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"), "not_in": gettext_lazy("is none of"),
}
ESCALATIONS = [
    ("", gettext_lazy("No escalation")),
    ("superior", gettext_lazy("To the approver's superior")),
    ("deputy", gettext_lazy("To a named deputy")),
    ("auto_approve", gettext_lazy("Approve automatically")),
    ("auto_reject", gettext_lazy("Reject automatically")),
]
MAX_CONDITION_ROWS = 10


def _users(user):
    return [(u.pk, str(u)) for u in User.objects.filter(company_id=user.company_id, is_active=True).order_by("username")
            if is_person(u)]


def _hours(value) -> str:
    d = Decimal(str(value)).normalize()
    return format(d, "f")


class StepForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Step name"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Finance review"),
                                                         "autocomplete": "off"}))
    roles = forms.MultipleChoiceField(label=gettext_lazy("Roles"), required=False,
                                      widget=forms.CheckboxSelectMultiple, choices=PERSON_ROLE_CHOICES)
    users = forms.TypedMultipleChoiceField(label=gettext_lazy("Named people"), required=False, coerce=int,
                                           widget=forms.SelectMultiple(attrs={"size": 4}))
    superior = forms.BooleanField(label=gettext_lazy("The requester's superior"), required=False)
    warehouse_manager = forms.BooleanField(label=gettext_lazy("The warehouse's manager"), required=False)
    mode = forms.ChoiceField(label=gettext_lazy("Who must approve"), choices=Mode.choices, initial=Mode.ANY,
                             widget=forms.RadioSelect)
    n = forms.IntegerField(label=gettext_lazy("How many"), required=False, min_value=1, max_value=100)
    join = forms.ChoiceField(label=gettext_lazy("Apply the step when"), initial="all", widget=forms.RadioSelect,
                             choices=[("all", gettext_lazy("all conditions hold")),
                                      ("any", gettext_lazy("any condition holds"))])
    time_limit_hours = forms.DecimalField(label=gettext_lazy("Time limit (working hours)"), required=False,
                                          min_value=Decimal("0.1"), max_value=2000, decimal_places=2)
    reminder_1 = forms.DecimalField(required=False, decimal_places=2, min_value=-2000, max_value=2000)
    reminder_2 = forms.DecimalField(required=False, decimal_places=2, min_value=-2000, max_value=2000)
    reminder_3 = forms.DecimalField(required=False, decimal_places=2, min_value=-2000, max_value=2000)
    escalation = forms.ChoiceField(label=gettext_lazy("If still undecided"), required=False, choices=ESCALATIONS)
    deputy = forms.TypedChoiceField(label=gettext_lazy("Deputy"), required=False, coerce=int, empty_value=None)
    escalate_after_hours = forms.DecimalField(label=gettext_lazy("Escalate after (hours past the limit)"),
                                              required=False, min_value=0, max_value=2000, decimal_places=2)
    post_on_approve = forms.BooleanField(
        label=gettext_lazy("Approve and post"), required=False,
        help_text=gettext_lazy("When this step completes the approval, the approver's approval also posts the "
                               "document (if they may post)."))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = _users(user)
        self.fields["users"].choices = people
        self.fields["deputy"].choices = [("", "—")] + people
        self.condition_rows = self._rows_from_data() if self.is_bound else []
        self.kept_condition = None

    @classmethod
    def from_step(cls, user, step: dict) -> StepForm:
        """The form filled with an existing step (conditions flattened into rows where they are flat)."""
        approvers = step.get("approvers") or []
        esc = step.get("escalation") or {}
        reminders = [Decimal(m) / 60 for m in (step.get("reminders") or [])]
        initial = {
            "name": step.get("name", ""), "mode": step.get("mode") or Mode.ANY, "n": step.get("n"),
            "roles": [a["role"] for a in approvers if a["type"] == "role"],
            "users": [a["user"] for a in approvers if a["type"] == "user"],
            "superior": any(a["type"] == "superior" for a in approvers),
            "warehouse_manager": any(a["type"] == "warehouse_manager" for a in approvers),
            "time_limit_hours": step.get("time_limit_hours"),
            "escalation": esc.get("rule", ""), "deputy": esc.get("deputy"),
            "escalate_after_hours": _hours(Decimal(esc["after_minutes"]) / 60) if esc.get("after_minutes") else None,
            "post_on_approve": bool(step.get("post_on_approve")),
        }
        for i, r in enumerate(reminders[:3], start=1):
            initial[f"reminder_{i}"] = _hours(r)
        form = cls(user, initial=initial)
        rows, join = _flatten(step.get("condition"))
        if rows is None:
            form.kept_condition = step.get("condition")
        else:
            form.condition_rows = rows
            form.initial["join"] = join
        return form

    def _rows_from_data(self) -> list[dict]:
        fields = self.data.getlist("cond_field")
        ops = self.data.getlist("cond_op")
        values = self.data.getlist("cond_value")
        customs = self.data.getlist("cond_custom")
        rows = []
        for i, name in enumerate(fields[:MAX_CONDITION_ROWS]):
            rows.append({"field": name, "op": ops[i] if i < len(ops) else "",
                         "value": values[i] if i < len(values) else "",
                         "custom": customs[i] if i < len(customs) else ""})
        return rows

    def clean(self):
        data = super().clean()
        if not (data.get("roles") or data.get("users") or data.get("superior") or data.get("warehouse_manager")):
            self.add_error("roles", _("Choose at least one approver: a role, a person, the superior or the "
                                      "warehouse manager."))
        if data.get("mode") == Mode.N_OF_M and not data.get("n"):
            self.add_error("n", _("Say how many approvals are needed."))
        if data.get("escalation") == "deputy" and not data.get("deputy"):
            self.add_error("deputy", _("Choose the deputy."))
        if data.get("escalation") and data.get("time_limit_hours") is None:
            self.add_error("time_limit_hours", _("An escalation needs a time limit."))
        if any(data.get(f"reminder_{i}") is not None for i in (1, 2, 3)) and data.get("time_limit_hours") is None:
            self.add_error("time_limit_hours", _("Reminders need a time limit."))
        self.condition, problems = _condition_from_rows(self.condition_rows, data.get("join") or "all")
        for p in problems:
            self.add_error(None, p)
        if not self.condition_rows and self.data.get("cond_keep"):
            import json

            try:
                self.condition = json.loads(self.data["cond_keep"])
            except ValueError:
                self.condition = None
        return data

    def to_step(self) -> dict:
        d = self.cleaned_data
        approvers = [{"type": "role", "role": r} for r in d["roles"]]
        approvers += [{"type": "user", "user": u} for u in d["users"]]
        if d["superior"]:
            approvers.append({"type": "superior"})
        if d["warehouse_manager"]:
            approvers.append({"type": "warehouse_manager"})
        reminders = sorted(int(d[f"reminder_{i}"] * 60) for i in (1, 2, 3) if d.get(f"reminder_{i}") is not None)
        step = {"name": d["name"].strip(), "approvers": approvers, "mode": d["mode"],
                "n": d["n"] if d["mode"] == Mode.N_OF_M else None, "condition": self.condition,
                "time_limit_hours": _hours(d["time_limit_hours"]) if d["time_limit_hours"] is not None else None,
                "reminders": reminders, "escalation": None}
        if d.get("escalation"):
            after = d.get("escalate_after_hours")
            step["escalation"] = {"rule": d["escalation"], "after_minutes": int((after or 0) * 60)}
            if d["escalation"] == "deputy":
                step["escalation"]["deputy"] = d["deputy"]
        if d.get("post_on_approve"):
            step["post_on_approve"] = True
        return step


def _flatten(cond) -> tuple[list[dict] | None, str]:
    """Rows and join of a condition made of plain comparisons (one, or all/any of several); None if deeper."""
    if cond in (None, {}):
        return [], "all"
    join, parts = "all", [cond]
    if isinstance(cond, dict) and ("all" in cond or "any" in cond):
        join = "all" if "all" in cond else "any"
        parts = cond[join]
    rows = []
    for p in parts:
        if not (isinstance(p, dict) and set(p) == {"field", "op", "value"}):
            return None, join
        name, custom = p["field"], ""
        if name.startswith("custom."):
            name, custom = "custom", p["field"][7:]
        value = ", ".join(str(v) for v in p["value"]) if isinstance(p["value"], list) else str(p["value"])
        rows.append({"field": name, "op": p["op"], "value": value, "custom": custom})
    return rows, join


def _condition_from_rows(rows: list[dict], join: str) -> tuple[dict | None, list[str]]:
    leaves, problems = [], []
    for n, row in enumerate(rows, start=1):
        name, op, raw = row["field"], row["op"], (row["value"] or "").strip()
        if not name and not raw:
            continue  # an empty row left on the form
        if name not in CONDITION_FIELDS:
            problems.append(_("Condition %(n)s: choose what to compare.") % {"n": n})
            continue
        if op not in CONDITION_FIELDS[name][1]:
            problems.append(_("Condition %(n)s: choose an operator that fits %(field)s.")
                            % {"n": n, "field": CONDITION_FIELDS[name][0]})
            continue
        if not raw:
            problems.append(_("Condition %(n)s: enter a value.") % {"n": n})
            continue
        field = name
        if name == "custom":
            key = (row.get("custom") or "").strip()
            if not key:
                problems.append(_("Condition %(n)s: name the custom field.") % {"n": n})
                continue
            field = f"custom.{key}"
        if op in ("in", "not_in"):
            value = [v.strip() for v in raw.replace("，", ",").split(",") if v.strip()]  # codes (or ids)
        elif name in ("amount", "quantity"):
            try:
                Decimal(raw.replace(",", ""))
            except InvalidOperation:
                problems.append(_("Condition %(n)s: %(value)s is not a number.") % {"n": n, "value": raw})
                continue
            value = raw.replace(",", "")
        else:
            value = raw
        leaves.append({"field": field, "op": op, "value": value})
    if not leaves:
        return None, problems
    if len(leaves) == 1:
        return leaves[0], problems
    return {join: leaves}, problems


def steps_from_post(steps: list[dict], post) -> list[dict] | None:
    """Move up / move down / remove a step (op and index in the POST); None when the POST asks none of these."""
    op, index = post.get("op", ""), post.get("index", "")
    if op not in ("up", "down", "remove") or not index.isdigit() or int(index) >= len(steps):
        return None
    i = int(index)
    out = list(steps)
    if op == "remove":
        del out[i]
    elif op == "up" and i > 0:
        out[i - 1], out[i] = out[i], out[i - 1]
    elif op == "down" and i < len(out) - 1:
        out[i + 1], out[i] = out[i], out[i + 1]
    return out


# ---------------------------------------------------------------- summaries


def _user_names(ids) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=list(ids))}


def step_summary(step: dict) -> dict:
    """A step in words: who approves (and how many), when it applies, its time limit and what happens after."""
    approvers = step.get("approvers") or []
    names = _user_names([a["user"] for a in approvers if a["type"] == "user"])
    who = []
    for a in approvers:
        if a["type"] == "role":
            who.append(str(Role(a["role"]).label) if a["role"] in Role.values else a["role"])
        elif a["type"] == "user":
            who.append(names.get(a["user"], "?"))
        elif a["type"] == "superior":
            who.append(_("the requester's superior"))
        else:
            who.append(_("the warehouse's manager"))
    mode = step.get("mode") or Mode.ANY
    how = {Mode.ANY: _("any one of them"), Mode.ALL: _("all of them")}.get(
        mode, _("%(n)s of them") % {"n": step.get("n")})
    rows, join = _flatten(step.get("condition"))
    if rows is None:
        when = _("a combined condition")
    elif not rows:
        when = _("always")
    else:
        parts = []
        for r in rows:
            label = r["custom"] if r["field"] == "custom" else CONDITION_FIELDS.get(r["field"], (r["field"],))[0]
            parts.append(f"{label} {OPERATORS.get(r['op'], r['op'])} {r['value']}")
        when = (_(" and ") if join == "all" else _(" or ")).join(parts)
    limit = step.get("time_limit_hours")
    timing = []
    if limit:
        timing.append(_("%(h)s working hours") % {"h": limit})
    if step.get("reminders"):
        timing.append(_("%(n)s reminders") % {"n": len(step["reminders"])})
    esc = step.get("escalation") or {}
    if esc.get("rule"):
        label = dict(ESCALATIONS).get(esc["rule"], esc["rule"])
        if esc["rule"] == "deputy":
            label = f"{label}: {_user_names([esc.get('deputy')]).get(esc.get('deputy'), '?')}"
        timing.append(str(label))
    if step.get("post_on_approve"):
        timing.append(_("approve and post"))
    return {"who": "、".join(str(w) for w in who), "how": how, "when": when, "timing": " · ".join(map(str, timing))}


# ---------------------------------------------------------------- the flow's header


def flow_header_form(user, data, *, flow=None):
    warehouse_choices = [(w.pk, w.name) for w in Warehouse.objects.filter(company_id=user.company_id, is_active=True)
                  .exclude(kind=WarehouseKind.TRANSIT).order_by("code")]

    class FlowHeader(forms.Form):
        name = forms.CharField(label=gettext_lazy("Flow name"), max_length=100)
        kind = forms.ChoiceField(label=gettext_lazy("Document kind"),
                                 choices=[(k.code, k.label) for k in KINDS.values()])
        warehouses = forms.TypedMultipleChoiceField(
            label=gettext_lazy("Only for these warehouses"), required=False, coerce=int, choices=warehouse_choices,
            widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy("None ticked: every warehouse."))
        priority = forms.IntegerField(label=gettext_lazy("Priority"), required=False, initial=0,
                                      min_value=-1000, max_value=1000)
        is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
        allow_self_approval = forms.BooleanField(
            label=gettext_lazy("The requester may approve their own document"), required=False,
            help_text=gettext_lazy("Off: their superior (or the step's deputy) decides in their place."))
        allow_same_approver = forms.BooleanField(
            label=gettext_lazy("One person may decide several steps"), required=False,
            help_text=gettext_lazy("Off: whoever decided a step is left out of the later ones."))

    initial = None
    if flow is not None:
        initial = {"name": flow.name, "kind": flow.kind, "priority": flow.priority, "is_active": flow.is_active,
                   "warehouses": [w.pk for w in flow.warehouses.all()],
                   "allow_self_approval": flow.allow_self_approval, "allow_same_approver": flow.allow_same_approver}
    form = FlowHeader(data, initial=initial)
    if flow is not None:
        form.fields["kind"].disabled = True
        form.fields["kind"].required = False
    else:
        del form.fields["is_active"]
    return form


def condition_choices() -> dict:
    """For the template: fields with their operators, and every operator's label."""
    return {"fields": [(k, str(label), ops) for k, (label, ops) in CONDITION_FIELDS.items()],
            "operators": {k: str(v) for k, v in OPERATORS.items()}}
