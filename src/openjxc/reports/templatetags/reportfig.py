"""How a report figure reads on the page: by its unit (money, quantity, percentage, days, times, count)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from openjxc.core.display import format_money, format_quantity, format_unit_amount

register = template.Library()
MASK = "***"


@register.filter
def fig(value, unit: str = "money") -> str:
    """A figure for reading: 1,234.56 · 39.61% · 12.5 · 0.21; an empty figure is a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, Decimal | int | float) or isinstance(value, bool):
        return str(value)
    d = Decimal(str(value))
    if unit == "money":
        return format_money(d)
    if unit == "price":
        return format_unit_amount(d)
    if unit == "qty":
        return format_quantity(d)
    if unit == "percent":
        return f"{d:,.2f}%"
    if unit in ("days", "hours"):
        return f"{d:,.1f}"
    if unit == "times":
        return f"{d:,.2f}"
    if unit == "count":
        return f"{d:,.0f}"
    return str(d)


@register.filter
def raw(value) -> str:
    """The exact figure (for `data-value`): what the KPI function returned, as text."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
