"""Money: integer minor units plus an ISO 4217 code. Never float.

The currency's exponent (JPY 0, USD 2, KWD 3) comes from the ISO 4217 data shipped by
the `iso4217` package, not from a table typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from iso4217 import Currency


class UnknownCurrency(ValueError):
    pass


@cache
def exponent(code: str) -> int:
    """Minor-unit exponent of an ISO 4217 currency (USD → 2)."""
    try:
        cur = Currency(code.upper())
    except ValueError:
        raise UnknownCurrency(f"'{code}' is not an ISO 4217 currency code") from None
    exp = cur.exponent
    if exp is None:  # funds and metals (XAU, XDR) have no minor unit: not for billing
        raise UnknownCurrency(f"'{code}' has no minor unit and cannot be billed")
    return int(exp)


def is_currency(code: str) -> bool:
    try:
        exponent(code)
    except UnknownCurrency:
        return False
    return code == code.upper()


def round_half_up(value: Decimal) -> int:
    """The platform's one rounding rule: half-up, away from zero, to a whole minor unit."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, order=True)
class Money:
    amount: int  # in the currency's minor unit
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int in minor units")
        exponent(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def to_decimal(self) -> Decimal:
        """Major units, exact (for display only)."""
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def __str__(self) -> str:
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency}"
