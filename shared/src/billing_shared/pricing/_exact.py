"""Exact decimal text for rationals, and the bridge to the platform's one rounding rule.

Every rounding in pricing goes through `billing_shared.money.round_half_up`. Pricing itself runs on
Python ints; a rounding step builds the exact value as decimal text from ints and hands it to
`round_half_up`. A quotient that does not terminate (an inclusive tax's net, `base / (1 + r)`) is cut
after `CUT` decimals first: cutting a non-negative value toward zero after at least one decimal never
changes its half-up rounding, because the boundary `n + 0.5` has one decimal, so a value at or above
it is still at or above it once cut, and a value below it stays below.
"""

from __future__ import annotations

from decimal import Decimal

from billing_shared.money import round_half_up

from .errors import PricingError, PricingTypeError

CUT = 12  # decimals kept of a non-terminating quotient: enough for a human, exact for rounding
_CUT_SCALE = 10**CUT
ELLIPSIS = "…"  # marks a cut quotient in a trace's `exact`


def scaled_str(numerator: int, scale: int) -> str:
    """`numerator / 10**scale` as plain decimal text without trailing zeros (numerator >= 0):
    (11994, 1) -> "1199.4", (725000, 4) -> "72.5", (5940, 1) -> "594"."""
    if scale == 0:
        return str(numerator)
    digits = str(numerator).rjust(scale + 1, "0")
    fraction = digits[-scale:].rstrip("0")
    return f"{digits[:-scale]}.{fraction}" if fraction else digits[:-scale]


def ratio_str(numerator: int, denominator: int) -> tuple[str, bool]:
    """`numerator / denominator` (both > 0 or numerator 0) as decimal text and whether it terminated.

    A terminating quotient (within `CUT` decimals) is given in full; another is cut after `CUT` decimals,
    without the ellipsis: the caller adds it where a human reads it.
    """
    cut, rest = divmod(numerator * _CUT_SCALE, denominator)
    return scaled_str(cut, CUT), not rest


def plain(value: Decimal) -> str:
    """A non-negative Decimal as plain decimal text, never scientific or signed: 1E-7 -> "0.0000001",
    -0 -> "0". What clients and the event contracts read (`^[0-9]+(\\.[0-9]+)?$`)."""
    return format(value.copy_abs(), "f")


def half_up(text: str) -> int:
    """Round the exact decimal `text` with the platform's rule (`money.round_half_up`)."""
    return round_half_up(Decimal(text))


def decimal_parts(value: object, field: str) -> tuple[int, int]:
    """Check an exact, finite Decimal and split it into (coefficient, scale): 0.0725 -> (725, 4).

    Floats are refused with a TypeError (`PricingTypeError`): 0.1 is not one tenth. Ints, bools and
    strings are refused too, so a rate is always a `Decimal` the caller parsed on purpose. The range is
    the caller's check; a negative value comes back with a negative coefficient.
    """
    if not isinstance(value, Decimal):
        kind = "a float" if isinstance(value, float) else type(value).__name__
        raise PricingTypeError(field, f"must be an exact Decimal, not {kind}")
    if not value.is_finite():
        raise PricingError(field, f"must be a finite number, got {value}")
    sign, digits, exp = value.as_tuple()
    coefficient = int("".join(map(str, digits))) * (-1 if sign else 1)
    scale = -int(exp)
    if scale < 0:
        return coefficient * 10**-scale, 0
    return coefficient, scale
