"""Wire shapes of invoices: camelCase, unknown fields refused, money as integer minor units."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from billing_shared.web import validators as v
from billing_shared.web.field_types import flag, moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs, PricedLineSchema
from invoicing.domain.invoices import BILLING_REASONS, STATUSES


class InvoiceCreateSchema(CamelSchema):
    class Meta(CamelSchema.Meta):
        description = (
            "Exactly one of: `orderId` (the order's one invoice), or `customerId` with "
            "`includePendingItems: true` (a manual invoice of the customer's pending one-off items, "
            "no order; `currency` chooses when they are in several)."
        )

    order_id = ref(
        validate=ID, metadata={"description": "the order whose invoice this is; not with customerId"}
    )
    customer_id = ref(
        validate=ID,
        metadata={"description": "a manual invoice of this customer's pending items; not with orderId"},
    )
    include_pending_items = flag(
        validate=validate.Equal(True),
        metadata={"description": "true, with customerId: the invoice takes the customer's pending items"},
    )
    currency = fields.String(
        validate=v.currency,
        metadata={
            "description": "with customerId: the pending items' currency, required when they are in several"
        },
    )

    @validates_schema
    def _order_or_customer(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if ("order_id" in data) == ("customer_id" in data):
            errors["orderId"] = errors["customerId"] = [
                "Send exactly one of orderId, or customerId with includePendingItems: true."
            ]
        elif "order_id" in data:
            for name, key in (("include_pending_items", "includePendingItems"), ("currency", "currency")):
                if name in data:
                    errors[key] = ["Only with customerId: an order's invoice is the order's lines."]
        elif "include_pending_items" not in data:
            errors["includePendingItems"] = [
                "Required with customerId: true (a manual invoice of the pending items)."
            ]
        if errors:
            raise ValidationError(errors)


class InvoiceLineSchema(PricedLineSchema):
    """The line as priced when the order was made (`billing_shared.pricing`), or a subscription
    change's proration line (signed: a credit is negative)."""

    proration = fields.String(
        metadata={"description": "on a proration line only: the fraction of the period left, n/d"}
    )
    name = fields.String(metadata={"description": "the product's name as ordered (its id on older invoices)"})
    description = fields.String(allow_none=True)


class InvoiceSchema(CamelSchema):
    id = ref()
    number = fields.String(
        allow_none=True, metadata={"description": "e.g. INV-2026-000001, set at finalization"}
    )
    order_id = ref(
        allow_none=True, metadata={"description": "null on a subscription's invoice and a manual one"}
    )
    subscription_id = ref(allow_none=True)
    billing_reason = fields.String(metadata={"enum": list(BILLING_REASONS)})
    period_start = moment(allow_none=True, metadata={"description": "a renewal's billed period"})
    period_end = moment(allow_none=True)
    customer_id = ref()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    subtotal = money()
    discount_total = money()
    tax_total = money()
    total = money()
    amount_paid = money()
    credit_applied = money(metadata={"description": "the customer's credit used on it before any charge"})
    memo = fields.String(allow_none=True)
    footer = fields.String(allow_none=True)
    amount_due = money(
        metadata={"description": "total - creditApplied - amountPaid; 0 once paid or on a credit"}
    )
    coupon_code = fields.String(allow_none=True)
    payment_intent_id = ref(allow_none=True)
    allowed_actions = fields.List(fields.String())
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()
    finalized_at = moment(allow_none=True)
    paid_at = moment(allow_none=True)
    voided_at = moment(allow_none=True)
    marked_uncollectible_at = moment(allow_none=True)
    hosted_invoice_url = fields.String(
        allow_none=True,
        metadata={
            "description": "signed, expiring hosted invoice page link (no token needed); null on a draft"
        },
    )
    sent_at = moment(allow_none=True, metadata={"description": "the last sending by e-mail"})
    sent_to = fields.String(allow_none=True)
    amount_refunded = money(metadata={"description": "refunded so far (see CreditNotes)"})
    disputed = fields.Boolean(metadata={"description": "the payment is disputed (a chargeback was opened)"})
    disputed_at = moment(allow_none=True)
    paid_out_of_band = fields.Boolean(
        metadata={"description": "paid outside any gateway, as the merchant recorded"}
    )
    payment_reference = fields.String(allow_none=True)


class InvoiceListArgs(ListArgs):
    """List invoices, oldest first; filter by `customerId`, `orderId` and `status`."""

    customer_id = ref(validate=ID)
    order_id = ref(validate=ID)
    subscription_id = ref(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


class CreditNoteSchema(CamelSchema):
    id = ref()
    number = fields.String(metadata={"description": "e.g. CN-2026-000001, its own gapless series"})
    invoice_id = ref()
    invoice_number = fields.String(allow_none=True)
    customer_id = ref()
    currency = fields.String()
    amount = money(metadata={"description": "minor units: the refund this note credits"})
    reason = fields.String(metadata={"enum": ["refund"]})
    refund_id = ref()
    payment_intent_id = ref(allow_none=True)
    created_at = moment()


class CreditNoteListArgs(ListArgs):
    """List credit notes, oldest first; filter by `invoiceId` and `customerId`."""

    invoice_id = ref(validate=ID)
    customer_id = ref(validate=ID)


class InvoicePaySchema(CamelSchema):
    paid_out_of_band = fields.Boolean(
        required=True,
        validate=validate.Equal(True),
        metadata={"description": "true: the payment was made outside any gateway (a bank transfer, cash)"},
    )
    reference = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "e.g. the bank transfer's reference"}
    )


class InvoicePatchSchema(CamelSchema):
    """A draft's memo and footer (null clears one); a finalized invoice's content is frozen."""

    memo = fields.String(allow_none=True, validate=validate.Length(max=2000))
    footer = fields.String(allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send memo or footer.")


class InvoicePreviewSchema(InvoiceSchema):
    """The invoice a subscription's change would make: nothing is stored, so it has no id."""

    id = ref(allow_none=True)
    object = fields.String(metadata={"enum": ["invoice_preview"]})


class InvoiceSendSchema(CamelSchema):
    kind = fields.String(metadata={"enum": ["invoice", "receipt", "payment_failed"]})
    status = fields.String(metadata={"enum": ["sent", "pending", "skipped"]})
    to = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    sent_at = moment(allow_none=True)
    attempts = fields.Integer(allow_none=True)
    next_attempt_at = moment(allow_none=True, metadata={"description": "while pending"})
    last_error = fields.String(allow_none=True)


class InvoiceSendListSchema(CamelSchema):
    data = fields.List(fields.Nested(InvoiceSendSchema))
