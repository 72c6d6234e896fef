"""The barcodes of an item: each with the unit it stands for (a carton's barcode books a carton), added and
removed through the catalog services; linked from the item's edit page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Item, ItemUnit, Unit
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.web.form_pages import require_masterdata_edit, show_error
from openjxc.web.pages import company_object, company_page


class BarcodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Barcode"), max_length=64)
    unit = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int,
                                  help_text=gettext_lazy("What one scan of it counts: the base unit or a pack"))

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        packs = ItemUnit.objects.filter(item=item).select_related("unit").order_by("factor")
        self.fields["unit"].choices = [(item.base_unit_id, item.base_unit.name)] + [
            (iu.unit_id, f"{iu.unit.name} (×{iu.factor.normalize():f})") for iu in packs]


@company_page
def item_barcodes(request, pk: int):
    user = request.user
    item = company_object(Item, user, pk)
    can_edit = permissions.allowed(user, "masterdata.edit")
    removing = request.method == "POST" and "remove" in request.POST
    form = BarcodeForm(request.POST if request.method == "POST" and not removing else None, item=item)
    error = ""
    if request.method == "POST":
        require_masterdata_edit(user)
        try:
            if removing:
                code = request.POST.get("remove", "")
                catalog.remove_barcode(item, by=user, code=code)
                messages.success(request, _("Barcode %(code)s was removed.") % {"code": code})
                return redirect("web:item_barcodes", pk=item.pk)
            if form.is_valid():
                unit = company_object(Unit, user, form.cleaned_data["unit"])
                code = form.cleaned_data["code"].strip()
                # the base unit is stored as "no unit": a scan of it counts one base unit
                catalog.add_barcode(item, by=user, code=code, unit=None if unit.pk == item.base_unit_id else unit)
                messages.success(request, _("Barcode %(code)s was added.") % {"code": code})
                return redirect("web:item_barcodes", pk=item.pk)
        except DomainError as err:
            error = show_error(form, err)
    rows = item.barcodes.select_related("unit").order_by("code")
    return render(request, "catalog/item_barcodes.html", {
        "item": item, "rows": rows, "form": form, "error": error, "can_edit": can_edit,
    })
