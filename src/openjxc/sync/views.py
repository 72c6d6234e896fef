"""The terminals page: every terminal with its last contact, backlog, refusals, clock skew and alerts;
register one (token shown once), hand out a one-time registration code, revoke, review refused operations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.core.models import Event
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.sync import terminals
from openjxc.sync.models import OpStatus, Terminal, TerminalKind, TerminalOperation
from openjxc.web.pages import company_page


class TerminalForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TerminalKind.choices)
    warehouse = forms.TypedChoiceField(label=gettext_lazy("Warehouse or store"), coerce=int)
    customer = forms.TypedChoiceField(label=gettext_lazy("Walk-in customer (POS)"), coerce=int, required=False,
                                      empty_value=None)

    def __init__(self, company_id, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [
            (w.pk, f"{w.code} {w.name}") for w in Warehouse.objects.filter(company_id=company_id, is_active=True)
            .exclude(kind=WarehouseKind.TRANSIT).order_by("code")
        ]
        self.fields["customer"].choices = [("", "—")] + [
            (p.pk, f"{p.code} {p.name}") for p in Partner.objects.filter(
                company_id=company_id, is_active=True, kind__in=["customer", "both"]).order_by("code")[:500]
        ]


def _require_admin(user):
    if not permissions.allowed(user, "users.manage"):
        raise PermissionDenied(_("Only an administrator manages terminals."))


ALERT_TOPICS = terminals.ALERT_TOPICS


@company_page
def terminal_list(request):
    user = request.user
    _require_admin(user)
    form = TerminalForm(user.company_id, request.POST or None, prefix="new")
    new_token = code_shown = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "code":
                code_form = TerminalForm(user.company_id, request.POST, prefix="new")
                code_form.is_valid()
                data = code_form.cleaned_data
                _rc, code_shown = terminals.create_registration_code(
                    by=user, kind=data.get("kind") or request.POST.get("new-kind"),
                    warehouse=data.get("warehouse"), customer=data.get("customer"))
            elif form.is_valid():
                data = form.cleaned_data
                terminal, new_token = terminals.register_terminal(
                    by=user, code=data["code"], name=data["name"], kind=data["kind"], warehouse=data["warehouse"],
                    customer=data["customer"])
                messages.success(request, _("Terminal %(code)s registered.") % {"code": terminal.code})
                form = TerminalForm(user.company_id, prefix="new")
        except DomainError as err:
            messages.error(request, err.render_message())
    conf = terminals.terminal_settings(user.company_id)
    rows = []
    for t in Terminal.objects.filter(company_id=user.company_id).select_related("warehouse", "operator").order_by("code"):
        problems = terminals.health(t, conf=conf)
        rows.append({"t": t, "problems": [terminals.PROBLEM_LABELS[p] for p in problems]})
    alerts = Event.objects.filter(company_id=user.company_id, topic__in=ALERT_TOPICS).order_by("-id")[:30]
    return render(request, "sync/terminals.html", {
        "rows": rows, "form": form, "new_token": new_token, "code_shown": code_shown, "alerts": alerts,
        "conf": conf,
    })


@company_page
def terminal_detail(request, pk: int):
    user = request.user
    _require_admin(user)
    terminal = Terminal.objects.filter(company_id=user.company_id, pk=pk).select_related("warehouse").first()
    if terminal is None:
        from django.http import Http404

        raise Http404(_("Terminal not found."))
    status = request.GET.get("status") or "refused"
    ops = TerminalOperation.objects.filter(terminal=terminal).select_related("document")
    if status in OpStatus.values:
        ops = ops.filter(status=status)
    return render(request, "sync/terminal_detail.html", {
        "terminal": terminal, "ops": ops.order_by("-id")[:200], "status": status,
        "problems": [terminals.PROBLEM_LABELS[p] for p in terminals.health(terminal)],
    })


@require_POST
@company_page
def terminal_revoke(request, pk: int):
    try:
        terminal = terminals.revoke_terminal(by=request.user, terminal_id=pk)
        messages.success(request, _("Terminal %(code)s revoked: its token no longer works.") % {"code": terminal.code})
    except DomainError as err:
        messages.error(request, err.render_message())
    return redirect("web:terminals")
