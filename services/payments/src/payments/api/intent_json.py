"""A payment intent on the wire (camelCase, as `IntentSchema` documents it)."""

from __future__ import annotations

from typing import Any

from payments.domain.intents import PaymentIntent


def intent_json(i: PaymentIntent) -> dict[str, Any]:
    return {
        "id": i.id,
        "orderId": i.order_id,
        "invoiceId": i.invoice_id,
        "subscriptionId": i.subscription_id,
        "attempt": i.attempt,
        "offSession": i.off_session,
        "customerId": i.customer_id,
        "amount": i.amount,
        "currency": i.currency,
        "status": i.status,
        "clientSecret": i.client_secret,
        "nextAction": {"type": i.next_action.type, "url": i.next_action.url} if i.next_action else None,
        "gatewayId": i.gateway_id,
        "gatewayReference": i.gateway_reference,
        "captureMethod": i.capture_method,
        "returnUrl": i.return_url,
        "allowedActions": i.allowed_actions,
        "failureCode": i.failure_code,
        "failureMessage": i.failure_message,
        "amountRefunded": i.amount_refunded,
        "disputed": i.disputed,
        "version": i.version,
        "createdAt": i.created_at.isoformat(),
        "updatedAt": i.updated_at.isoformat(),
    }
