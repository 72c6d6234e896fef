"""Catalogue pages: items, units and item units (箱 = 12 瓶), the category tree.

Lists are plain ORM reads ordered on an indexed key ((company, code) is a unique index) and paged; every
change goes through the catalog services, and a DomainError is shown beside the field it names (status 200),
never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog import services as catalog
from openjxc.catalog.category_field import CategoryField
from openjxc.catalog.exports import ITEMS_EXPORT
from openjxc.catalog.item_parts import ItemPart, item_part_page
from openjxc.catalog.models import (
    Barcode,
    Category,
    Item,
    ItemUnit,
    Tracking,
    Unit,
)
from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.web.excel import export_list, wants_export
from openjxc.web.form_pages import CHECKBOX, form_page, plain, show_error
from openjxc.web.form_pages import require_masterdata_edit as _require_edit
from openjxc.web.lists import (
    ACTIVE_CHOICES,
    SearchFilter,
    active_filter,
    related_counts,
    search,
    searched,
    sort_keys,
)
from openjxc.web.pages import company_object, company_page
from openjxc.web.paging import keyset_page

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
    standard_cost = forms.DecimalField(
        label=gettext_lazy("Standard cost"), max_digits=18, decimal_places=6, required=False, min_value=0,
        help_text=gettext_lazy("Issued at this cost while the item has no cost history (else the purchase price)"))
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
    return render(request, "catalog/items.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


def _item_fields(data, company_id) -> dict:
    fields = {k: data[k] for k in ("code", "name", "spec", "tracking", "shelf_life_days", "purchase_price",
                                   "standard_cost", "sale_price", "tax_rate", "is_active")}
    fields["code"] = fields["code"].strip()
    fields["category"] = (Category.objects.filter(company_id=company_id, pk=data["category"]).first()
                          if data["category"] else None)
    fields["base_unit"] = Unit.objects.filter(company_id=company_id, pk=data["base_unit"]).first()
    return fields


@company_page
def item_new(request):
    user = request.user
    _require_edit(user)

    def save(data):
        barcode = data["barcode"].strip()
        return catalog.create_item(by=user, barcodes=[barcode] if barcode else [],
                                   **_item_fields(data, user.company_id))

    return form_page(
        request, ItemForm(request.POST or None, company_id=user.company_id), save, template="web/form.html",
        context={"title": _("New item"), "back_url": "web:items", "back": _("Items")},
        saved=lambda item: (_("Item %(code)s was created.") % {"code": item.code}, ("web:item_card", item.pk)),
    )


@company_page
def item_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    item = company_object(Item, user, pk)
    initial = {
        "code": item.code, "name": item.name, "spec": item.spec, "category": item.category_id,
        "base_unit": item.base_unit_id, "tracking": item.tracking, "shelf_life_days": item.shelf_life_days,
        "purchase_price": plain(item.purchase_price), "standard_cost": plain(item.standard_cost),
        "sale_price": plain(item.sale_price),
        "tax_rate": plain(item.tax_rate),
        "is_active": item.is_active,
    }

    @transaction.atomic
    def save(data):
        catalog.update_item(item, by=user, **_item_fields(data, user.company_id))
        if data["barcode"].strip():
            catalog.add_barcode(item, by=user, code=data["barcode"].strip())
        return item

    return form_page(
        request, ItemForm(request.POST or None, company_id=user.company_id, initial=initial), save,
        template="web/form.html", refresh=item.refresh_from_db,
        context={"title": _("Edit item %(code)s") % {"code": item.code}, "back_url": "web:items", "back": _("Items"),
                 "extra": [f"{bc.code} ({(bc.unit or item.base_unit).name})" for bc in
                           item.barcodes.select_related("unit").order_by("code")],
                 "extra_label": _("Barcodes"), "extra_url": reverse("web:item_barcodes", args=[item.pk]),
                 "extra_link": _("Add or remove barcodes")},
        saved=lambda item: (_("Item %(code)s was saved.") % {"code": item.code}, ("web:item_card", item.pk)),
    )


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
    return render(request, "catalog/units.html", {
        "form": form, "page": page, "query": query, "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def unit_new(request):
    user = request.user
    _require_edit(user)
    return form_page(
        request, UnitForm(request.POST or None),
        lambda data: catalog.create_unit(by=user, code=data["code"].strip(), name=data["name"]),
        template="web/form.html", context={"title": _("New unit"), "back_url": "web:units", "back": _("Units")},
        saved=lambda unit: (_("Unit %(code)s was created.") % {"code": unit.code}, "web:units"),
    )


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
    return render(request, "catalog/unit_form.html", {
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


def _add_unit(item: Item, user, data: dict) -> str:
    unit = company_object(Unit, user, data["unit"])
    catalog.add_item_unit(item, by=user, unit=unit, factor=data["factor"])
    return _("1 %(unit)s = %(factor)s %(base)s was saved.") % {
        "unit": unit.name, "factor": plain(data["factor"]), "base": item.base_unit.name}


def _remove_unit(item: Item, user, value: str) -> str:
    unit = company_object(Unit, user, value or 0)
    catalog.remove_item_unit(item, by=user, unit=unit)
    return _("Unit %(code)s was removed from the item.") % {"code": unit.code}


ITEM_UNITS = ItemPart(
    url_name="web:item_units", template="catalog/item_units.html", form=ItemUnitForm,
    rows=lambda item: ItemUnit.objects.filter(item=item).select_related("unit").order_by("unit__code"),
    add=_add_unit, remove=_remove_unit,
)


@company_page
def item_units(request, pk: int):
    return item_part_page(request, pk, ITEM_UNITS)


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
    return render(request, "catalog/categories.html", {
        "form": form, "page": page, "rows": rows, "query": query,
        "can_edit": permissions.allowed(user, "masterdata.edit"),
    })


@company_page
def category_new(request):
    user = request.user
    _require_edit(user)

    def save(data):
        parent = company_object(Category, user, data["parent"]) if data["parent"] else None
        return catalog.create_category(by=user, code=data["code"].strip(), name=data["name"], parent=parent)

    return form_page(
        request, CategoryForm(request.POST or None, company_id=user.company_id,
                              initial={"parent": request.GET.get("parent")}), save,
        template="web/form.html",
        context={"title": _("New category"), "back_url": "web:categories", "back": _("Categories")},
        saved=lambda cat: (_("Category %(code)s was created.") % {"code": cat.code}, "web:categories"),
    )


@company_page
def category_edit(request, pk: int):
    user = request.user
    _require_edit(user)
    cat = company_object(Category, user, pk)

    def save(data):
        parent = company_object(Category, user, data["parent"]) if data["parent"] else None
        catalog.update_category(cat, by=user, code=data["code"].strip(), name=data["name"], parent=parent)
        return cat

    return form_page(
        request, CategoryForm(request.POST or None, company_id=user.company_id, exclude_path=cat.path,
                              initial={"code": cat.code, "name": cat.name, "parent": cat.parent_id}), save,
        template="web/form.html", refresh=cat.refresh_from_db,
        context={"title": _("Edit category %(code)s") % {"code": cat.code}, "back_url": "web:categories",
                 "back": _("Categories"), "extra": [category_paths(user.company_id, [cat])[cat.pk]],
                 "extra_label": _("Path")},
        saved=lambda cat: (_("Category %(code)s was saved.") % {"code": cat.code}, "web:categories"),
    )
