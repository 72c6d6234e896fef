"""DomainError: every refusal in OpenJXC, with a dotted code, a translatable message and data.

The API renders it as {"code", "message", "data"} with `http_status`; the web UI shows the same
message. Subclasses exist for refusals that code elsewhere wants to catch by type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "error"
    http_status: int = 400
    message: Any = _("The request was refused.")

    # code and message are positional-only, so the data may itself hold a "code" (a barcode, an item code)
    def __init__(self, code: str | None = None, message: Any = None, /, *, http_status: int | None = None, **data):
        self.code = code or self.code
        if message is not None:
            self.message = message
        if http_status is not None:
            self.http_status = http_status
        self.data = data
        self.display: dict = {}  # words shown in the message instead of the raw data (translated nouns)
        super().__init__(f"{self.code}: {self.render_message()}")

    def render_message(self) -> str:
        """The message in the active language, with the data filled in."""
        text = str(self.message)
        try:
            return text % {**{k: _plain(v) for k, v in self.data.items()}, **{k: str(v) for k, v in self.display.items()}}
        except (KeyError, ValueError, TypeError):
            return text

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.render_message(), "data": {k: _plain(v) for k, v in self.data.items()}}


def _plain(value):
    """Data values as JSON-friendly scalars (ids, strings, numbers as strings)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


NOUNS = {
    "item": _("Item"),
    "unit": _("Unit"),
    "category": _("Category"),
    "warehouse": _("Warehouse"),
    "location": _("Location"),
    "lot": _("Lot"),
    "partner": _("Partner"),
    "region": _("Region"),
    "document": _("Document"),
    "line": _("Document line"),
    "kind": _("Document kind"),
    "user": _("User"),
    "token": _("API token"),
    "company": _("Company"),
    "barcode": _("Barcode"),
}


class NotFound(DomainError):
    http_status = 404
    message = _("%(what)s %(key)s was not found.")

    def __init__(self, what: str, key: Any, code: str | None = None):
        super().__init__(code or f"{what}.not_found", what=what, key=key)
        self.display = {"what": NOUNS.get(what, what)}
        self.args = (f"{self.code}: {self.render_message()}",)


class PermissionDenied(DomainError):
    code = "permission.denied"
    http_status = 403
    message = _("You are not allowed to do this: %(action)s.")


class NoCompany(DomainError):
    """The acting user belongs to no company: every business row belongs to one, so nothing can be done."""

    code = "user.no_company"
    http_status = 403
    message = _("Your account is not attached to a company.")


class ValidationFailed(DomainError):
    code = "validation.failed"
    http_status = 422
    message = _("The input is not valid: %(field)s %(reason)s")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class InsufficientStock(DomainError):
    code = "stock.insufficient"
    http_status = 409
    message = _(
        "Not enough stock of %(item)s at %(location)s: %(available)s available, %(requested)s requested."
    )

    def __init__(self, *, item, location, available, requested, lot=None):
        data = dict(item=item, location=location, available=available, requested=requested)
        if lot is not None:
            data["lot"] = lot
        super().__init__(**data)


class InvalidTransition(DomainError):
    code = "document.invalid_transition"
    http_status = 409
    message = _("Cannot %(action)s document %(number)s while it is %(status)s.")
