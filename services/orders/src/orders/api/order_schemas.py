"""Wire shapes of orders: camelCase, unknown fields refused, money as integer minor units."""

from __future__ import annotations

from marshmallow import fields, validate

from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs, PricedLineSchema
from orders.domain.order_pricing import MAX_LINES
from orders.domain.orders import STATUSES


class OrderItemSchema(CamelSchema):
    product_id = ref(required=True, validate=ID)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 10**9))
    unit_price = fields.Integer(
        strict=True,
        validate=validate.Range(0, 10**15),
        metadata={
            "description": "Optional: the price the client expects; must equal the catalog price "
            "unless the caller holds orders:price_override"
        },
    )


class OrderCreateSchema(CamelSchema):
    customer_id = ref(required=True, validate=ID)
    currency = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code, e.g. USD.")
    )
    items = fields.List(fields.Nested(OrderItemSchema), required=True, validate=validate.Length(1, MAX_LINES))
    billing_cycle_id = ref(allow_none=True, validate=ID)
    coupon_code = fields.String(allow_none=True, validate=validate.Length(1, 64))
    trial_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(0, 730),
        metadata={
            "description": "a free trial before the first charge (needs billingCycleId and the customer's "
            "default payment method): the order is a zero trial invoice, paid at once. Default: the "
            "longest default trial of its products; 0: no trial"
        },
    )
    metadata = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 40)),
        values=fields.String(validate=validate.Length(0, 500)),
        validate=validate.Length(max=50),
    )


class OrderLineSchema(PricedLineSchema):
    """The line as priced when the order was made (`billing_shared.pricing`), with its product's
    name and description as they were then."""

    name = fields.String()
    description = fields.String(allow_none=True)


class TraceStepSchema(CamelSchema):
    step = fields.String()
    line = fields.Integer(allow_none=True)
    inputs = fields.Dict()
    exact = fields.String()
    result = fields.Integer()
    rounding = fields.String()


class OrderSchema(CamelSchema):
    id = ref()
    customer_id = ref()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    billing_cycle_id = ref(allow_none=True)
    coupon_code = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))
    subtotal = money()
    discount_total = money()
    tax_total = money()
    total = money()
    amount_refunded = money()
    trace = fields.List(fields.Nested(TraceStepSchema))
    allowed_actions = fields.List(fields.String())
    payment_intent_ids = fields.List(fields.String())
    invoice_id = ref(allow_none=True)
    metadata = fields.Dict()
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()
    paid_at = moment(allow_none=True)
    cancelled_at = moment(allow_none=True)
    trial = fields.Dict(
        allow_none=True,
        metadata={
            "description": "{days, trialEnd, paymentMethodId, plan}: the trial and what is billed after it"
        },
    )


class OrderListArgs(ListArgs):
    """List orders, oldest first; filter by `customerId` and `status`."""

    customer_id = ref(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))
