"""Template filters for quantities, money and document kinds."""

from __future__ import annotations

from django import template

from openjxc.core.display import format_money, format_quantity, format_unit_amount, to_decimal
from openjxc.documents.kinds import KINDS

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros, grouped by thousands: 1,234.5 (core/display.py)"""
    return format_quantity(value)


@register.filter
def money(value) -> str:
    """An amount with two decimals, grouped by thousands: 12,345.60 (core/display.py)"""
    return format_money(value)


@register.filter
def money_whole(value) -> str:
    """An amount rounded to whole units for KPI cards: 256,469"""
    d = to_decimal(value)
    if d is None:
        return ""
    return f"{d:,.0f}"


@register.filter
def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


@register.filter
def kind_prefix(code: str) -> str:
    kind = KINDS.get(code)
    return kind.prefix if kind else ""


@register.filter
def is_negative(value) -> bool:
    d = to_decimal(value)
    return d is not None and d < 0


@register.filter
def price(value) -> str:
    """A unit price or cost: 2 decimals, more only when the value needs them: 5.00, 0.125 (core/display.py)"""
    return format_unit_amount(value)


@register.filter
def per(value, divisor):
    """value / divisor, or None when the divisor is zero (a unit cost from a value and a quantity)."""
    v, d = to_decimal(value), to_decimal(divisor)
    if v is None or not d:
        return None
    return v / d


@register.filter
def has_filters(query) -> bool:
    """Whether a list page's query string holds a filter (a non-empty value other than the pager's position,
    the sort order's default or an export request): the filter panel opens and says "applied" only then."""
    from openjxc.web.paging import PARAMS

    return any(v.strip() for k, values in query.lists() if k not in PARAMS and k != "export" for v in values)
