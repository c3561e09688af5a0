"""A refund on the wire (camelCase, as `RefundSchema` documents it)."""

from __future__ import annotations

from typing import Any

from payments.domain.refunds import Refund


def refund_json(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "paymentIntentId": r.payment_intent_id,
        "orderId": r.order_id,
        "customerId": r.customer_id,
        "amount": r.amount,
        "currency": r.currency,
        "status": r.status,
        "reason": r.reason,
        "gatewayReference": r.gateway_reference,
        "failureMessage": r.failure_message,
        "createdAt": r.created_at.isoformat(),
        "updatedAt": r.updated_at.isoformat(),
    }
