"""Company settings page (administrators): VAT taxpayer type, trading mode, what books payables, how far ahead a
document may be dated. Each change goes through its setter in core/company_settings.py (audited, refused with a
reason — e.g. trading mode once stock has moved); the API has the same under /api/finance/…."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import company_settings as cs
from openjxc.core import permissions
from openjxc.web.form_pages import CHECKBOX, form_page
from openjxc.web.pages import company_page

VAT_CHOICES = [("1", gettext_lazy("General VAT taxpayer (一般纳税人): lines take their item's VAT rate")),
               ("0", gettext_lazy("Small-scale taxpayer (小规模纳税人): prices without separate VAT"))]
PAYABLE_CHOICES = [("receipt", gettext_lazy("Purchase receipts")), ("bill", gettext_lazy("Supplier bills (采购发票)"))]


class CompanySettingsForm(forms.Form):
    vat = forms.ChoiceField(label=gettext_lazy("VAT"), choices=VAT_CHOICES, widget=forms.RadioSelect)
    stock_tracking = forms.BooleanField(
        label=gettext_lazy("Keep stock books"), required=False, widget=CHECKBOX,
        help_text=gettext_lazy("Off: trading mode (进销存无库存版): documents post to the partner ledger and the "
                               "reports, not to the stock ledger. Cannot be switched off once stock has moved."))
    payable_from = forms.ChoiceField(label=gettext_lazy("Payables are booked from"), choices=PAYABLE_CHOICES)
    future_days = forms.IntegerField(
        label=gettext_lazy("Documents may be posted up to this many days ahead"), min_value=0,
        max_value=cs.MAX_FUTURE_DAYS, help_text=gettext_lazy("0: nothing dated after today is posted"))


@company_page
def company_settings(request):
    user = request.user
    if not permissions.allowed(user, "users.manage"):
        raise PermissionDenied(_("Only an administrator may change the company's settings."))
    company = user.company
    initial = {"vat": "1" if cs.applies_vat(company) else "0", "stock_tracking": cs.tracks_stock(company),
               "payable_from": cs.payable_from(company), "future_days": cs.future_date_tolerance(company)}

    @transaction.atomic
    def save(data):  # only what changed, each through its setter; one refusal undoes the others
        if data["vat"] != initial["vat"]:
            cs.set_vat(by=user, enabled=data["vat"] == "1")
        if data["stock_tracking"] != initial["stock_tracking"]:
            cs.set_stock_tracking(by=user, enabled=data["stock_tracking"])
        if data["payable_from"] != initial["payable_from"]:
            cs.set_payable_from(by=user, source=data["payable_from"])
        if data["future_days"] != initial["future_days"]:
            cs.set_future_date_tolerance(by=user, days=data["future_days"])
        return company

    return form_page(
        request, CompanySettingsForm(request.POST or None, initial=initial), save, template="web/form.html",
        context={"title": _("Company settings"), "extra": [company.name], "extra_label": _("Company"),
                 "extra_url": reverse("web:terminal_settings"), "extra_link": _("Terminal settings"),
                 "back_url": "web:home", "back": _("Dashboard")},
        saved=lambda _company: (_("The company's settings were saved."), "web:company_settings"),
        error_fields={"enabled": "stock_tracking", "source": "payable_from", "days": "future_days"},
    )
