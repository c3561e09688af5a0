"""Field validators every service's schemas share, so a country or a currency is checked one way."""

from __future__ import annotations

from typing import Any

import pycountry
from marshmallow import ValidationError, fields, validate

from billing_shared.money import is_currency


def country(value: str) -> None:
    if len(value) != 2 or not value.isupper() or pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError("Must be an ISO 3166-1 alpha-2 country code, e.g. 'US' or 'DE'.")


def currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError("Must be an upper-case ISO 4217 currency code, e.g. 'USD'.")


def metadata(value: dict[str, Any]) -> None:
    """Stripe-like limits: up to 50 keys of 1-40 characters, string values of up to 500 (null deletes)."""
    if len(value) > 50:
        raise ValidationError("At most 50 keys.")
    for k, v in value.items():
        if not 1 <= len(k) <= 40:
            raise ValidationError(f"Key '{k[:40]}' must be 1 to 40 characters.")
        if v is not None and (not isinstance(v, str) or len(v) > 500):
            raise ValidationError(f"Value of '{k}' must be a string of at most 500 characters.")


def text(max_len: int, **kw: Any) -> fields.String:
    """A non-empty string of at most `max_len` characters."""
    return fields.String(validate=validate.Length(1, max_len), **kw)
