"""Wire shapes of one-off invoice items: camelCase, unknown fields refused, money as integer minor
units of an upper-case ISO 4217 currency."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from billing_shared.web import validators as v
from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs
from invoicing.domain.invoice_items import MAX_AMOUNT, STATUSES

MAX_QUANTITY = 10**9  # an order line's bound
TAX_CATEGORY = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,50}$",
    error="1 to 50 characters of A-Z, a-z, 0-9, '_' and '-', e.g. 'standard' or 'digital'; compared exactly.",
)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank: it names the line on the invoice.")


class InvoiceItemCreateSchema(CamelSchema):
    class Meta(CamelSchema.Meta):
        description = (
            "A one-off charge: `amount`, or `unitPrice` with `quantity` (default 1), never both. "
            "Pending until the customer's next renewal in `currency` or a manual invoice takes it."
        )

    customer_id = ref(required=True, validate=ID)
    description = fields.String(
        required=True,
        validate=[validate.Length(1, 500), _not_blank],
        metadata={"description": "the invoice line's name"},
    )
    amount = money(
        strict=True,
        validate=validate.Range(1, MAX_AMOUNT),
        metadata={"description": "minor units: the whole charge (quantity 1); or unitPrice"},
    )
    unit_price = money(
        strict=True,
        validate=validate.Range(1, MAX_AMOUNT),
        metadata={"description": "minor units per unit, with quantity; or amount"},
    )
    quantity = fields.Integer(strict=True, validate=validate.Range(1, MAX_QUANTITY))
    currency = fields.String(required=True, validate=v.currency)
    tax_category = fields.String(
        allow_none=True,
        validate=TAX_CATEGORY,
        metadata={"description": "taxed by the buyer's rule for this category (as a product of it)"},
    )

    @validates_schema
    def _amount_or_unit_price(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "amount" in data:
            for name, key in (("unit_price", "unitPrice"), ("quantity", "quantity")):
                if name in data:
                    errors[key] = ["Send amount, or unitPrice with quantity; not both."]
        elif "unit_price" not in data:
            errors["amount"] = errors["unitPrice"] = ["Send amount, or unitPrice with quantity."]
        if "amount" not in data and "unit_price" in data:
            amount = data["unit_price"] * data.get("quantity", 1)
            if amount > MAX_AMOUNT:
                errors["quantity"] = [f"quantity x unitPrice is at most {MAX_AMOUNT} minor units."]
        if errors:
            raise ValidationError(errors)


class InvoiceItemSchema(CamelSchema):
    id = ref()
    customer_id = ref()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = money()
    amount = money(metadata={"description": "quantity x unitPrice, before tax"})
    currency = fields.String()
    tax_category = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    invoice_id = ref(allow_none=True, metadata={"description": "the invoice that took it (invoiced only)"})
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class InvoiceItemListArgs(ListArgs):
    """List one-off invoice items, oldest first; filter by `customerId` and `status`."""

    customer_id = ref(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))
