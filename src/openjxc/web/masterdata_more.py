"""More master-data pages: units and item units, the category tree, regions, price lists.

Same rules as masterdata.py: lists are plain ORM reads ordered on an indexed key ((company, code) is a
unique index) and paged; every change goes through the catalog / partners services, and a DomainError
is shown beside the field it names (status 200), never a 500.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import pricing
from openjxc.catalog import services as catalog
from openjxc.catalog.models import Category, CustomerGroup, Item, ItemUnit, PriceList, PriceListItem, Unit
from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.partners import services as partner_services
from openjxc.partners.models import Partner, PartnerKind, Region
from openjxc.web.category_field import CategoryField
from openjxc.web.form_pages import CHECKBOX, plain, show_error
from openjxc.web.lists import SearchFilter, related_counts, search, searched
from openjxc.web.masterdata import _require_edit
from openjxc.web.pages import company_object, company_page
from openjxc.web.paging import keyset_page

# ---------------------------------------------------------------- units


class UnitForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=16)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=32)


@company_page
def units(request):
    user = request.user
    form, qs, keys = searched(request, Unit.objects.filter(company_id=user.company_id).only("id", "code", "name"))
    page = keyset_page(request, qs, keys)
    query = page.query
    return render(request, "web/masterdata/units.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def unit_new(request):
    user = request.user
    _require_edit(user)
    form = UnitForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            unit = catalog.create_unit(by=user, code=form.cleaned_data["code"].strip(), name=form.cleaned_data["name"])
        except DomainError as err:
            error = show_error(form, err)
        else:
            messages.success(request, _("Unit %(code)s was created.") % {"code": unit.code})
            return redirect("web:units")
    return render(request, "web/masterdata/form.html", {
        "form": form, "error": error, "title": _("New unit"), "back_url": "web:units", "back": _("Units"),
    })


@company_page
def unit_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    unit = company_object(Unit, user, pk)
    deleting = request.method == "POST" and "delete" in request.POST
    form = UnitForm(request.POST if request.method == "POST" and not deleting else None,
                    initial={"code": unit.code, "name": unit.name})
    error = delete_error = ""
    if deleting:
        try:
            catalog.delete_unit(unit, by=user)
        except DomainError as err:
            delete_error = err.render_message()  # shown beside the delete button
        else:
            messages.success(request, _("Unit %(code)s was deleted.") % {"code": unit.code})
            return redirect("web:units")
    elif request.method == "POST" and form.is_valid():
        try:
            catalog.update_unit(unit, by=user, code=form.cleaned_data["code"].strip(), name=form.cleaned_data["name"])
        except DomainError as err:
            unit.refresh_from_db()
            error = show_error(form, err)
        else:
            messages.success(request, _("Unit %(code)s was saved.") % {"code": unit.code})
            return redirect("web:units")
    used_by = Item.objects.filter(company_id=user.company_id, base_unit=unit).count() + \
        ItemUnit.objects.filter(item__company_id=user.company_id, unit=unit).count()
    return render(request, "web/masterdata/unit_form.html", {
        "form": form, "error": error, "delete_error": delete_error, "unit": unit, "used_by": used_by,
        "title": _("Edit unit %(code)s") % {"code": unit.code},
    })


# ---------------------------------------------------------------- item units (箱 = 12 瓶)


class ItemUnitForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int)
    factor = forms.DecimalField(label=gettext_lazy("Base units in one"), max_digits=18, decimal_places=6,
                                help_text=gettext_lazy("e.g. 12 when a box holds 12 bottles"))

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Unit.objects.filter(company_id=item.company_id).exclude(pk=item.base_unit_id).order_by("code")
        self.fields["unit"].choices = [(u.pk, f"{u.code} {u.name}") for u in qs]


@company_page
def item_units(request, pk: int):
    user = request.user
    item = company_object(Item, user, pk)
    can_edit = permissions.allowed(user, "masterdata.edit")
    removing = request.method == "POST" and "remove" in request.POST
    form = ItemUnitForm(request.POST if request.method == "POST" and not removing else None, item=item)
    error = ""
    if request.method == "POST":
        _require_edit(user)
        try:
            if removing:
                unit = company_object(Unit, user, request.POST.get("remove") or 0)
                catalog.remove_item_unit(item, by=user, unit=unit)
                messages.success(request, _("Unit %(code)s was removed from the item.") % {"code": unit.code})
                return redirect("web:item_units", pk=item.pk)
            if form.is_valid():
                unit = company_object(Unit, user, form.cleaned_data["unit"])
                catalog.add_item_unit(item, by=user, unit=unit, factor=form.cleaned_data["factor"])
                messages.success(request, _("1 %(unit)s = %(factor)s %(base)s was saved.") % {
                    "unit": unit.name, "factor": plain(form.cleaned_data["factor"]), "base": item.base_unit.name})
                return redirect("web:item_units", pk=item.pk)
        except DomainError as err:
            error = show_error(form, err)
    rows = ItemUnit.objects.filter(item=item).select_related("unit").order_by("unit__code")
    return render(request, "web/masterdata/item_units.html", {
        "item": item, "rows": rows, "form": form, "error": error, "can_edit": can_edit,
    })


# ---------------------------------------------------------------- categories (a tree, with path)


class CategoryFilter(SearchFilter):
    under = forms.TypedChoiceField(label=gettext_lazy("Under"), required=False, coerce=int, empty_value=None)
    sort = None

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        roots = Category.objects.filter(company_id=company_id, parent__isnull=True).order_by("code")
        self.fields["under"].choices = [("", _("Whole tree"))] + [(c.pk, c.name) for c in roots]


class CategoryForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = CategoryField(label=gettext_lazy("Parent category"), help_text=gettext_lazy("Empty: a top-level category"))

    def __init__(self, *args, company_id, exclude_path: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].bind(company_id, exclude_path=exclude_path)


def category_paths(company_id: int, cats) -> dict[int, str]:
    """Each category's full path of names (食品 › 乳制品 › 鲜奶), reading only the ancestors of `cats`."""
    ids = {int(x) for c in cats for x in c.path.strip("/").split("/") if x}
    names = dict(Category.objects.filter(company_id=company_id, pk__in=ids).values_list("pk", "name"))
    return {c.pk: " › ".join(names.get(int(x), "?") for x in c.path.strip("/").split("/") if x) for c in cats}


