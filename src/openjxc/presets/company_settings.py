"""The company settings a preset file may carry, each read and changed through the service that owns it.

Each service checks its own rules (stock tracking can't be switched off once stock has moved, …) and writes
its own audit record and event; a preset only calls them for the values that differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from openjxc.core import company_settings as core_settings
from openjxc.core.models import Company
from openjxc.documents import orders
from openjxc.sync import terminals

from .format import PresetInvalid


@dataclass(frozen=True)
class Setting:
    read: Callable[[Company], Any]
    write: Callable[..., Any]  # write(value, by=user)
    clean: Callable[[Any], Any]  # the value as stored and compared, or ValueError


def _bool(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _choice(*choices: str) -> Callable[[Any], str]:
    def clean(value) -> str:
        if value not in choices:
            raise ValueError
        return value
    return clean


def _percent(value) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if isinstance(value, bool) or not number.is_finite() or not 0 <= number <= 100:
        raise ValueError
    return number


def _terminal_thresholds(value) -> dict:
    if not isinstance(value, dict) or set(value) - set(terminals.DEFAULTS):
        raise ValueError
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in value.values()):
        raise ValueError
    return value


SETTINGS: dict[str, Setting] = {
    "stock_tracking": Setting(
        read=core_settings.tracks_stock, clean=_bool,
        write=lambda value, by: core_settings.set_stock_tracking(by=by, enabled=value)),
    "vat": Setting(
        read=core_settings.applies_vat, clean=_bool,
        write=lambda value, by: core_settings.set_vat(by=by, enabled=value)),
    "payable_from": Setting(
        read=core_settings.payable_from, clean=_choice(*core_settings.PAYABLE_FROM),
        write=lambda value, by: core_settings.set_payable_from(by=by, source=value)),
    "over_receipt_tolerance": Setting(
        read=orders.over_receipt_tolerance, clean=_percent,
        write=lambda value, by: orders.set_order_settings(by=by, over_receipt_tolerance=value)),
    "refuse_sales_beyond_available": Setting(
        read=lambda company: bool((company.settings or {}).get("refuse_sales_beyond_available", False)),
        clean=_bool, write=lambda value, by: orders.set_order_settings(by=by, refuse_sales_beyond_available=value)),
    "terminals": Setting(
        read=lambda company: terminals.terminal_settings(company), clean=_terminal_thresholds,
        write=lambda value, by: terminals.set_terminal_settings(by=by, **value)),
}


def check(settings: dict) -> dict:
    """The file's settings cleaned; an unknown key or a wrong value refuses the whole file."""
    out = {}
    for key, value in settings.items():
        if key not in SETTINGS:
            raise PresetInvalid(field=f"settings.{key}", reason=_("is not a company setting a preset can carry"))
        try:
            out[key] = SETTINGS[key].clean(value)
        except ValueError:
            raise PresetInvalid(field=f"settings.{key}", reason=_("has a value it cannot take")) from None
    return out


def differing(company: Company, settings: dict) -> dict:
    """The cleaned settings whose value differs from the company's."""
    out = {}
    for key, value in settings.items():
        current = SETTINGS[key].read(company)
        if key == "terminals":
            current = {k: current[k] for k in value}
        if current != value:
            out[key] = value
    return out


def apply(settings: dict, *, by) -> None:
    """Change each setting through its own service (in the caller's transaction)."""
    for key, value in settings.items():
        SETTINGS[key].write(value, by=by)


def read_all(company: Company) -> dict:
    """Every setting a preset can carry, as the company has it (for an export)."""
    out = {}
    for key, setting in SETTINGS.items():
        value = setting.read(company)
        out[key] = format(value.normalize(), "f") if isinstance(value, Decimal) else value
    return out
