"""A payment gateway and a webhook receipt on the wire (camelCase, as `GatewaySchema` and
`WebhookReceiptSchema` document them)."""

from __future__ import annotations

from typing import Any

from payments.domain.gateways import Gateway
from payments.domain.webhooks import Receipt


def gateway_json(g: Gateway) -> dict[str, Any]:
    return {
        "id": g.id,
        "enabled": g.enabled,
        "configured": g.configured,
        "currencies": g.currencies,
        "capabilities": g.capabilities,
    }


def receipt_json(r: Receipt) -> dict[str, Any]:
    return {
        "received": True,
        "duplicate": r.duplicate,
        "applied": r.applied,
        "paymentIntentId": r.payment_intent_id,
    }
