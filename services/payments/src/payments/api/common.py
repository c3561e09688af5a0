"""What the payments blueprints share: the app's objects, wire shapes, who may see what."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app, jsonify, make_response

from billing_shared.auth.flask import current_principal
from billing_shared.auth.scopes import ADMIN
from billing_shared.db.uow import Database
from billing_shared.errors import Problem, not_found
from billing_shared.web.etag import etag
from payments.domain.intents import PaymentIntent
from payments.domain.refunds import Refund
from payments.flows import Flows

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
IDEMPOTENCY_HEADER = [{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}]


def db() -> Database:
    return cast(Database, current_app.extensions["billing_db"])


def flows() -> Flows:
    return cast(Flows, current_app.extensions["payments_flows"])


def require_admin() -> None:
    if not current_principal().has(ADMIN):
        raise Problem(403, "This needs the admin scope.")


def require_merchant(action: str) -> None:
    """Moving money back, or capturing it, is the merchant's decision, never the payer's."""
    if current_principal().is_customer:
        raise Problem(403, f"A customer token cannot {action}; the merchant's API client can.")


def only_own_customer() -> str | None:
    """The customer a caller is confined to (None: any)."""
    p = current_principal()
    return p.customer_id if p.is_customer else None


def visible_intent(intent: PaymentIntent | None, intent_id: str) -> PaymentIntent:
    own = only_own_customer()
    if intent is None or (own is not None and intent.customer_id != own):
        raise not_found("payment intent", intent_id)
    return intent


def visible_refund(refund: Refund | None, refund_id: str) -> Refund:
    own = only_own_customer()
    if refund is None or (own is not None and refund.customer_id != own):
        raise not_found("refund", refund_id)
    return refund


def intent_wire(i: PaymentIntent) -> dict[str, Any]:
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


def intent_response(intent: PaymentIntent, status: int = 200) -> Response:
    resp = make_response(jsonify(intent_wire(intent)), status)
    resp.headers["ETag"] = etag(intent.version)
    if status == 201:
        resp.headers["Location"] = f"/api/v1/PaymentIntents/{intent.id}"
    return resp


def refund_wire(r: Refund) -> dict[str, Any]:
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
