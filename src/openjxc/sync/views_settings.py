"""The pages behind the terminal API's settings (issue 14 leftovers): the company's terminal settings (alert
thresholds, the review window, what one line of a till or PDA operation may carry) and the stores whose tills may
name a customer. Each saves through the same service as the API (`PUT /api/sync/settings`,
`PUT /api/sync/customers/{id}/stores`): the same permission, the same audit record, the same refusals."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.sync import customers, terminals
from openjxc.web.form_pages import form_page, require_masterdata_edit
from openjxc.web.pages import company_object, company_page

SETTING_LABELS = {
    "max_line_quantity": (gettext_lazy("Largest quantity on one line"),
                          gettext_lazy("A till or PDA line above it is refused (a mistyped 1e11 is not posted).")),
    "quantity_decimals": (gettext_lazy("Decimal places of a quantity"),
                          gettext_lazy("0 to 4: a line with more places is refused.")),
    "review_days": (gettext_lazy("Days after which a sale waits for review"),
                    gettext_lazy("An operation dated further back is held until a manager accepts it.")),
    "silent_minutes": (gettext_lazy("Alert when a terminal is silent for (minutes)"), ""),
    "backlog_minutes": (gettext_lazy("Alert when uploads wait for (minutes)"), ""),
    "skew_seconds": (gettext_lazy("Alert when a terminal's clock is off by (seconds)"), ""),
}


class TerminalSettingsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (label, help_text) in SETTING_LABELS.items():
            low, high = terminals.BOUNDS[key]
            self.fields[key] = forms.IntegerField(label=label, help_text=help_text, min_value=low, max_value=high)


@company_page
def terminal_settings(request):
    user = request.user
    if not permissions.allowed(user, "users.manage"):
        raise PermissionDenied(_("Only an administrator may change the terminal settings."))
    initial = terminals.terminal_settings(user.company_id)

    def save(data):  # only what changed: an unchanged form writes no audit record
        changed = {key: value for key, value in data.items() if value != initial[key]}
        return terminals.set_terminal_settings(by=user, **changed) if changed else initial

    return form_page(
        request, TerminalSettingsForm(request.POST or None, initial=initial), save, template="web/form.html",
        context={"title": _("Terminal settings"), "back_url": "web:terminals", "back": _("Terminals")},
        saved=lambda _conf: (_("The terminal settings were saved."), "web:terminal_settings"),
    )


class StoresForm(forms.Form):
    stores = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Stores whose tills may sell to this customer"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: the tills of every store may name this customer."))

    def __init__(self, company_id, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = [
            (w.pk, f"{w.code} {w.name}") for w in Warehouse.objects.filter(
                company_id=company_id, kind=WarehouseKind.STORE, is_active=True).order_by("code")]


@company_page
def customer_stores(request, pk: int):
    user = request.user
    require_masterdata_edit(user)
    partner = company_object(Partner, user, pk)
    initial = {"stores": [w.pk for w in customers.stores_of(partner)]}

    def save(data):
        customers.set_customer_stores(by=user, customer=partner.pk, stores=list(data["stores"]))
        return partner

    return form_page(
        # none ticked posts no field at all: still a submitted form (every store), not an empty page
        request, StoresForm(user.company_id, request.POST if request.method == "POST" else None, initial=initial),
        save, template="web/form.html",
        context={"title": _("Store limits of %(code)s %(name)s") % {"code": partner.code, "name": partner.name},
                 "back_url": "web:partners", "back": _("Partners"),
                 "extra_label": _("Customer"), "extra": [f"{partner.code} {partner.name}"],
                 "extra_url": reverse("web:partner_edit", args=[partner.pk]), "extra_link": _("Edit")},
        saved=lambda p: (_("The stores of %(code)s were saved.") % {"code": p.code}, ("web:customer_stores", p.pk)),
    )
