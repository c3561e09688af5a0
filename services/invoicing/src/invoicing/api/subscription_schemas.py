"""Wire shapes of subscriptions, billing runs and billing histories (camelCase, unknown fields refused)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs
from invoicing.domain.billing_history import HISTORY_STATUSES
from invoicing.domain.subscription_changes import ALWAYS_INVOICE, BEHAVIORS, MAX_ITEMS
from invoicing.domain.subscriptions import STATUSES


class SubscriptionCreateSchema(CamelSchema):
    order_id = ref(required=True, validate=ID)


class SubscriptionCancelSchema(CamelSchema):
    at_period_end = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: at the current period's end (cancelAt); false: now, or, on a "
            "subscription set to cancel at its period's end and without `prorate`, take that back"
        },
    )
    prorate = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "with atPeriodEnd false: cancel now; true credits the unused time"},
    )


class SubscriptionPauseSchema(CamelSchema):
    resumes_at = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "resume then, starting a new period (default: until resumed by a call)"},
    )


class ItemRequestSchema(CamelSchema):
    product_id = ref(required=True, validate=ID)
    quantity = fields.Integer(required=True, validate=validate.Range(1, 1_000_000))


class SubscriptionChangeSchema(CamelSchema):
    """The items from now on, and what the change bills (docs/money.md, "Proration")."""

    items = fields.List(
        fields.Nested(ItemRequestSchema), required=True, validate=validate.Length(1, MAX_ITEMS)
    )
    proration_behavior = fields.String(
        load_default=ALWAYS_INVOICE,
        validate=validate.OneOf(BEHAVIORS),
        metadata={
            "description": "always_invoice: invoice and charge the proration now; create_prorations: "
            "add it to the next renewal invoice; none: the new items apply from the next period"
        },
    )
    proration_date = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "the instant of the change, within the current period (default: now)"},
    )


class SubscriptionUpdateSchema(CamelSchema):
    """Either the items (see SubscriptionChange) or the saved payment method: a gateway token or a
    saved method's id (never card data), e.g. after a card expired."""

    items = fields.List(fields.Nested(ItemRequestSchema), validate=validate.Length(1, MAX_ITEMS))
    proration_behavior = fields.String(load_default=ALWAYS_INVOICE, validate=validate.OneOf(BEHAVIORS))
    proration_date = fields.AwareDateTime(load_default=None)
    payment_method_token = fields.String(validate=validate.Length(1, 255))
    gateway_id = ref(load_default="test", validate=validate.OneOf(["test", "stripe"]))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if "items" not in data and "payment_method_token" not in data:
            raise ValidationError("Give the new items or a paymentMethodToken.", "items")


class SubscriptionItemSchema(CamelSchema):
    product_id = ref()
    quantity = fields.Integer()
    unit_price = money()
    tax_rate = fields.String(allow_none=True)
    tax_inclusive = fields.Boolean()


class SubscriptionSchema(CamelSchema):
    id = ref()
    order_id = ref()
    customer_id = ref()
    currency = fields.String()
    items = fields.List(fields.Nested(SubscriptionItemSchema))
    billing_cycle_id = ref()
    interval_unit = fields.String()
    interval_count = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    current_period_start = moment()
    current_period_end = moment()
    cancel_at_period_end = fields.Boolean()
    cancel_at = moment(
        allow_none=True, metadata={"description": "when a cancellation at the period's end takes effect"}
    )
    canceled_at = moment(allow_none=True)
    trial_end = moment(allow_none=True)
    paused_at = moment(allow_none=True)
    resumes_at = moment(allow_none=True)
    pending_proration_total = money(
        metadata={"description": "proration waiting for the next renewal invoice"}
    )
    gateway_id = ref(allow_none=True)
    payment_method_token = fields.String(allow_none=True, metadata={"description": "a gateway token"})
    coupon_code = fields.String(allow_none=True)
    coupon_cycles_remaining = fields.Integer(
        allow_none=True, metadata={"description": "renewals the coupon still applies to; null: forever"}
    )
    allowed_actions = fields.List(fields.String())
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class SubscriptionListArgs(ListArgs):
    """List subscriptions, oldest first; filter by `customerId`, `orderId` and `status`."""

    customer_id = ref(validate=ID)
    order_id = ref(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


class BillingRunCreateSchema(CamelSchema):
    as_of = fields.AwareDateTime(
        required=True, metadata={"description": "bill every period begun by this time (ISO 8601 with offset)"}
    )


class BillingRunSchema(CamelSchema):
    as_of = fields.String()
    due = fields.Integer()
    invoiced = fields.Integer()
    charges_requested = fields.Integer()
    retried = fields.Integer()
    canceled = fields.Integer()
    skipped = fields.Integer()


class BillingHistorySchema(CamelSchema):
    id = ref()
    subscription_id = ref()
    customer_id = ref()
    period_start = moment()
    period_end = moment()
    invoice_id = ref()
    payment_intent_id = ref(allow_none=True)
    status = fields.String(metadata={"enum": list(HISTORY_STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = moment(allow_none=True)
    failure_code = fields.String(allow_none=True)
    reason = fields.String(
        metadata={
            "enum": ["subscription_cycle", "subscription_update"],
            "description": "a period, or a change",
        }
    )
    created_at = moment()
    updated_at = moment()


class BillingHistoryListArgs(ListArgs):
    """One row per billed period: its invoice, charge, status, attempts and next retry."""

    subscription_id = ref(validate=ID)
    customer_id = ref(validate=ID)
