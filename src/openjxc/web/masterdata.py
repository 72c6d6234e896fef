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
from openjxc.web.views import _page, company_page

SEARCH = forms.TextInput(attrs={"type": "search"})
ACTIVE_CHOICES = [("", gettext_lazy("All")), ("1", gettext_lazy("Active")), ("0", gettext_lazy("Inactive"))]


def _require_edit(user):
    if not permissions.allowed(user, "masterdata.edit"):
        raise PermissionDenied(_("You may not edit master data."))


def _active_filter(qs, value: str):
    if value == "1":
        return qs.filter(is_active=True)
    if value == "0":
        return qs.filter(is_active=False)
    return qs


# ---------------------------------------------------------------- items


class ItemFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Code, name or barcode")}))
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None)
    active = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ACTIVE_CHOICES)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("code", gettext_lazy("Code")), ("-code", gettext_lazy("Code, descending")),
        ("name", gettext_lazy("Name")), ("-name", gettext_lazy("Name, descending")),
    ])

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        cats = Category.objects.filter(company_id=company_id).order_by("path", "code")
        self.fields["category"].choices = [("", _("All categories"))] + [(c.pk, c.name) for c in cats]


class ItemForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    spec = forms.CharField(label=gettext_lazy("Specification"), max_length=200, required=False)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None)
    base_unit = forms.TypedChoiceField(label=gettext_lazy("Base unit"), coerce=int)
    tracking = forms.ChoiceField(label=gettext_lazy("Tracking"), choices=Tracking.choices)
    shelf_life_days = forms.IntegerField(label=gettext_lazy("Shelf life (days)"), required=False, min_value=0)
    purchase_price = forms.DecimalField(label=gettext_lazy("Purchase price"), max_digits=18, decimal_places=4,
                                        initial=0)
    sale_price = forms.DecimalField(label=gettext_lazy("Sale price"), max_digits=18, decimal_places=4, initial=0)
    tax_rate = forms.DecimalField(label=gettext_lazy("Tax rate"), max_digits=5, decimal_places=4, initial="0.13",
                                  help_text=gettext_lazy("A fraction, e.g. 0.13"))
    barcode = forms.CharField(label=gettext_lazy("Add barcode"), max_length=64, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        cats = Category.objects.filter(company_id=company_id).order_by("path", "code")
        self.fields["category"].choices = [("", "—")] + [(c.pk, c.name) for c in cats]
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
        qs = _active_filter(qs, data["active"])
        order = data["sort"] or "code"
    qs = qs.select_related("category", "base_unit").only(
        "id", "code", "name", "spec", "is_active", "sale_price", "category__name", "base_unit__name",
    ).order_by(order, "id")
    page, query = _page(request, qs)
    return render(request, "web/masterdata/items.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _company_object(model, user, pk):
    obj = model.objects.filter(company_id=user.company_id, pk=pk).first()
    if obj is None:
        raise Http404(_("Not found."))
    return obj


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
    item = _company_object(Item, user, pk)
    initial = {
        "code": item.code, "name": item.name, "spec": item.spec, "category": item.category_id,
        "base_unit": item.base_unit_id, "tracking": item.tracking, "shelf_life_days": item.shelf_life_days,
        "purchase_price": item.purchase_price, "sale_price": item.sale_price, "tax_rate": item.tax_rate,
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
            error = err.render_message()
        else:
            messages.success(request, _("Item %(code)s was saved.") % {"code": item.code})
            return redirect("web:item_card", pk=item.pk)
    barcodes = list(item.barcodes.values_list("code", flat=True))
    return _render_form(request, "form.html", {
        "form": form, "error": error, "title": _("Edit item %(code)s") % {"code": item.code},
        "back_url": "web:items", "back": _("Items"), "extra": barcodes, "extra_label": _("Barcodes"),
    })
