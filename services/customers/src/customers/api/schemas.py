"""Wire shapes of customers: camelCase, unknown fields refused, every field validated."""

from __future__ import annotations

from typing import Any

import pycountry
from billing_shared.money import is_currency
from billing_shared.web.schemas import CamelSchema, ListArgs
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields, validate, validates_schema


def _country(value: str) -> None:
    if len(value) != 2 or not value.isupper() or pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError("Must be an ISO 3166-1 alpha-2 country code, e.g. 'US' or 'DE'.")


def _email(value: str) -> None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Not a valid e-mail address: {exc}") from None


def _currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError("Must be an upper-case ISO 4217 currency code, e.g. 'USD'.")


def _metadata(value: dict[str, Any]) -> None:
    if len(value) > 50:
        raise ValidationError("At most 50 keys.")
    for k, v in value.items():
        if not 1 <= len(k) <= 40:
            raise ValidationError(f"Key '{k[:40]}' must be 1 to 40 characters.")
        if v is not None and (not isinstance(v, str) or len(v) > 500):
            raise ValidationError(f"Value of '{k}' must be a string of at most 500 characters.")


def _text(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(1, max_len), **kw)


class AddressSchema(CamelSchema):
    line1 = _text(200, allow_none=True)
    line2 = _text(200, allow_none=True)
    city = _text(100, allow_none=True)
    postal_code = _text(20, allow_none=True)
    region = _text(100, allow_none=True, metadata={"description": "State/region, e.g. 'CA' or 'Bavaria'"})
    country = fields.String(required=True, validate=_country)


class CustomerCreateSchema(CamelSchema):
    name = _text(200, required=True)
    email = fields.String(required=True, validate=[validate.Length(3, 320), _email])
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = _text(64, allow_none=True)
    preferred_currency = fields.String(allow_none=True, validate=_currency)
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), validate=_metadata)


class CustomerPatchSchema(CamelSchema):
    name = _text(200)
    email = fields.String(validate=[validate.Length(3, 320), _email])
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = _text(64, allow_none=True)
    preferred_currency = fields.String(allow_none=True, validate=_currency)
    metadata = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        validate=_metadata,
        metadata={"description": "Merged key by key; a null value deletes the key"},
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")


class ReferencesSchema(CamelSchema):
    orders = fields.List(fields.String())
    payment_intents = fields.List(fields.String())
    invoices = fields.List(fields.String())
    subscriptions = fields.List(fields.String())


class CustomerSchema(CamelSchema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = fields.String(allow_none=True)
    preferred_currency = fields.String(allow_none=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    references = fields.Nested(ReferencesSchema)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerListArgs(ListArgs):
    email = fields.String(validate=validate.Length(1, 320))


class CustomerListSchema(CamelSchema):
    data = fields.List(fields.Nested(CustomerSchema))
    has_more = fields.Boolean()
