"""Helpers of the list pages: a search box, the active/inactive filter, sort keys for keyset paging, counts."""

from __future__ import annotations

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

ACTIVE_CHOICES = [("", gettext_lazy("All")), ("1", gettext_lazy("Active")), ("0", gettext_lazy("Inactive"))]


def sort_keys(order: str) -> list[str]:
    """The keyset paging keys of a list sorted by `order` ("code", "-name", ...): the code is unique in the
    company, so alone it is enough; any other column gets the id as tie-breaker, in the same direction (one
    direction for all keys lets the database read an index range)."""
    if order.lstrip("-") == "code":
        return [order]
    return [order, "-id" if order.startswith("-") else "id"]


def active_filter(qs, value: str):
    """Narrow to active ("1") or inactive ("0") rows; any other value keeps them all."""
    if value == "1":
        return qs.filter(is_active=True)
    if value == "0":
        return qs.filter(is_active=False)
    return qs


def search(qs, term: str, *fields):
    """Rows where any of `fields` contains `term` (all rows for an empty term)."""
    term = (term or "").strip()
    if not term:
        return qs
    cond = Q()
    for f in fields:
        cond |= Q(**{f"{f}__icontains": term})
    return qs.filter(cond)


class SearchFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Code or name")}))
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("code", gettext_lazy("Code")), ("-code", gettext_lazy("Code, descending")),
        ("name", gettext_lazy("Name")), ("-name", gettext_lazy("Name, descending")),
    ])


def searched(request, qs):
    """A code-and-name list filtered by the search box and sorted as chosen: (form, queryset, keyset keys)."""
    form = SearchFilter(request.GET or None)
    order = "code"
    if form.is_valid():
        qs = search(qs, form.cleaned_data["q"], "code", "name")
        order = form.cleaned_data["sort"] or "code"
    # code is unique in the company: the (company, code) index gives the order, no tie-breaker needed
    keys = sort_keys(order)
    return form, qs.order_by(*keys), keys


def related_counts(qs, key: str, rows) -> dict[int, int]:
    """How many rows of `qs` point at each of `rows` (one grouped query for the page, not the table)."""
    return dict(qs.filter(**{f"{key}__in": [r.pk for r in rows]}).values_list(key).annotate(n=Count("id"))
                .values_list(key, "n"))
