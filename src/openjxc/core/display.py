"""How numbers are shown to people — pages, prints, exports — written once so they agree everywhere.

The stored precision does not change (quantities 4 decimals, money 2, unit costs 6). A person reads:

- a quantity without trailing zeros: 12, 1.5, 0.125 (never 12.0000);
- money with 2 decimals: 1,234.50;
- a unit price or unit cost with 2 decimals, more only when the value needs them: 5.00, and 0.125 or 1.2345
  exactly as entered; a computed average such as 3.071667 is rounded to 2 decimals (to 4 below 1, where
  2 would hide most of it: 0.0333).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EXACT_UNIT_PLACES = 4  # a unit price/cost with up to this many decimals is shown exactly


def to_decimal(value) -> Decimal | None:
    """`value` as a finite Decimal, or None (empty, not a number)."""
    if value is None or value == "":
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() else None


def _places(d: Decimal) -> int:
    """Decimals `d` needs, trailing zeros not counted."""
    exponent = d.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0  # 'n', 'N', 'F': not a finite number


def quantity_places(d: Decimal) -> int:
    return _places(d)


def unit_amount_places(d: Decimal) -> int:
    """Decimals to show for a unit price or unit cost (see the module docstring)."""
    places = _places(d)
    if places <= 2:
        return 2
    if places <= EXACT_UNIT_PLACES:
        return places
    return 2 if abs(d) >= 1 else 4


def format_quantity(value, *, grouping: bool = True) -> str:
    """A quantity without trailing zeros, grouped by thousands: 1,234.5"""
    d = to_decimal(value)
    if d is None:
        return ""
    d = d.normalize()
    return f"{d:{',' if grouping else ''}.{quantity_places(d)}f}"


def format_money(value) -> str:
    """An amount with two decimals, grouped by thousands: 12,345.60"""
    d = to_decimal(value)
    if d is None:
        return ""
    return f"{d.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def format_unit_amount(value, *, grouping: bool = True) -> str:
    """A unit price or unit cost: 5.00, 0.125, 3.07 (from 3.071667)"""
    d = to_decimal(value)
    if d is None:
        return ""
    places = unit_amount_places(d)
    rounded = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:{',' if grouping else ''}.{places}f}"


def excel_unit_amount_format(value) -> str:
    """The Excel number format showing a unit price or cost as `format_unit_amount` does (the cell keeps the
    exact value)."""
    d = to_decimal(value)
    places = unit_amount_places(d) if d is not None else 2
    return "#,##0." + "0" * places


EXCEL_MONEY = "#,##0.00"
EXCEL_QUANTITY = "General"  # Excel's General shows 12 and 1.5: no trailing zeros
