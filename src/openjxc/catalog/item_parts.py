"""The pages that list an item's parts and add or remove one — its barcodes (barcode_views.py) and its units
(views.py `item_units`): one page body, given what differs (the form, the rows, how to add and remove one), and one
template (catalog/item_part.html) whose blocks each page fills."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from openjxc.catalog.models import Item
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.web.form_pages import require_masterdata_edit, show_error
from openjxc.web.pages import company_object


@dataclass(frozen=True)
class ItemPart:
    url_name: str  # the page's own URL name (it redirects to itself after a change)
    template: str  # extends catalog/item_part.html
    form: type[forms.Form]  # built with item=…
    rows: Callable[[Item], object]  # what the page lists
    add: Callable[[Item, object, dict], str]  # (item, user, the form's cleaned data) -> the message to show
    remove: Callable[[Item, object, str], str]  # (item, user, the posted "remove" value) -> the message to show


def item_part_page(request, pk: int, part: ItemPart):
    """List the item's parts; add one (the form) or remove one (a "remove" button), through the catalog services."""
    user = request.user
    item = company_object(Item, user, pk)
    can_edit = permissions.allowed(user, "masterdata.edit")
    removing = request.method == "POST" and "remove" in request.POST
    form = part.form(request.POST if request.method == "POST" and not removing else None, item=item)
    error = ""
    if request.method == "POST":
        require_masterdata_edit(user)
        try:
            if removing:
                messages.success(request, part.remove(item, user, request.POST.get("remove", "")))
                return redirect(part.url_name, pk=item.pk)
            if form.is_valid():
                messages.success(request, part.add(item, user, form.cleaned_data))
                return redirect(part.url_name, pk=item.pk)
        except DomainError as err:
            error = show_error(form, err)
    return render(request, part.template, {
        "item": item, "rows": part.rows(item), "form": form, "error": error, "can_edit": can_edit,
    })
