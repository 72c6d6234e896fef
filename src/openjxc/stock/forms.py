"""Forms of the stock pages: the balances filter; the warehouses a user may pick."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openjxc.stock.access import visible_warehouses
from openjxc.stock.models import Warehouse, WarehouseKind


def warehouse_choices(user, *, include_transit: bool):
    """The active warehouses `user` may work in, as (id, name) choices."""
    qs = visible_warehouses(user, Warehouse.objects.filter(is_active=True)).order_by("code")
    if not include_transit:
        qs = qs.exclude(kind=WarehouseKind.TRANSIT)
    return [(w.pk, w.name) for w in qs]


class BalanceFilter(forms.Form):
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), required=False, coerce=int, empty_value=None)
    item = forms.CharField(label=_("Item"), required=False, max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": _("Code or name"), "type": "search"}))
    lot = forms.CharField(label=_("Lot"), required=False, max_length=64,
                          widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", _("All warehouses"))] + warehouse_choices(user, include_transit=True)
