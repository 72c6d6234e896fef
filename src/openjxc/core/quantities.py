"""Decimal quantities and money: parsing, quantizing and the precisions we store."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

QTY_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")
COST_PLACES = Decimal("0.000001")
ZERO = Decimal("0")
# The largest quantity or amount a field holds (max_digits=18): anything above is refused.
MAX_VALUE = Decimal("99999999999999")


def qty(value) -> Decimal:
    return _to_decimal(value).quantize(QTY_PLACES, rounding=ROUND_HALF_UP)


def money(value) -> Decimal:
    return _to_decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def cost(value) -> Decimal:
    return _to_decimal(value).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def _to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # floats only ever arrive from hand-written callers; go through str to avoid binary noise
        value = repr(value)
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
