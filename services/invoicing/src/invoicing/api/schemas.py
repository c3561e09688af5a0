"""Wire shapes of invoices: camelCase, unknown fields refused, money as integer minor units."""

from __future__ import annotations

from marshmallow import fields, validate

from billing_shared.web.schemas import ID, CamelSchema, ListArgs, PricedLineSchema
from invoicing.domain.invoices import STATUSES


class InvoiceCreateSchema(CamelSchema):
    order_id = fields.String(required=True, validate=ID)


class InvoiceLineSchema(PricedLineSchema):
    """The line as priced when the order was made (`billing_shared.pricing`)."""


class InvoiceSchema(CamelSchema):
    id = fields.String()
    number = fields.String(
        allow_none=True, metadata={"description": "e.g. INV-2026-000001, set at finalization"}
    )
    order_id = fields.String(allow_none=True, metadata={"description": "null on a renewal invoice"})
    subscription_id = fields.String(allow_none=True)
    billing_reason = fields.String(metadata={"enum": ["order", "subscription_cycle"]})
    period_start = fields.DateTime(allow_none=True, metadata={"description": "a renewal's billed period"})
    period_end = fields.DateTime(allow_none=True)
    customer_id = fields.String()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    subtotal = fields.Integer()
    discount_total = fields.Integer()
    tax_total = fields.Integer()
    total = fields.Integer()
    amount_paid = fields.Integer()
    amount_due = fields.Integer()
    coupon_code = fields.String(allow_none=True)
    payment_intent_id = fields.String(allow_none=True)
    allowed_actions = fields.List(fields.String())
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finalized_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    marked_uncollectible_at = fields.DateTime(allow_none=True)
    hosted_invoice_url = fields.String(
        allow_none=True,
        metadata={
            "description": "signed, expiring hosted invoice page link (no token needed); null on a draft"
        },
    )
    sent_at = fields.DateTime(allow_none=True, metadata={"description": "the last sending by e-mail"})
    sent_to = fields.String(allow_none=True)
    amount_refunded = fields.Integer(metadata={"description": "refunded so far (see CreditNotes)"})
    disputed = fields.Boolean(metadata={"description": "the payment is disputed (a chargeback was opened)"})
    disputed_at = fields.DateTime(allow_none=True)


class InvoiceListArgs(ListArgs):
    """List invoices, oldest first; filter by `customerId`, `orderId` and `status`."""

    customer_id = fields.String(validate=ID)
    order_id = fields.String(validate=ID)
    subscription_id = fields.String(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


class CreditNoteSchema(CamelSchema):
    id = fields.String()
    number = fields.String(metadata={"description": "e.g. CN-2026-000001, its own gapless series"})
    invoice_id = fields.String()
    invoice_number = fields.String(allow_none=True)
    customer_id = fields.String()
    currency = fields.String()
    amount = fields.Integer(metadata={"description": "minor units: the refund this note credits"})
    reason = fields.String(metadata={"enum": ["refund"]})
    refund_id = fields.String()
    payment_intent_id = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CreditNoteListArgs(ListArgs):
    """List credit notes, oldest first; filter by `invoiceId` and `customerId`."""

    invoice_id = fields.String(validate=ID)
    customer_id = fields.String(validate=ID)
