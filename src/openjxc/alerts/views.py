"""Alert pages: the list (what needs attention), one alert with its history and what to do, the rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from openjxc.catalog.category_field import CategoryField
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.core.models import PERSON_ROLE_CHOICES, Role, User
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.web.form_pages import form_page
from openjxc.web.pages import company_page, paginate

from . import engine, rules
from .rule_models import OPEN_STATUSES, SEVERITY, AlertKind, AlertRule, by_severity
from .selectors import visible_alerts

STATUS_TABS = [("active", _("Needs attention")), ("acknowledged", _("Acknowledged")), ("closed", _("Cleared")),
               ("all", _("All"))]

# what to do about each kind of alert: the page that fixes it
PARAM_LABELS = {
    "days": _("Days"),
    "drop_pct": _("Sales drop (%)"),
    "weeks_running": _("Weeks running"),
    "baseline_weeks": _("Weeks compared"),
    "min_weekly": _("Minimum weekly sales"),
    "min_selling_weeks": _("Weeks with sales needed before"),
    "tolerance_pct": _("Tolerance (%)"),
    ("expiring", "days"): _("Days before expiry (0: by each item's shelf life)"),
}


class AlertFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *AlertKind.choices])
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", "—"), *Warehouse.objects.filter(company_id=user.company_id)
                                            .exclude(kind=WarehouseKind.TRANSIT)
                                            .order_by("code").values_list("pk", "name")]


@company_page
def alerts(request):
    user = request.user
    status = request.GET.get("status", "active")
    if status not in dict(STATUS_TABS):
        status = "active"
    form = AlertFilter(request.GET or None, user=user)
    qs = visible_alerts(user)
    qs = qs.filter(status__in=OPEN_STATUSES) if status == "active" else (qs if status == "all" else qs.filter(status=status))
    if form.is_valid():
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["warehouse"]:
            qs = qs.filter(warehouse_id=form.cleaned_data["warehouse"])
    rule = request.GET.get("rule", "")
    if rule.isdigit():
        qs = qs.filter(rule_id=int(rule))
    by_kind = dict(qs.filter(status__in=OPEN_STATUSES).values_list("kind").annotate(n=Count("id")).order_by())
    kinds = [(k, AlertKind(k).label, by_kind[k]) for k in SEVERITY if by_kind.get(k)]
    page, query = paginate(request, qs.order_by(by_severity(), "-raised_at", "-id"))
    base = visible_alerts(user)
    counts = {"active": base.filter(status__in=OPEN_STATUSES).count(),
              "acknowledged": base.filter(status="acknowledged").count()}
    tabs = [(key, label, counts.get(key)) for key, label in STATUS_TABS]
    return render(request, "alerts/alerts.html", {
        "page": page, "query": query, "form": form, "status": status, "tabs": tabs, "kinds": kinds,
        "can_manage": permissions.allowed(user, "alerts.manage"),
    })


@company_page
def alert(request, pk: int):
    user = request.user
    item = visible_alerts(user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("This alert was not found."))
    return render(request, "alerts/alert.html", {
        "alert": item, "history": item.history.select_related("by"),
        "can_order": item.kind == AlertKind.LOW_STOCK and item.is_open
        and permissions.allowed(user, "document.create"),
    })


@company_page
@require_POST
def alert_action(request, pk: int, action: str):
    user = request.user
    item = visible_alerts(user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("This alert was not found."))
    try:
        if action == "acknowledge":
            engine.acknowledge(item, by=user, comment=request.POST.get("comment", ""))
            messages.success(request, _("Acknowledged: it won't be sent again unless it gets worse."))
        elif action == "recount" and item.kind == AlertKind.COUNT_VARIANCE:
            from openjxc.counts import services as counts
            from openjxc.counts.models import Count

            count = Count.objects.filter(company_id=user.company_id, pk=item.data.get("count_id")).first()
            if count is None:
                raise Http404
            counts.request_recount(count, by=user, lines=[item.data.get("line_id")])
            messages.success(request, _("A recount of this line was requested."))
            return redirect("web:count", count.pk)
        elif action == "order":
            doc = engine.order_for_alert(item, by=user)
            messages.success(request, _("Draft purchase order %(number)s was created.") % {"number": doc.number})
            return redirect("web:document", doc.pk)
        else:
            raise Http404
    except DomainError as err:
        messages.error(request, err.render_message())
    return redirect("web:alert", item.pk)


@company_page
def alert_rules(request):
    user = request.user
    rows = list(AlertRule.objects.filter(company_id=user.company_id).select_related("warehouse", "category", "item")
                .order_by("kind", "pk"))
    open_counts = {}
    for r in rows:
        open_counts[r.pk] = r.alerts.filter(status__in=OPEN_STATUSES).count()
        r.open_count = open_counts[r.pk]
        r.role_labels = [str(Role(x).label) for x in r.recipient_roles if x in Role.values]
    return render(request, "alerts/rules.html", {
        "rules": rows, "can_manage": permissions.allowed(user, "alerts.manage"), "kinds": AlertKind.choices,
    })


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), required=False, coerce=int, empty_value=None)
    category = CategoryField(label=_("Category"), blank_label=_("All categories"))
    recipient_roles = forms.MultipleChoiceField(label=_("Recipient roles"), required=False, choices=PERSON_ROLE_CHOICES,
                                                widget=forms.CheckboxSelectMultiple)
    recipients = forms.TypedMultipleChoiceField(label=_("Named recipients"), required=False, coerce=int,
                                                widget=forms.CheckboxSelectMultiple)
    channels = forms.TypedMultipleChoiceField(
        label=_("Channels"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every enabled channel that carries alerts of this kind."))
    cooldown_hours = forms.IntegerField(label=_("Re-send after (hours)"), min_value=0, max_value=2160, initial=24)

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", _("All warehouses")), *Warehouse.objects.filter(
            company_id=user.company_id).exclude(kind=WarehouseKind.TRANSIT).order_by("code").values_list("pk", "name")]
        self.fields["category"].bind(user.company_id)
        # people only: a till's or a scanner's own user (sync.Terminal.user) reads no alerts
        self.fields["recipients"].choices = [(u.pk, str(u)) for u in User.objects.filter(
            company_id=user.company_id, is_active=True, terminal__isnull=True).order_by("username")]
        from openjxc.alerts.models import Channel

        self.fields["channels"].choices = [
            (c.pk, f"{c.name} · {c.get_kind_display()}" + ("" if c.enabled else f" ({_('Disabled')})"))
            for c in Channel.objects.filter(company_id=user.company_id).order_by("name")]
        if not self.fields["channels"].choices:
            self.fields["channels"].help_text = _(
                "No channel is set up yet (Settings → Notification channels): alerts go to the in-app inbox only.")
        spec = rules.SPECS.get(kind)
        if spec is not None:  # a kind registered by a higher layer brings its own fields (KPI thresholds)
            own = spec.form_fields(user.company_id)
            for key, field in own.items():
                self.fields[f"param_{key}"] = field
            self.param_keys = list(own)
            return
        for key in rules.DEFAULT_PARAMS.get(kind, {}):
            label = PARAM_LABELS.get((kind, key)) or PARAM_LABELS.get(key, key)
            self.fields[f"param_{key}"] = forms.DecimalField(label=label, min_value=0,
                                                             max_value=100000)
        self.param_keys = list(rules.DEFAULT_PARAMS.get(kind, {}))


def _rule_form(request, rule: AlertRule | None, kind: str):
    user = request.user
    if not permissions.allowed(user, "alerts.manage"):
        raise Http404(_("You are not allowed to do this: %(action)s.") % {"action": _("manage alert rules")})
    initial = {"cooldown_hours": 24, "is_active": True, "name": str(AlertKind(kind).label)}
    spec = rules.SPECS.get(kind)
    params = dict(spec.defaults if spec is not None else rules.DEFAULT_PARAMS.get(kind, {}))
    if rule is not None:
        initial = {"name": rule.name, "is_active": rule.is_active, "warehouse": rule.warehouse_id,
                   "category": rule.category_id, "recipient_roles": rule.recipient_roles,
                   "recipients": list(rule.recipients.values_list("pk", flat=True)),
                   "channels": list(rule.channels.values_list("pk", flat=True)),
                   "cooldown_hours": rule.cooldown_hours}
        params.update(rule.params or {})
    else:
        initial["recipient_roles"] = list(engine.DEFAULT_ROLES.get(kind, []))
    initial.update({f"param_{k}": v for k, v in params.items()})
    form = RuleForm(request.POST or None, initial=initial, user=user, kind=kind)
    return form_page(
        request, form,
        lambda d: engine.save_rule(
            by=user, rule=rule, kind=kind, name=d["name"], is_active=d["is_active"],
            warehouse=d["warehouse"] or None, category=d["category"] or None,
            params={k: d[f"param_{k}"] for k in form.param_keys}, recipient_roles=d["recipient_roles"],
            recipients=d["recipients"], channels=d["channels"], cooldown_hours=d["cooldown_hours"]),
        template="alerts/rule_form.html",
        context={"rule": rule, "kind_label": AlertKind(kind).label, "kind": kind,
                 "param_fields": [form[f"param_{k}"] for k in form.param_keys],
                 "param_help": spec.form_help() if spec is not None else ""},
        saved=lambda saved: (_("Alert rule %(name)s was saved.") % {"name": saved.name}, "web:alert_rules"),
    )


@company_page
def alert_rule_new(request, kind: str):
    if kind not in AlertKind.values:
        raise Http404
    return _rule_form(request, None, kind)


@company_page
def alert_rule_edit(request, pk: int):
    rule = AlertRule.objects.filter(company_id=request.user.company_id, pk=pk).first()
    if rule is None:
        raise Http404
    return _rule_form(request, rule, rule.kind)


@company_page
@require_POST
def alert_scan(request):
    user = request.user
    try:
        result = engine.scan_company(user.company_id) if permissions.allowed(user, "alerts.manage") else None
    except DomainError as err:
        messages.error(request, err.render_message())
    else:
        if result is None:
            messages.error(request, _("You are not allowed to do this: %(action)s.") % {"action": _("manage alert rules")})
        else:
            messages.success(request, _("Checked every rule: %(raised)s new, %(cleared)s cleared, %(open)s open.")
                             % result.as_dict())
    return redirect("web:alerts")
