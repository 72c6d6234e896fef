"""Partner pages: partners (suppliers and customers) and regions.

Lists read with plain ORM reads (narrow columns, paged); creates and edits go through the partners services,
and a DomainError is shown on the form (status 200), never a 500.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.partners import services as partner_services
from openjxc.partners.exports import PARTNERS_EXPORT
from openjxc.partners.models import Partner, PartnerKind, Region
from openjxc.web.excel import export_list, wants_export
from openjxc.web.form_pages import CHECKBOX, form_page, plain
from openjxc.web.form_pages import require_masterdata_edit as _require_edit
from openjxc.web.lists import (
    ACTIVE_CHOICES,
    active_filter,
    related_counts,
    searched,
)
from openjxc.web.pages import company_object, company_page
from openjxc.web.paging import keyset_page

# ---------------------------------------------------------------- partners


class PartnerFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Code, name, contact or phone")}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, choices=[
        ("", gettext_lazy("All kinds")), (PartnerKind.SUPPLIER, PartnerKind.SUPPLIER.label),
        (PartnerKind.CUSTOMER, PartnerKind.CUSTOMER.label),
    ])
    region = forms.TypedChoiceField(label=gettext_lazy("Region"), required=False, coerce=int, empty_value=None)
    active = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(company_id=company_id).order_by("code")
        self.fields["region"].choices = [("", _("All regions"))] + [(r.pk, r.name) for r in regions]


class PartnerForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PartnerKind.choices)
    region = forms.TypedChoiceField(label=gettext_lazy("Region"), required=False, coerce=int, empty_value=None)
    contact = forms.CharField(label=gettext_lazy("Contact"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}))
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    tax_number = forms.CharField(label=gettext_lazy("Tax number"), max_length=50, required=False)
    credit_limit = forms.DecimalField(label=gettext_lazy("Credit limit"), max_digits=18, decimal_places=2,
                                      required=False, min_value=0)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True,
                                   widget=CHECKBOX)
    is_walk_in = forms.BooleanField(label=gettext_lazy("Walk-in customer (pays at once, no balance)"),
                                    required=False, widget=CHECKBOX)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(company_id=company_id).order_by("code")
        self.fields["region"].choices = [("", "—")] + [(r.pk, r.name) for r in regions]


PARTNER_FORM_FIELDS = ["code", "name", "kind", "region", "contact", "phone", "email", "address", "tax_number",
                       "credit_limit", "is_active", "is_walk_in"]


@company_page
def partners(request):
    user = request.user
    form = PartnerFilter(request.GET or None, company_id=user.company_id)
    qs = Partner.objects.filter(company_id=user.company_id)
    if form.is_valid():
        data = form.cleaned_data
        term = data["q"].strip()
        if term:
            qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(contact__icontains=term)
                           | Q(phone__icontains=term))
        if data["kind"]:
            qs = qs.filter(kind__in=[data["kind"], PartnerKind.BOTH])
        if data["region"] is not None:
            qs = qs.filter(region_id=data["region"])
        qs = active_filter(qs, data["active"])
    qs = qs.select_related("region").only(
        "id", "code", "name", "kind", "contact", "phone", "is_active", "region__name",
    ).order_by("code")
    if wants_export(request):
        return export_list(request, PARTNERS_EXPORT, qs.defer(None))
    page = keyset_page(request, qs, ["code"])  # code is unique in the company: the (company, code) index
    query = page.query
    return render(request, "partners/partners.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _partner_fields(data, company_id) -> dict:
    fields = {k: data[k] for k in PARTNER_FORM_FIELDS}
    fields["code"] = fields["code"].strip()
    fields["region"] = (Region.objects.filter(company_id=company_id, pk=data["region"]).first()
                        if data["region"] else None)
    return fields


@company_page
def partner_new(request):
    user = request.user
    _require_edit(user)
    return form_page(
        request, PartnerForm(request.POST or None, company_id=user.company_id),
        lambda data: partner_services.create_partner(by=user, **_partner_fields(data, user.company_id)),
        template="web/form.html",
        context={"title": _("New partner"), "back_url": "web:partners", "back": _("Partners")},
        saved=lambda partner: (_("Partner %(code)s was created.") % {"code": partner.code}, "web:partners"),
    )


@company_page
def partner_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    partner = company_object(Partner, user, pk)
    initial = {k: getattr(partner, k) for k in PARTNER_FORM_FIELDS if k != "region"}
    initial["region"] = partner.region_id
    initial["credit_limit"] = plain(partner.credit_limit)

    def save(data):
        partner_services.update_partner(partner, by=user, **_partner_fields(data, user.company_id))
        return partner

    return form_page(
        request, PartnerForm(request.POST or None, company_id=user.company_id, initial=initial), save,
        template="web/form.html", refresh=partner.refresh_from_db,
        context={"title": _("Edit partner %(code)s") % {"code": partner.code}, "back_url": "web:partners",
                 "back": _("Partners"),
                 # which stores' tills may name a customer: its own page (the sync app's, by URL name)
                 **({"extra_label": _("Tills"), "extra": [_("the stores whose tills may sell to this customer")],
                     "extra_url": reverse("web:customer_stores", args=[partner.pk]), "extra_link": _("Store limits")}
                    if partner.plays("customer") else {})},
        saved=lambda partner: (_("Partner %(code)s was saved.") % {"code": partner.code}, "web:partners"),
    )


# ---------------------------------------------------------------- regions


class RegionForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = forms.TypedChoiceField(label=gettext_lazy("Parent region"), required=False, coerce=int,
                                    empty_value=None)

    def __init__(self, *args, company_id, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Region.objects.filter(company_id=company_id).order_by("code")
        if exclude:
            qs = qs.exclude(pk=exclude)
        self.fields["parent"].choices = [("", "—")] + [(r.pk, f"{r.code} {r.name}") for r in qs]


@company_page
def regions(request):
    user = request.user
    base = Region.objects.filter(company_id=user.company_id).select_related("parent")
    form, qs, keys = searched(request, base)
    page = keyset_page(request, qs, keys)
    query = page.query
    counts = related_counts(Partner.objects.filter(company_id=user.company_id), "region_id", page.object_list)
    for r in page.object_list:
        r.n_partners = counts.get(r.pk, 0)
    return render(request, "partners/regions.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _region_save(request, region=None):
    user = request.user
    _require_edit(user)
    initial = {"code": region.code, "name": region.name, "parent": region.parent_id} if region else {}

    def save(data):
        fields = {"code": data["code"].strip(), "name": data["name"],
                  "parent": company_object(Region, user, data["parent"]) if data["parent"] else None}
        if region is None:
            return partner_services.create_region(by=user, **fields)
        partner_services.update_region(region, by=user, **fields)
        return region

    title = _("Edit region %(code)s") % {"code": region.code} if region else _("New region")
    return form_page(
        request, RegionForm(request.POST or None, company_id=user.company_id, exclude=region.pk if region else None,
                            initial=initial), save,
        template="web/form.html", refresh=region.refresh_from_db if region else None,
        context={"title": title, "back_url": "web:regions", "back": _("Regions")},
        saved=lambda region: (_("Region %(code)s was saved.") % {"code": region.code}, "web:regions"),
    )


@company_page
def region_new(request):
    return _region_save(request)


@company_page
def region_edit(request, pk: int):
    return _region_save(request, company_object(Region, request.user, pk))
