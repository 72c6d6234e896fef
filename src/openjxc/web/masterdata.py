"""Master-data pages: items, partners, warehouses with their locations.

Lists read with plain ORM reads (narrow columns, paged); creates and edits go through the
catalog / partners / stock services, and a DomainError is shown on the form (status 200), never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Barcode, Category, Item, Tracking, Unit
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.partners import services as partner_services
from openjxc.partners.models import Partner, PartnerKind, Region
from openjxc.stock import services as stock_services
from openjxc.stock.access import visible_warehouses
from openjxc.stock.models import Location, LocationKind, Warehouse, WarehouseKind
from openjxc.web.category_field import CategoryField
from openjxc.web.excel import export_list, wants_export
from openjxc.web.excel_lists import ITEMS_EXPORT, LOCATIONS_EXPORT, PARTNERS_EXPORT
from openjxc.web.form_pages import CHECKBOX, plain
from openjxc.web.lists import ACTIVE_CHOICES, active_filter, sort_keys
from openjxc.web.pages import company_object, company_page, paginate
from openjxc.web.paging import keyset_page


def _require_edit(user):
    if not permissions.allowed(user, "masterdata.edit"):
        raise PermissionDenied(_("You may not edit master data."))


# ---------------------------------------------------------------- items


class ItemFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Code, name or barcode")}))
    category = CategoryField(label=gettext_lazy("Category"), blank_label=gettext_lazy("All categories"))
    active = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ACTIVE_CHOICES)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("code", gettext_lazy("Code")), ("-code", gettext_lazy("Code, descending")),
        ("name", gettext_lazy("Name")), ("-name", gettext_lazy("Name, descending")),
    ])

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].bind(company_id)


class ItemForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    spec = forms.CharField(label=gettext_lazy("Specification"), max_length=200, required=False)
    category = CategoryField(label=gettext_lazy("Category"))
    base_unit = forms.TypedChoiceField(label=gettext_lazy("Base unit"), coerce=int)
    tracking = forms.ChoiceField(label=gettext_lazy("Tracking"), choices=Tracking.choices)
    shelf_life_days = forms.IntegerField(label=gettext_lazy("Shelf life (days)"), required=False, min_value=0)
    purchase_price = forms.DecimalField(label=gettext_lazy("Purchase price"), max_digits=18, decimal_places=6,
                                        initial=0)
    sale_price = forms.DecimalField(label=gettext_lazy("Sale price"), max_digits=18, decimal_places=6, initial=0)
    tax_rate = forms.DecimalField(label=gettext_lazy("Tax rate"), max_digits=5, decimal_places=4, initial="0.13",
                                  help_text=gettext_lazy("A fraction, e.g. 0.13"))
    barcode = forms.CharField(label=gettext_lazy("Add barcode"), max_length=64, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True,
                                   widget=CHECKBOX)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].bind(company_id)
        units = Unit.objects.filter(company_id=company_id).order_by("code")
        self.fields["base_unit"].choices = [(u.pk, f"{u.code} {u.name}") for u in units]


@company_page
def items(request):
    user = request.user
    form = ItemFilter(request.GET or None, company_id=user.company_id)
    qs = Item.objects.filter(company_id=user.company_id)
    order = "code"
    if form.is_valid():
        data = form.cleaned_data
        term = data["q"].strip()
        if term:
            qs = qs.filter(
                Q(code__icontains=term) | Q(name__icontains=term)
                | Q(pk__in=Barcode.objects.filter(item__company_id=user.company_id, code__icontains=term)
                    .values("item_id"))
            )
        if data["category"] is not None:
            qs = qs.filter(category_id=data["category"])
        qs = active_filter(qs, data["active"])
        order = data["sort"] or "code"
    keys = sort_keys(order)
    qs = qs.select_related("category", "base_unit").only(
        "id", "code", "name", "spec", "is_active", "sale_price", "category__name", "base_unit__name",
    ).order_by(*keys)
    if wants_export(request):
        return export_list(request, ITEMS_EXPORT, qs.defer(None))
    page = keyset_page(request, qs, keys)  # a deep page is a range read of the (company, code|name) index
    query = page.query
    return render(request, "web/masterdata/items.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _item_fields(data, company_id) -> dict:
    fields = {k: data[k] for k in ("code", "name", "spec", "tracking", "shelf_life_days", "purchase_price",
                                   "sale_price", "tax_rate", "is_active")}
    fields["code"] = fields["code"].strip()
    fields["category"] = (Category.objects.filter(company_id=company_id, pk=data["category"]).first()
                          if data["category"] else None)
    fields["base_unit"] = Unit.objects.filter(company_id=company_id, pk=data["base_unit"]).first()
    return fields


def _render_form(request, template, context):
    return render(request, f"web/masterdata/{template}", context)


@company_page
def item_new(request):
    user = request.user
    _require_edit(user)
    form = ItemForm(request.POST or None, company_id=user.company_id)
    error = ""
    if request.method == "POST" and form.is_valid():
        fields = _item_fields(form.cleaned_data, user.company_id)
        barcode = form.cleaned_data["barcode"].strip()
        try:
            item = catalog.create_item(by=user, barcodes=[barcode] if barcode else [], **fields)
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Item %(code)s was created.") % {"code": item.code})
            return redirect("web:item_card", pk=item.pk)
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("New item"), "back_url": "web:items", "back": _("Items"),
    })


@company_page
def item_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    item = company_object(Item, user, pk)
    initial = {
        "code": item.code, "name": item.name, "spec": item.spec, "category": item.category_id,
        "base_unit": item.base_unit_id, "tracking": item.tracking, "shelf_life_days": item.shelf_life_days,
        "purchase_price": plain(item.purchase_price), "sale_price": plain(item.sale_price),
        "tax_rate": plain(item.tax_rate),
        "is_active": item.is_active,
    }
    form = ItemForm(request.POST or None, company_id=user.company_id, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        fields = _item_fields(form.cleaned_data, user.company_id)
        barcode = form.cleaned_data["barcode"].strip()
        try:
            with transaction.atomic():
                catalog.update_item(item, by=user, **fields)
                if barcode:
                    catalog.add_barcode(item, by=user, code=barcode)
        except DomainError as err:
            item.refresh_from_db()
            error = err.render_message()
        else:
            messages.success(request, _("Item %(code)s was saved.") % {"code": item.code})
            return redirect("web:item_card", pk=item.pk)
    barcodes = list(item.barcodes.values_list("code", flat=True))
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("Edit item %(code)s") % {"code": item.code},
        "back_url": "web:items", "back": _("Items"), "extra": barcodes, "extra_label": _("Barcodes"),
    })


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

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(company_id=company_id).order_by("code")
        self.fields["region"].choices = [("", "—")] + [(r.pk, r.name) for r in regions]


PARTNER_FORM_FIELDS = ["code", "name", "kind", "region", "contact", "phone", "email", "address", "tax_number",
                       "credit_limit", "is_active"]


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
    return render(request, "web/masterdata/partners.html", {
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
    form = PartnerForm(request.POST or None, company_id=user.company_id)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            partner = partner_services.create_partner(by=user, **_partner_fields(form.cleaned_data, user.company_id))
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Partner %(code)s was created.") % {"code": partner.code})
            return redirect("web:partners")
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("New partner"), "back_url": "web:partners", "back": _("Partners"),
    })


@company_page
def partner_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    partner = company_object(Partner, user, pk)
    initial = {k: getattr(partner, k) for k in PARTNER_FORM_FIELDS if k != "region"}
    initial["region"] = partner.region_id
    initial["credit_limit"] = plain(partner.credit_limit)
    form = PartnerForm(request.POST or None, company_id=user.company_id, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            partner_services.update_partner(partner, by=user, **_partner_fields(form.cleaned_data, user.company_id))
        except DomainError as err:
            partner.refresh_from_db()
            error = err.render_message()
        else:
            messages.success(request, _("Partner %(code)s was saved.") % {"code": partner.code})
            return redirect("web:partners")
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("Edit partner %(code)s") % {"code": partner.code},
        "back_url": "web:partners", "back": _("Partners"),
    })


# ---------------------------------------------------------------- warehouses


class WarehouseForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[
        (WarehouseKind.WAREHOUSE, WarehouseKind.WAREHOUSE.label), (WarehouseKind.STORE, WarehouseKind.STORE.label),
    ])
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    allow_negative = forms.BooleanField(label=gettext_lazy("Allow negative stock"), required=False,
                                        widget=CHECKBOX)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True,
                                   widget=CHECKBOX)


class LocationForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    allow_negative = forms.BooleanField(label=gettext_lazy("Allow negative stock"), required=False,
                                        widget=CHECKBOX)


def _warehouse_fields(data) -> dict:
    return {**data, "code": data["code"].strip()}


@company_page
def warehouses(request):
    user = request.user
    qs = visible_warehouses(user, Warehouse.objects.exclude(kind=WarehouseKind.TRANSIT)).order_by("code", "id")
    if wants_export(request):
        return export_list(request, LOCATIONS_EXPORT, Location.objects.filter(
            warehouse__in=qs, kind=LocationKind.INTERNAL).order_by("warehouse__code", "code", "id"))
    page, query = paginate(request, qs)
    return render(request, "web/masterdata/warehouses.html", {
        "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def warehouse_new(request):
    user = request.user
    _require_edit(user)
    form = WarehouseForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = _warehouse_fields(form.cleaned_data)
        active = data.pop("is_active")
        try:
            with transaction.atomic():
                wh = stock_services.create_warehouse(by=user, **data)
                if not active:
                    stock_services.update_warehouse(wh, by=user, is_active=False)
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Warehouse %(code)s was created.") % {"code": wh.code})
            return redirect("web:warehouse_edit", pk=wh.pk)
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("New warehouse"), "back_url": "web:warehouses",
        "back": _("Warehouses"),
    })


def _own_warehouse(user, pk) -> Warehouse:
    wh = visible_warehouses(user, Warehouse.objects.exclude(kind=WarehouseKind.TRANSIT)).filter(pk=pk).first()
    if wh is None:
        raise Http404(_("Not found."))
    return wh


@company_page
def warehouse_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    wh = _own_warehouse(user, pk)
    initial = {k: getattr(wh, k) for k in ("code", "name", "kind", "address", "allow_negative", "is_active")}
    adding = request.method == "POST" and "add_location" in request.POST
    form = WarehouseForm(request.POST if request.method == "POST" and not adding else None, initial=initial)
    location_form = LocationForm(request.POST if adding else None)
    error = ""
    if adding and location_form.is_valid():
        data = location_form.cleaned_data
        try:
            loc = stock_services.create_location(by=user, warehouse=wh, code=data["code"].strip(), name=data["name"],
                                                 allow_negative=data["allow_negative"])
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Location %(code)s was added.") % {"code": loc.code})
            return redirect("web:warehouse_edit", pk=wh.pk)
    elif request.method == "POST" and not adding and form.is_valid():
        try:
            stock_services.update_warehouse(wh, by=user, **_warehouse_fields(form.cleaned_data))
        except DomainError as err:
            wh.refresh_from_db()
            error = err.render_message()
        else:
            messages.success(request, _("Warehouse %(code)s was saved.") % {"code": wh.code})
            return redirect("web:warehouses")
    locations = Location.objects.filter(warehouse=wh, kind=LocationKind.INTERNAL).order_by("code")
    return render(request, "web/masterdata/warehouse_form.html", {
        "form": form, "location_form": location_form, "error": error, "wh": wh, "locations": locations,
        "title": _("Edit warehouse %(code)s") % {"code": wh.code},
    })