@company_page
def categories(request):
    user = request.user
    form = CategoryFilter(request.GET or None, company_id=user.company_id)
    qs = Category.objects.filter(company_id=user.company_id)
    if form.is_valid():
        qs = search(qs, form.cleaned_data["q"], "code", "name")
        if form.cleaned_data["under"]:
            root = Category.objects.filter(company_id=user.company_id, pk=form.cleaned_data["under"]).first()
            if root is not None:
                qs = qs.filter(path__startswith=root.path)
    # tree order: the path holds the ancestors' ids, so a subtree follows its root
    # unique: it ends with the category's own id; keyset paging on the (company, path) index
    page = keyset_page(request, qs, ["path"])
    query = page.query
    rows = list(page.object_list)
    paths = category_paths(user.company_id, rows)
    counts = related_counts(Item.objects.filter(company_id=user.company_id), "category_id", rows)
    for c in rows:
        c.n_items = counts.get(c.pk, 0)
        c.depth = c.path.count("/") - 2
        c.full_path = paths.get(c.pk, c.name)
    return render(request, "web/masterdata/categories.html", {
        "form": form, "page": page, "rows": rows, "query": query,
        "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def category_new(request):
    user = request.user
    _require_edit(user)
    form = CategoryForm(request.POST or None, company_id=user.company_id,
                        initial={"parent": request.GET.get("parent")})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = company_object(Category, user, data["parent"]) if data["parent"] else None
        try:
            cat = catalog.create_category(by=user, code=data["code"].strip(), name=data["name"], parent=parent)
        except DomainError as err:
            error = show_error(form, err)
        else:
            messages.success(request, _("Category %(code)s was created.") % {"code": cat.code})
            return redirect("web:categories")
    return render(request, "web/masterdata/form.html", {
        "form": form, "error": error, "title": _("New category"), "back_url": "web:categories",
        "back": _("Categories"),
    })


@company_page
def category_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    cat = company_object(Category, user, pk)
    form = CategoryForm(request.POST or None, company_id=user.company_id, exclude_path=cat.path,
                        initial={"code": cat.code, "name": cat.name, "parent": cat.parent_id})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = company_object(Category, user, data["parent"]) if data["parent"] else None
        try:
            catalog.update_category(cat, by=user, code=data["code"].strip(), name=data["name"], parent=parent)
        except DomainError as err:
            cat.refresh_from_db()
            error = show_error(form, err)
        else:
            messages.success(request, _("Category %(code)s was saved.") % {"code": cat.code})
            return redirect("web:categories")
    return render(request, "web/masterdata/form.html", {
        "form": form, "error": error, "title": _("Edit category %(code)s") % {"code": cat.code},
        "back_url": "web:categories", "back": _("Categories"),
        "extra": [category_paths(user.company_id, [cat])[cat.pk]], "extra_label": _("Path"),
    })


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
    return render(request, "web/masterdata/regions.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _region_save(request, region=None):
    user = request.user
    _require_edit(user)
    initial = {"code": region.code, "name": region.name, "parent": region.parent_id} if region else {}
    form = RegionForm(request.POST or None, company_id=user.company_id, exclude=region.pk if region else None,
                      initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"code": data["code"].strip(), "name": data["name"],
                  "parent": company_object(Region, user, data["parent"]) if data["parent"] else None}
        try:
            if region is None:
                region = partner_services.create_region(by=user, **fields)
            else:
                partner_services.update_region(region, by=user, **fields)
        except DomainError as err:
            if region is not None and region.pk:
                region.refresh_from_db()
            error = show_error(form, err)
        else:
            messages.success(request, _("Region %(code)s was saved.") % {"code": region.code})
            return redirect("web:regions")
    title = _("Edit region %(code)s") % {"code": region.code} if region and region.pk else _("New region")
    return render(request, "web/masterdata/form.html", {
        "form": form, "error": error, "title": title, "back_url": "web:regions", "back": _("Regions"),
    })


@company_page
def region_new(request):
    return _region_save(request)


@company_page
def region_edit(request, pk: int):
    return _region_save(request, company_object(Region, request.user, pk))


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
        try:
            price = Decimal(row["price"] or "x")
            min_qty = Decimal(row["min_qty"] or "0")
        except InvalidOperation:
            raise ValidationFailed(field=_("line %(n)s") % {"n": n}, reason=_("needs a price and a number")) from None
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
    return render(request, "web/masterdata/price_lists.html", {
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
    return render(request, "web/masterdata/price_list_form.html", {
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
