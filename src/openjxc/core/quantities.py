"""Decimal quantities and money: parsing, quantizing and the precisions we store."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import ValidationFailed

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


def parse_decimal(value, field: str, *, places: int | None = None, negative: bool = False, zero: bool = True,
                  maximum: Decimal = MAX_VALUE) -> Decimal:
    """A number typed or sent by a client, as a Decimal; ValidationFailed naming `field` when it is not one.

    Refused: what is not a finite number (booleans neither), a negative number unless `negative`, zero
    unless `zero`, beyond `maximum` in size (the columns' limit by default), more than `places` decimal
    places. Floats go through their shortest text (0.1 stays 0.1)."""
    if isinstance(value, bool):
        raise ValidationFailed(field=field, reason=_("is not a number"))
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    if not d.is_finite():
        raise ValidationFailed(field=field, reason=_("is not a number"))
    if (d < 0 and not negative) or (d == 0 and not zero):
        if negative:
            reason = _("must not be zero")
        else:
            reason = _("must not be negative") if zero else _("must be greater than zero")
        raise ValidationFailed(field=field, reason=reason)
    if abs(d) > maximum:
        raise ValidationFailed(field=field, reason=_("is too large"))
    if places is not None and d != d.quantize(Decimal(1).scaleb(-places)):
        raise ValidationFailed(field=field, reason=_("has too many decimal places (at most %(places)s)")
                               % {"places": places})
    return d
