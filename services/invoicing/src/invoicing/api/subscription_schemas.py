"""Wire shapes of subscriptions, billing runs and billing histories (camelCase, unknown fields refused)."""

from __future__ import annotations

from marshmallow import fields, validate

from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs
from invoicing.domain.billing_history import HISTORY_STATUSES
from invoicing.domain.subscriptions import STATUSES


class SubscriptionCreateSchema(CamelSchema):
    order_id = ref(required=True, validate=ID)


class SubscriptionCancelSchema(CamelSchema):
    at_period_end = fields.Boolean(
        load_default=False, metadata={"description": "true: at the current period's end; false: now"}
    )


class SubscriptionUpdateSchema(CamelSchema):
    """The saved payment method: a gateway token (never card data), e.g. after a card expired."""

    payment_method_token = fields.String(required=True, validate=validate.Length(1, 255))
    gateway_id = ref(load_default="test", validate=validate.OneOf(["test", "stripe"]))


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
    canceled_at = moment(allow_none=True)
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
    created_at = moment()
    updated_at = moment()


class BillingHistoryListArgs(ListArgs):
    """One row per billed period: its invoice, charge, status, attempts and next retry."""

    subscription_id = ref(validate=ID)
    customer_id = ref(validate=ID)
