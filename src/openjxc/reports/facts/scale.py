"""Decimal quantities and money to the facts' integer scales (reports/models.py) and back."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from openjxc.reports.models import MONEY_SCALE, QTY_SCALE

_MONEY = Decimal(1) / MONEY_SCALE
_QTY = Decimal(1) / QTY_SCALE


def scaled(value, scale: int) -> int:
    """`value` (Decimal, or the float / int / str SQLite hands back) times `scale`, rounded half up."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        d = Decimal(value)
    return int((d * scale).to_integral_value(rounding=ROUND_HALF_UP))


def fen(value) -> int:
    return scaled(value, MONEY_SCALE)


def units(value) -> int:
    return scaled(value, QTY_SCALE)


def money_of(fen_value: int | None) -> Decimal:
    return (Decimal(int(fen_value or 0)) * _MONEY).quantize(_MONEY)


def qty_of(units_value: int | None) -> Decimal:
    return (Decimal(int(units_value or 0)) * _QTY).quantize(_QTY)
