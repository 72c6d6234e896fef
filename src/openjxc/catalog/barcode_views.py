"""The barcodes of an item: each with the unit it stands for (a carton's barcode books a carton), added and
removed through the catalog services; linked from the item's edit page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.item_parts import ItemPart, item_part_page
from openjxc.catalog.models import Item, ItemUnit, Unit
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


def _add(item: Item, user, data: dict) -> str:
    unit = company_object(Unit, user, data["unit"])
    code = data["code"].strip()
    # the base unit is stored as "no unit": a scan of it counts one base unit
    catalog.add_barcode(item, by=user, code=code, unit=None if unit.pk == item.base_unit_id else unit)
    return _("Barcode %(code)s was added.") % {"code": code}


def _remove(item: Item, user, code: str) -> str:
    catalog.remove_barcode(item, by=user, code=code)
    return _("Barcode %(code)s was removed.") % {"code": code}


BARCODES = ItemPart(
    url_name="web:item_barcodes", template="catalog/item_barcodes.html", form=BarcodeForm,
    rows=lambda item: item.barcodes.select_related("unit").order_by("code"), add=_add, remove=_remove,
)


@company_page
def item_barcodes(request, pk: int):
    return item_part_page(request, pk, BARCODES)
