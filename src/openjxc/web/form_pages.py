"""Helpers of the create and edit pages: one helper for the page (`form_page`), one renderer of a refusal beside
its field (`show_error`), widgets, a decimal as typed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
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


def form_page(request, form, save: Callable, *, template: str, context: dict | None = None,
              saved: Callable, refresh: Callable | None = None, error_fields: dict[str, str] | None = None,
              error: str = ""):
    """One create or edit page. On a valid POST `save(cleaned_data)` calls the service; when it succeeds,
    `saved(result)` gives the success message and where to go next (a URL name and its arguments, or a path)
    and the browser is redirected there. A DomainError is shown beside the field it names, else on top of the
    page (`show_error`), after `refresh()` reloads what the refused change may have touched in memory; the form
    comes back with what was typed, status 200, never a 500. `error` is the page's alert before any save."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except DomainError as err:
            if refresh is not None:
                refresh()
            error = show_error(form, err, error_fields)
        else:
            message, to = saved(result)
            messages.success(request, message)
            return redirect(*to) if isinstance(to, tuple) else redirect(to)
    return render(request, template, {**(context or {}), "form": form, "error": error})
