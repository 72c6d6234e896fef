"""Stock pages: the balances list, an item's card (its ledger, newest first), warehouses with their locations."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog.models import (
    Item,
)
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.stock import selectors
from openjxc.stock import services as stock_services
from openjxc.stock.access import scoped_warehouse_ids, visible_warehouses
from openjxc.stock.exports import BALANCES_EXPORT, ITEM_CARD_EXPORT, LOCATIONS_EXPORT
from openjxc.stock.forms import BalanceFilter
from openjxc.stock.models import Location, LocationKind, Warehouse, WarehouseKind
from openjxc.web.excel import export_list, wants_export
from openjxc.web.form_pages import CHECKBOX, form_page
from openjxc.web.form_pages import require_masterdata_edit as _require_edit
from openjxc.web.pages import company_page, paginate


@company_page
def balances(request):
    user = request.user
    form = BalanceFilter(request.GET or None, user=user)
    scope = scoped_warehouse_ids(user)
    warehouse_ids = scope
    qs = selectors.balances(user.company_id, warehouse_ids=warehouse_ids)
    if form.is_valid():
        wh = form.cleaned_data["warehouse"]
        if wh is not None:
            qs = qs.filter(location__warehouse_id=wh)
        if form.cleaned_data["item"]:
            term = form.cleaned_data["item"].strip()
            qs = qs.filter(Q(item__code__icontains=term) | Q(item__name__icontains=term))
        if form.cleaned_data["lot"]:
            qs = qs.filter(lot__code__icontains=form.cleaned_data["lot"].strip())
    qs = qs.select_related("item__base_unit")
    if wants_export(request):
        return export_list(request, BALANCES_EXPORT, qs)
    show_value = permissions.allowed(user, "stock.cost")
    totals = qs.aggregate(q=Sum("quantity"), v=Sum("value"))
    page, query = paginate(request, qs)
    return render(request, "stock/balances.html", {
        "form": form, "page": page, "query": query, "show_value": show_value, "totals": totals,
    })


CARD_ROWS = 100  # moves per page of the item card
EXPORT_ROWS = 100_000  # the card's export: its whole history up to this many moves


@company_page
def item_card(request, pk: int):
    user = request.user
    item = Item.objects.filter(company_id=user.company_id, pk=pk).select_related("base_unit", "category").first()
    if item is None:
        raise Http404(_("Item not found."))
    warehouses = list(visible_warehouses(user, Warehouse.objects.all()).order_by("code"))
    chosen = request.GET.get("warehouse")
    scope = scoped_warehouse_ids(user)
    ids = scope
    if chosen and chosen.isdigit() and any(w.pk == int(chosen) for w in warehouses):
        ids = {int(chosen)}
    if wants_export(request):  # the whole history, newest first
        return export_list(request, ITEM_CARD_EXPORT,
                           selectors.item_ledger(user.company_id, item.pk, warehouse_ids=ids, limit=EXPORT_ROWS))
    before = request.GET.get("before")
    before_id = int(before) if before and before.isdigit() and len(before) < 19 else None
    # newest first (what people look for on a card), a page at a time back through the history
    rows = selectors.item_ledger(user.company_id, item.pk, warehouse_ids=ids, limit=CARD_ROWS + 1, before=before_id)
    older = rows[CARD_ROWS]["move"].pk + 1 if len(rows) > CARD_ROWS else None  # next page: before the last shown
    rows = rows[:CARD_ROWS]
    on_hand = selectors.balances(user.company_id, warehouse_ids=ids, item_id=item.pk)
    return render(request, "stock/item_card.html", {
        "item": item, "rows": rows, "warehouses": warehouses, "chosen": chosen or "",
        "older": older, "paged": before_id is not None,
        "on_hand": on_hand, "show_value": permissions.allowed(user, "stock.cost"),
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
    return render(request, "stock/warehouses.html", {
        "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def warehouse_new(request):
    user = request.user
    _require_edit(user)

    @transaction.atomic
    def save(data):
        data = _warehouse_fields(data)
        active = data.pop("is_active")
        wh = stock_services.create_warehouse(by=user, **data)
        if not active:
            stock_services.update_warehouse(wh, by=user, is_active=False)
        return wh

    return form_page(
        request, WarehouseForm(request.POST or None), save, template="web/form.html",
        context={"title": _("New warehouse"), "back_url": "web:warehouses", "back": _("Warehouses")},
        saved=lambda wh: (_("Warehouse %(code)s was created.") % {"code": wh.code}, ("web:warehouse_edit", wh.pk)),
    )


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
    return render(request, "stock/warehouse_form.html", {
        "form": form, "location_form": location_form, "error": error, "wh": wh, "locations": locations,
        "title": _("Edit warehouse %(code)s") % {"code": wh.code},
    })
