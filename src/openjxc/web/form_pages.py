"""Helpers of the create and edit pages: widgets, a decimal as typed, and a refusal shown beside its field."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError

# a checkbox sits at the start of its field (app.css styles only text inputs and selects)
CHECKBOX = forms.CheckboxInput(attrs={"style": "align-self: flex-start; width: 20px; height: 20px"})

# a Conflict on a unique key names no field: it belongs beside the key's field
CONFLICT_FIELDS = {"code_taken": "code", "username_taken": "username"}


def iso_date():
    """<input type="date"> takes only ISO dates, not the language's format (2026/11/25 in Chinese shows empty)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def plain(value: Decimal | None) -> str:
    """A decimal as typed by a person: 26.000000 -> "26", 0.1300 -> "0.13"."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def show_error(form, err: DomainError, fields: dict[str, str] | None = None) -> str:
    """Put the refusal beside the field it names (its `field`, the key of a `*_taken` conflict, or the field
    `fields` maps its code to); return it as the page's alert when it names no field of the form."""
    field = (fields or {}).get(err.code) or err.data.get("field") or CONFLICT_FIELDS.get(err.code.rsplit(".", 1)[-1])
    if isinstance(field, str):
        field = field.split("[", 1)[0].split(".", 1)[0]
    message = err.render_message()
    if form is not None and field in form.fields:
        form.add_error(field, message)
        return ""
    return message


def require_masterdata_edit(user) -> None:
    """The master-data pages' create and edit forms are for users allowed to edit master data."""
    if not permissions.allowed(user, "masterdata.edit"):
        raise PermissionDenied(_("You may not edit master data."))
