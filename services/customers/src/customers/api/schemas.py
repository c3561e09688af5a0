"""Wire shapes of customers: camelCase, unknown fields refused, every field validated."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields, validate, validates_schema

from billing_shared.web import validators as v
from billing_shared.web.field_types import moment, ref
from billing_shared.web.schemas import CamelSchema, ListArgs
from customers.domain.customer import LOCALES


def _email(value: str) -> None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Not a valid e-mail address: {exc}") from None


def _locale(note: str = "") -> fields.String:
    """`preferredLocale`: one of LOCALES (an enum in the OpenAPI document), or null."""
    about = "the language of the customer's PDFs, hosted pages and e-mails; null: not chosen"
    return fields.String(
        allow_none=True, validate=validate.OneOf(LOCALES), metadata={"description": about + note}
    )


class AddressSchema(CamelSchema):
    line1 = v.text(200, allow_none=True)
    line2 = v.text(200, allow_none=True)
    city = v.text(100, allow_none=True)
    postal_code = v.text(20, allow_none=True)
    region = v.text(100, allow_none=True, metadata={"description": "State/region, e.g. 'CA' or 'Bavaria'"})
    country = fields.String(required=True, validate=v.country)


class CustomerCreateSchema(CamelSchema):
    name = v.text(200, required=True)
    email = fields.String(required=True, validate=[validate.Length(3, 320), _email])
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = v.text(64, allow_none=True)
    preferred_currency = fields.String(allow_none=True, validate=v.currency)
    preferred_locale = _locale()
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), validate=v.metadata)


class CustomerPatchSchema(CamelSchema):
    name = v.text(200)
    email = fields.String(validate=[validate.Length(3, 320), _email])
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = v.text(64, allow_none=True)
    preferred_currency = fields.String(allow_none=True, validate=v.currency)
    preferred_locale = _locale("; sending null clears the choice")
    metadata = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        validate=v.metadata,
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
    id = ref()
    name = fields.String()
    email = fields.String()
    billing_address = fields.Nested(AddressSchema, allow_none=True)
    tax_id = fields.String(allow_none=True)
    preferred_currency = fields.String(allow_none=True)
    preferred_locale = _locale()
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    references = fields.Nested(ReferencesSchema)
    default_payment_method_id = ref(
        allow_none=True,
        metadata={"description": "the saved method renewals charge by default (see /PaymentMethods)"},
    )
    credit_balance = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "credit per currency in minor units, positive = owed to the customer; "
            "used on its next invoices before any charge (see /CustomerBalanceTransactions)"
        },
    )
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class CustomerListArgs(ListArgs):
    """List customers, oldest first; filter by `email`; page with `limit` and `startingAfter`."""

    email = fields.String(validate=validate.Length(1, 320))
