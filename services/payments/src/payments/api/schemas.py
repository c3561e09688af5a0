"""Wire shapes of payments: camelCase, unknown fields refused, money as integer minor units."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from billing_shared.web import validators
from billing_shared.web.field_types import moment, money, ref
from billing_shared.web.schemas import ID, CamelSchema, ListArgs, list_of
from payments.domain import intents, refunds


class IntentCreateSchema(CamelSchema):
    order_id = ref(validate=ID, metadata={"description": "the order to pay (or send invoiceId)"})
    invoice_id = ref(
        validate=ID,
        metadata={"description": "an open invoice to pay (a renewal, or an order's finalized one)"},
    )
    amount = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, 10**15),
        metadata={"description": "the order's total, in the currency's minor unit"},
    )
    currency = fields.String(required=True, validate=validators.currency)
    payment_method_token = fields.String(
        validate=validate.Length(1, 255),
        metadata={"description": "a gateway's one-time token (e.g. tok_visa); never a card number"},
    )
    payment_method_id = ref(
        validate=ID, metadata={"description": "a saved method of the order's customer (/PaymentMethods)"}
    )
    save_payment_method = fields.Boolean(
        load_default=False,
        metadata={
            "description": "keep the token's card for the customer (renewals charge it again); "
            "with paymentMethodToken only"
        },
    )
    gateway_id = ref(validate=validate.Length(1, 20))
    return_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"})
    capture_method = fields.String(load_default="automatic", validate=validate.OneOf(intents.CAPTURE_METHODS))

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("order_id") is None) == (data.get("invoice_id") is None):
            raise ValidationError("Send exactly one of orderId and invoiceId.", field_name="orderId")

    @validates_schema
    def _one_method(self, data: dict[str, Any], **_: Any) -> None:
        given = [f for f in ("payment_method_token", "payment_method_id") if data.get(f) is not None]
        if len(given) != 1:
            raise ValidationError(
                "Send exactly one of paymentMethodToken and paymentMethodId.", field_name="paymentMethodToken"
            )
        if data.get("save_payment_method") and data.get("payment_method_token") is None:
            raise ValidationError("A saved method is saved already.", field_name="savePaymentMethod")


class NextActionSchema(CamelSchema):
    type = fields.String(metadata={"enum": ["three_ds", "redirect"]})
    url = fields.String()


class IntentSchema(CamelSchema):
    id = ref()
    order_id = ref(allow_none=True, metadata={"description": "null for a renewal charge"})
    invoice_id = fields.String(
        allow_none=True, metadata={"description": "the renewal invoice this charge pays; null for an order's"}
    )
    subscription_id = ref(allow_none=True)
    attempt = fields.Integer(
        allow_none=True, metadata={"description": "renewal charge attempt: 1, then 2.. for retries"}
    )
    off_session = fields.Boolean(metadata={"description": "charged without the customer present"})
    customer_id = ref()
    amount = money()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(intents.STATUSES)})
    client_secret = fields.String(allow_none=True)
    next_action = fields.Nested(NextActionSchema, allow_none=True)
    gateway_id = ref()
    gateway_reference = fields.String(allow_none=True)
    capture_method = fields.String()
    return_url = fields.String(allow_none=True)
    allowed_actions = fields.List(fields.String())
    failure_code = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True, metadata={"description": "safe to show to the payer"})
    amount_refunded = money()
    disputed = fields.Boolean()
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class IntentListArgs(ListArgs):
    """List payment intents, oldest first; filter by `orderId`, `invoiceId` and `status`."""

    order_id = ref(validate=ID)
    invoice_id = ref(validate=ID)
    status = fields.String(validate=validate.OneOf(intents.STATUSES))


class RefundCreateSchema(CamelSchema):
    payment_intent_id = ref(required=True, validate=ID)
    amount = fields.Integer(
        strict=True,
        validate=validate.Range(1, 10**15),
        metadata={"description": "minor units; all that is left when omitted"},
    )
    reason = fields.String(required=True, validate=validate.OneOf(refunds.REASONS))


class RefundSchema(CamelSchema):
    id = ref()
    payment_intent_id = ref()
    order_id = ref(allow_none=True)
    customer_id = ref()
    amount = money()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(refunds.STATUSES)})
    reason = fields.String()
    gateway_reference = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True)
    created_at = moment()
    updated_at = moment()


class RefundListArgs(ListArgs):
    """List refunds, oldest first; filter by `paymentIntentId`."""

    payment_intent_id = ref(validate=ID)


class GatewaySchema(CamelSchema):
    id = ref()
    enabled = fields.Boolean(metadata={"description": "configured here and switched on by an admin"})
    configured = fields.Boolean(metadata={"description": "its settings are present in this environment"})
    currencies = fields.List(fields.String(), metadata={"description": "empty: every currency"})
    capabilities = fields.List(
        fields.String(metadata={"enum": ["three_ds", "redirect", "refunds", "manual_capture"]})
    )


GatewayListSchema = list_of(GatewaySchema)


class GatewayPatchSchema(CamelSchema):
    enabled = fields.Boolean(required=True)


class WebhookReceiptSchema(CamelSchema):
    received = fields.Boolean()
    duplicate = fields.Boolean()
    applied = fields.Boolean()
    payment_intent_id = ref(allow_none=True)


class ReconciliationArgs(CamelSchema):
    date = fields.Date(required=True, metadata={"description": "a UTC day, YYYY-MM-DD"})


class ReconciliationSummarySchema(CamelSchema):
    matched = fields.Integer()
    missing_at_gateway = fields.Integer()
    missing_here = fields.Integer()
    amount_mismatches = fields.Integer()
    status_mismatches = fields.Integer()
    duplicate_charges = fields.Integer()
    awaiting_gateway = fields.Integer()


class ReconciliationReportSchema(CamelSchema):
    """One UTC day compared with the gateways: counts in `summary`, the entries in the lists."""

    date = fields.String()
    gateways = fields.List(fields.String())
    clean = fields.Boolean()
    summary = fields.Nested(ReconciliationSummarySchema)
    missing_at_gateway = fields.List(fields.Dict())
    missing_here = fields.List(fields.Dict())
    amount_mismatches = fields.List(fields.Dict())
    status_mismatches = fields.List(fields.Dict())
    duplicate_charges = fields.List(fields.Dict())
    awaiting_gateway = fields.List(fields.Dict())


class PaymentMethodCreateSchema(CamelSchema):
    customer_id = ref(required=True, validate=ID)
    payment_method_token = fields.String(
        required=True,
        validate=validate.Length(1, 255),
        metadata={"description": "a gateway's one-time token (e.g. tok_visa); never a card number"},
    )
    gateway_id = ref(validate=validate.Length(1, 20))
    set_default = fields.Boolean(
        load_default=False,
        metadata={"description": "make it the customer's default (the first method always is)"},
    )


class PaymentMethodSchema(CamelSchema):
    id = ref()
    customer_id = ref()
    gateway_id = ref()
    type = fields.String(metadata={"enum": ["card"]})
    brand = fields.String(metadata={"description": "visa, mastercard, amex, ..."})
    last4 = fields.String()
    exp_month = fields.Integer()
    exp_year = fields.Integer()
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class PaymentMethodListArgs(ListArgs):
    """List saved payment methods, oldest first; filter by `customerId` (a customer token lists its own)."""

    customer_id = ref(validate=ID)


class SetupIntentCreateSchema(CamelSchema):
    customer_id = ref(required=True, validate=ID)
    payment_method_token = fields.String(
        required=True,
        validate=validate.Length(1, 255),
        metadata={
            "description": "a gateway's one-time token (e.g. tok_threeDSecureRequired); never a card number"
        },
    )
    gateway_id = ref(validate=validate.Length(1, 20))
    return_url = fields.Url(
        require_tld=False,
        schemes={"http", "https"},
        metadata={"description": "where the gateway's 3D Secure page sends the customer back"},
    )
    set_default = fields.Boolean(load_default=False)


class SetupIntentSchema(CamelSchema):
    id = ref()
    customer_id = ref()
    gateway_id = ref()
    status = fields.String(metadata={"enum": ["requires_action", "processing", "succeeded", "failed"]})
    next_action = fields.Nested(NextActionSchema, allow_none=True)
    payment_method_id = ref(allow_none=True, metadata={"description": "the saved method, once succeeded"})
    return_url = fields.String(allow_none=True)
    failure_code = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = moment()
    updated_at = moment()


class SetupIntentListArgs(ListArgs):
    """List setup intents, oldest first; filter by `customerId` (a customer token lists its own)."""

    customer_id = ref(validate=ID)
