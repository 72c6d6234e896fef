"""A category on a form, at any size of catalogue.

A drop-down of every category is what people want while there are a few hundred; with 100,000 it is a
5-second page and a list nobody can use. `CategoryField` renders a drop-down (indented by depth) up to
`SELECT_UP_TO` categories and beyond that a text box taking the category's code (or a name only one
category has); either way it cleans to the category's id, or None when left empty.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Category

SELECT_UP_TO = 500


class CategoryField(forms.Field):
    def __init__(self, *, blank_label="—", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.blank_label = blank_label
        self.company_id = None
        self.exclude_path = ""
        self.as_select = True

    def bind(self, company_id: int, *, exclude_path: str = "") -> None:
        """Set the company (and, for a parent field, the subtree a category cannot move under)."""
        self.company_id, self.exclude_path = company_id, exclude_path
        qs = self._categories()
        self.as_select = qs.count() <= SELECT_UP_TO
        if self.as_select:
            cats = list(qs.order_by("path").only("id", "name", "path"))
            self.widget = forms.Select(choices=[("", self.blank_label)] + [
                (c.pk, "\u3000" * (c.path.count("/") - 2) + c.name) for c in cats])
        else:
            self.widget = forms.TextInput(attrs={"placeholder": _("Category code or name"), "type": "search"})

    def _categories(self):
        qs = Category.objects.filter(company_id=self.company_id)
        if self.exclude_path:  # a category cannot move below itself
            qs = qs.exclude(path__startswith=self.exclude_path)
        return qs

    def prepare_value(self, value):
        """What the widget shows: the id for the drop-down, the code in the text box."""
        if self.as_select or value in (None, ""):
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            code = self._categories().filter(pk=int(value)).values_list("code", flat=True).first()
            if code is not None:
                return code
        return value

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip()
        if not text:
            return None
        qs = self._categories()
        if self.as_select:
            if text.isdigit() and qs.filter(pk=int(text)).exists():
                return int(text)
            raise forms.ValidationError(_("Choose a category from the list."), code="invalid_choice")
        found = list(qs.filter(code=text).values_list("pk", flat=True)[:1]) or list(
            qs.filter(name=text).values_list("pk", flat=True)[:2])
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(_("No category has the code or name %(text)s."), code="not_found",
                                        params={"text": text})
        raise forms.ValidationError(_("Several categories are called %(text)s: type the code."), code="ambiguous",
                                    params={"text": text})
