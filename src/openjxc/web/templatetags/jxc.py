"""Template filters for quantities, money and document kinds."""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from openjxc.core.display import format_money, format_quantity, format_unit_amount, to_decimal
from openjxc.web import layout
from openjxc.web.paging import PARAMS

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
    return any(v.strip() for k, values in query.lists() if k not in PARAMS and k != "export" for v in values)


@register.simple_tag(takes_context=True)
def layout_header(context):
    """The top bar's pieces the apps registered (web/layout.py), each rendered with its own context."""
    request = context.get("request")
    return mark_safe("".join(get_template(h.template).render(h.context(request)) for h in layout.header_items()))  # noqa: S308 - our own templates
