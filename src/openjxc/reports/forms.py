"""The cycle-time page's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openjxc.documents.kinds import KINDS
from openjxc.stock.access import visible_warehouses
from openjxc.stock.models import Warehouse, WarehouseKind


def _date(label):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class CycleTimeFilter(forms.Form):
    start = _date(_("From"))
    end = _date(_("To"))
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), required=False, coerce=int, empty_value=None)
    compare_start = _date(_("Compare from"))
    compare_end = _date(_("Compare to"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + [(k.code, k.label) for k in KINDS.values()]
        qs = visible_warehouses(user, Warehouse.objects.filter(is_active=True)).exclude(kind=WarehouseKind.TRANSIT)
        self.fields["warehouse"].choices = [("", _("All warehouses"))] + [(w.pk, w.name) for w in qs.order_by("code")]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("must not be before the start"))
        cs, ce = data.get("compare_start"), data.get("compare_end")
        if cs and ce and ce < cs:
            self.add_error("compare_end", _("must not be before the start"))
        return data
