"""Money, rates and dates for a locale, with Babel; money exact from minor units (Decimal, never float)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import NumberPattern, format_percent

from billing_shared.money import exponent


@cache
def _currency_pattern(locale: str, digits: int) -> NumberPattern:
    pattern = copy.copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (digits, digits)  # the ISO 4217 exponent, not CLDR's idea of it
    return pattern


def minor_to_decimal(amount: int, currency: str) -> Decimal:
    """Exact major units: 123456 USD -> Decimal('1234.56'), 1234 JPY -> Decimal('1234')."""
    return Decimal(amount).scaleb(-exponent(currency))


def format_money(amount: int, currency: str, locale: str) -> str:
    """123456 EUR in de_DE -> '1.234,56\xa0€'; en_US USD -> '$1,234.56'; KWD shows 3 decimals."""
    digits = exponent(currency)
    value = minor_to_decimal(amount, currency)
    return _currency_pattern(locale, digits).apply(value, locale, currency=currency, currency_digits=False)


def format_rate(rate: str, locale: str) -> str:
    """'0.2' -> '20%' (en_US), '0.075' -> '7,5 %' (de_DE): every digit of the exact rate is kept."""
    return format_percent(Decimal(rate), locale=locale, decimal_quantization=False)


def format_day(day: date, locale: str) -> str:
    return _babel_format_date(day, format="medium", locale=locale)
