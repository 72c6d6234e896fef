"""Forms of the document pages: the list's filter, the header of a new document and of a draft."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openjxc.documents.kinds import KINDS, get_kind
from openjxc.documents.models import Status
from openjxc.documents.selectors import creatable_kinds
from openjxc.partners.models import Partner, PartnerKind
from openjxc.stock.forms import warehouse_choices
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.web.form_pages import iso_date

PAYMENT_CHOICES = [("", _("On account")), ("cash", _("Cash")), ("wechat", _("WeChat Pay")), ("alipay", _("Alipay")),
                   ("card", _("Bank card")), ("bank", _("Bank transfer"))]
PAID_KINDS = {"sales_delivery", "sales_return"}


def payments_custom(custom: dict | None, method: str) -> dict:
    """The document's custom data with its payment set to `method` in full (none: on account)."""
    out = {k: v for k, v in (custom or {}).items() if k != "payments"}
    if method:
        out["payments"] = [{"method": method}]
    return out


def payment_method_of(custom: dict | None) -> str:
    payments = (custom or {}).get("payments") or []
    return payments[0].get("method", "") if len(payments) == 1 and isinstance(payments[0], dict) else ""


class DocumentFilter(forms.Form):
    q = forms.CharField(label=_("Keyword"), required=False, max_length=100,
                        help_text=_("number, partner, item, lot or memo; Chinese words work too"),
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 面粉 or CGRK-2026")}))
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    number = forms.CharField(label=_("Number"), required=False, max_length=40,
                             widget=forms.TextInput(attrs={"type": "search"}))
    date_from = forms.DateField(label=_("From"), required=False, widget=iso_date())
    date_to = forms.DateField(label=_("To"), required=False, widget=iso_date())
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, min_value=0, max_digits=18,
                                    decimal_places=2)
    amount_max = forms.DecimalField(label=_("Amount to"), required=False, min_value=0, max_digits=18,
                                    decimal_places=2)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("-business_on", _("Newest first")), ("business_on", _("Oldest first")),
        ("number", _("Number")), ("-number", _("Number, descending")),
    ])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + [(k.code, k.label) for k in KINDS.values()]
        self.fields["status"].choices = [("", _("All statuses"))] + list(Status.choices)


class DocumentHeaderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int)
    to_warehouse = forms.TypedChoiceField(label=_("To warehouse"), coerce=int, required=False, empty_value=None,
                                          help_text=_("Only for a transfer."))
    partner = forms.TypedChoiceField(label=_("Partner"), coerce=int, required=False, empty_value=None,
                                     help_text=_("Supplier or customer, when the kind needs one."))
    business_on = forms.DateField(label=_("Business date"), required=False, widget=iso_date())
    memo = forms.CharField(label=_("Memo"), required=False, max_length=500)
    # a sales delivery (return) paid (refunded) in full at once: finance records the receipt (refund) at posting
    payment_method = forms.ChoiceField(
        label=_("Paid at once"), required=False, choices=PAYMENT_CHOICES,
        help_text=_("Sales deliveries and returns: paid (refunded) in full by this method when posted."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in creatable_kinds(user)]
        self.fields["warehouse"].choices = warehouse_choices(user, include_transit=False)
        everywhere = Warehouse.objects.filter(company_id=user.company_id, is_active=True)
        self.fields["to_warehouse"].choices = [("", "—")] + [
            (w.pk, w.name) for w in everywhere.exclude(kind=WarehouseKind.TRANSIT).order_by("code")
        ]
        partners = list(Partner.objects.filter(company_id=user.company_id, is_active=True).order_by("code"))
        # each partner once: one that is both supplier and customer has its own group (grouping by the roles
        # it plays listed it under both, and the select showed it twice)
        self.fields["partner"].choices = [("", "—")] + [
            (group, [(p.pk, f"{p.code} {p.name}") for p in partners if p.kind == kind])
            for group, kind in ((_("Customers"), PartnerKind.CUSTOMER), (_("Suppliers"), PartnerKind.SUPPLIER),
                                (_("Suppliers and customers"), PartnerKind.BOTH))
            if any(p.kind == kind for p in partners)
        ]


class DocumentEditForm(DocumentHeaderForm):
    """A draft's header: what the new-document form asks, less the kind (fixed once created), and whether the
    prices include tax. The warehouses and partner already on the draft stay choosable even if deactivated."""

    prices_include_tax = forms.BooleanField(label=_("Prices include tax"), required=False,
                                            widget=forms.CheckboxInput(attrs={"style": "width: 20px; height: 20px"}))

    def __init__(self, *args, user, doc, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.fields["kind"]
        if not get_kind(doc.kind).needs_to_warehouse:
            del self.fields["to_warehouse"]
        if get_kind(doc.kind).partner_role is None and doc.partner_id is None:
            del self.fields["partner"]
        if doc.kind not in PAID_KINDS or len((doc.custom or {}).get("payments") or []) > 1:
            del self.fields["payment_method"]  # a mixed payment is kept as entered (API)
        self._keep(doc.warehouse, "warehouse")
        if "to_warehouse" in self.fields:
            self._keep(doc.to_warehouse, "to_warehouse")
        if "partner" in self.fields and doc.partner is not None:
            listed = {pk for _g, group in self.fields["partner"].choices[1:] for pk, _label in group}
            if doc.partner.pk not in listed:
                self.fields["partner"].choices = [*self.fields["partner"].choices,
                                                  (doc.partner.pk, f"{doc.partner.code} {doc.partner.name}")]

    def _keep(self, obj, name):
        if obj is not None and obj.pk not in {pk for pk, _label in self.fields[name].choices}:
            self.fields[name].choices = [*self.fields[name].choices, (obj.pk, obj.name)]
