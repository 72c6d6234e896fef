"""Price list pages: the lists, and one list's prices as rows of item and unit codes; who the list prices for."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import pricing
from openjxc.catalog.models import (
    CustomerGroup,
    Item,
    PriceList,
    PriceListItem,
    Unit,
)
from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.quantities import parse_decimal
from openjxc.partners.models import Partner, PartnerKind
from openjxc.web.form_pages import CHECKBOX, plain, show_error
from openjxc.web.form_pages import require_masterdata_edit as _require_edit
from openjxc.web.lists import (
    related_counts,
    search,
)
from openjxc.web.pages import company_object, company_page
from openjxc.web.paging import keyset_page

# ---------------------------------------------------------------- price lists


class PriceListFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name")}))
    active = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[
        ("", gettext_lazy("All")), ("1", gettext_lazy("Active")), ("0", gettext_lazy("Inactive"))])


class PriceListForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    partner = forms.TypedChoiceField(label=gettext_lazy("Customer"), required=False, coerce=int, empty_value=None,
                                     help_text=gettext_lazy("Leave customer and group empty: for everyone"))
    customer_group = forms.TypedChoiceField(label=gettext_lazy("Customer group"), required=False, coerce=int,
                                            empty_value=None)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True, widget=CHECKBOX)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        customers = Partner.objects.filter(company_id=company_id, kind__in=[PartnerKind.CUSTOMER, PartnerKind.BOTH])
        self.fields["partner"].choices = [("", "—")] + [
            (p.pk, f"{p.code} {p.name}") for p in customers.order_by("code")]
        groups = CustomerGroup.objects.filter(company_id=company_id).order_by("code")
        self.fields["customer_group"].choices = [("", "—")] + [(g.pk, f"{g.code} {g.name}") for g in groups]


PRICE_ROWS = 3


def _price_rows(post) -> list[dict]:
    keys = ("item", "unit", "min_qty", "price", "tax")
    cols = {k: post.getlist(f"p_{k}") for k in keys}
    n = max(len(cols["item"]), len(cols["price"]))
    return [{k: (cols[k][i] if i < len(cols[k]) else "").strip() for k in keys} for i in range(n)]


def _price_inputs(company_id: int, rows: list[dict]) -> list[pricing.PriceInput]:
    """The rows of the form as PriceInputs; an item and a unit are typed by their codes."""
    out = []
    for n, row in enumerate(rows, start=1):
        if not row["item"] and not row["price"]:
            continue
        item = Item.objects.filter(company_id=company_id, code=row["item"]).first()
        if item is None:
            raise ValidationFailed(field=_("line %(n)s") % {"n": n},
                                   reason=_("item %(code)s was not found") % {"code": row["item"] or "—"})
        unit = None
        if row["unit"]:
            u = Unit.objects.filter(company_id=company_id, code=row["unit"]).first()
            if u is None:
                raise ValidationFailed(field=_("line %(n)s") % {"n": n},
                                       reason=_("unit %(code)s was not found") % {"code": row["unit"]})
            unit = u.pk
        line = _("line %(n)s") % {"n": n}
        if not row["price"]:
            raise ValidationFailed(field=line, reason=_("needs a price and a number"))
        price = parse_decimal(row["price"], line, places=6)
        min_qty = parse_decimal(row["min_qty"] or "0", line, places=4)
        out.append(pricing.PriceInput(item=item.pk, unit=unit, price=price, min_quantity=min_qty,
                                      tax_inclusive=row["tax"] != "0"))
    return out


def price_list_users(pl: PriceList):
    """The customers this list prices for: its customer, its group's members, or everyone (None)."""
    if pl.partner_id:
        return [pl.partner]
    if pl.customer_group_id:
        return list(pl.customer_group.members.order_by("code"))
    return None


@company_page
def price_lists(request):
    user = request.user
    form = PriceListFilter(request.GET or None)
    qs = PriceList.objects.filter(company_id=user.company_id)
    if form.is_valid():
        qs = search(qs, form.cleaned_data["q"], "name")
        if form.cleaned_data["active"] in ("0", "1"):
            qs = qs.filter(is_active=form.cleaned_data["active"] == "1")
    # names may repeat: the id breaks ties, so a keyset page never skips or repeats a price list
    page = keyset_page(request, qs.select_related("partner", "customer_group"), ["name", "id"])
    query = page.query
    counts = related_counts(PriceListItem.objects.all(), "price_list_id", page.object_list)
    for pl in page.object_list:
        pl.n_prices = counts.get(pl.pk, 0)
    return render(request, "catalog/price_lists.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _price_list_save(request, pl=None):
    user = request.user
    initial = {"is_active": True}
    rows: list[dict] = []
    if pl is not None:
        initial = {k: getattr(pl, k) for k in ("name", "valid_from", "valid_to", "is_active")}
        initial.update(partner=pl.partner_id, customer_group=pl.customer_group_id)
        rows = [{"item": r.item.code, "name": r.item.name, "unit": r.unit.code, "min_qty": plain(r.min_quantity),
                 "price": plain(r.price), "tax": "1" if r.tax_inclusive else "0"}
                for r in PriceListItem.objects.filter(price_list=pl).select_related("item", "unit")
                .order_by("item__code", "min_quantity")]
    form = PriceListForm(request.POST or None, company_id=user.company_id, initial=initial)
    if request.method == "POST":
        rows = _price_rows(request.POST)
    rows += [{"item": "", "unit": "", "min_qty": "", "price": "", "tax": "1"}] * max(0, PRICE_ROWS - len(rows))
    error = ""
    if request.method == "POST":
        _require_edit(user)
        if "delete" in request.POST and pl is not None:
            try:
                pricing.delete_price_list(pl, by=user)
            except DomainError as err:
                error = err.render_message()
            else:
                messages.success(request, _("Price list %(name)s was deleted.") % {"name": pl.name})
                return redirect("web:price_lists")
        elif form.is_valid():
            data = form.cleaned_data
            fields = {
                "valid_from": data["valid_from"], "valid_to": data["valid_to"], "is_active": data["is_active"],
                "partner": company_object(Partner, user, data["partner"]) if data["partner"] else None,
                "customer_group": (company_object(CustomerGroup, user, data["customer_group"])
                                   if data["customer_group"] else None),
            }
            try:
                prices = _price_inputs(user.company_id, rows)
                if pl is None:
                    pl = pricing.create_price_list(by=user, name=data["name"], prices=prices, **fields)
                else:
                    pricing.update_price_list(pl, by=user, name=data["name"], prices=prices, **fields)
            except DomainError as err:
                if pl is not None and pl.pk:
                    pl.refresh_from_db()
                error = show_error(form, err)
            else:
                messages.success(request, _("Price list %(name)s was saved.") % {"name": pl.name})
                return redirect("web:price_list_edit", pk=pl.pk)
    else:
        _require_edit(user)
    return render(request, "catalog/price_list_form.html", {
        "form": form, "rows": rows, "error": error, "pl": pl,
        "users": price_list_users(pl) if pl is not None else None,
        "title": _("Edit price list %(name)s") % {"name": pl.name} if pl else _("New price list"),
    })


@company_page
def price_list_new(request):
    return _price_list_save(request)


@company_page
def price_list_edit(request, pk: int):
    return _price_list_save(request, company_object(PriceList, request.user, pk))
