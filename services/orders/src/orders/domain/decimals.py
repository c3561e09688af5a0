"""Exact decimals from JSON (tax rates, percent-off): parsed without float, shown in one canonical form.

A client may send a rate as a string ("0.0725") or as a JSON number (0.0725); the API parses JSON
numbers straight into `Decimal`, so both arrive exact. A Python float never gets this far: 0.1 as a
float is not one tenth, and a rate that is off by 1e-17 is a different rate.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Plain decimal notation only: no exponent, no blanks, no underscores, no NaN/Infinity in strings.
_PLAIN = re.compile(r"-?\d+(\.\d+)?")
MAX_TEXT = 20  # the width of the rate and percent-off columns


def exact_decimal(value: object) -> Decimal:
    """The exact value of a JSON string or number; ValueError saying why when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        kind = "a float" if isinstance(value, float) else type(value).__name__
        raise ValueError(f'Must be a decimal string such as "0.2" or a JSON number, not {kind}.')
    if isinstance(value, str):
        if not _PLAIN.fullmatch(value):
            raise ValueError(f"'{value[:40]}' is not a plain decimal number such as \"0.0725\".")
        value = Decimal(value)
    elif isinstance(value, int):
        value = Decimal(value)
    if not value.is_finite():
        raise ValueError("Must be a finite number.")
    return value


def canonical(value: Decimal) -> str:
    """The shortest exact text, never in exponent form: 0.20 -> "0.2", 7.00 -> "7", 0E+1 -> "0".

    `Decimal.normalize()` is not used: it rounds to the context's 28 digits, and this must not round.
    """
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_in_range(value: object, *, low: Decimal, high: Decimal, low_open: bool, high_open: bool) -> Decimal:
    """An exact decimal within the interval, in canonical form (trailing zeros dropped)."""
    number = exact_decimal(value)
    if (number <= low if low_open else number < low) or (number >= high if high_open else number > high):
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(
            f"Must be in {left}{canonical(low)}, {canonical(high)}{right}, got {canonical(number)}."
        )
    text = canonical(number)
    if len(text) > MAX_TEXT:
        raise ValueError(f"At most {MAX_TEXT} characters once trailing zeros are dropped, got '{text}'.")
    return Decimal(text)
