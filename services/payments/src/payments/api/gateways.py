"""/api/v1/PaymentGateways: what can take payments here, the admin's switch, and the webhooks.

A gateway is listed (and has its webhook route) whether or not it is configured in this
environment; it is `enabled` when configured and not switched off by an admin. Secrets never leave.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.errors import FieldError, Problem, not_found
from billing_shared.web.transaction import current_uow, transactional
from payments.api.common import BEARER, db, flows, require_admin
from payments.api.schemas import GatewayListSchema, GatewayPatchSchema, GatewaySchema, WebhookReceiptSchema
from payments.providers.base import WEBHOOK_IGNORED, SignatureError
from payments.providers.registry import HOW_TO_CONFIGURE, KNOWN, STRIPE, TEST
from payments.store.intents import IntentRepository
from payments.store.webhooks import GatewaySwitches, WebhookLog

blp = Blueprint(
    "payment_gateways",
    __name__,
    url_prefix="/api/v1/PaymentGateways",
    description="Payment gateways and their webhooks",
)


def _switches() -> dict[str, bool]:
    with db().unit_of_work(write=False) as uow:
        return GatewaySwitches(uow.session).all()


def _wire(gateway_id: str, switched_on: bool) -> dict[str, Any]:
    provider = flows().providers.get(gateway_id)
    return {
        "id": gateway_id,
        "enabled": provider is not None and switched_on,
        "configured": provider is not None,
        "currencies": sorted(provider.currencies) if provider else [],
        "capabilities": sorted(provider.capabilities) if provider else [],
    }


def choose_gateway(requested: str | None, currency: str, capture_method: str) -> str:
    """The gateway an intent goes to (the test gateway by default where it is enabled, else
    Stripe), refused with a 422 naming the field when it cannot take this payment."""
    switches = _switches()
    enabled = [g for g in KNOWN if g in flows().providers and switches.get(g, True)]
    if requested is None:
        if not enabled:
            raise Problem(
                422, "No payment gateway is enabled.", errors=[FieldError("gatewayId", "none enabled")]
            )
        requested = TEST if TEST in enabled else STRIPE
    if requested not in KNOWN:
        raise Problem(
            422,
            f"No gateway '{requested}'; known: {', '.join(KNOWN)}.",
            errors=[FieldError("gatewayId", "unknown gateway")],
        )
    if requested not in flows().providers:
        raise Problem(
            422,
            f"Gateway '{requested}' is not configured in this environment.",
            errors=[FieldError("gatewayId", "not configured")],
        )
    if requested not in enabled:
        raise Problem(
            422, f"Gateway '{requested}' is switched off.", errors=[FieldError("gatewayId", "disabled")]
        )
    provider = flows().providers[requested]
    if provider.currencies and currency not in provider.currencies:
        raise Problem(
            422,
            f"Gateway '{requested}' does not take {currency}.",
            errors=[FieldError("currency", f"not taken by gateway '{requested}'")],
        )
    if capture_method == "manual" and "manual_capture" not in provider.capabilities:
        raise Problem(
            422,
            f"Gateway '{requested}' cannot capture manually.",
            errors=[FieldError("captureMethod", f"not supported by gateway '{requested}'")],
        )
    return requested


def _headers() -> dict[str, str]:
    """The delivery's headers as sent and in lower case: adapters may look either up."""
    sent = dict(request.headers.items())
    return sent | {k.lower(): v for k, v in sent.items()}


@blp.route("")
class GatewaysCollection(MethodView):
    @requires("payments:read")
    @blp.response(200, GatewayListSchema)
    @blp.doc(security=BEARER)
    def get(self) -> Response:
        """Every gateway this platform knows: enabled or not, its currencies and capabilities."""
        switches = _switches()
        return jsonify(data=[_wire(g, switches.get(g, True)) for g in KNOWN], hasMore=False)


@blp.route("/<string:gateway_id>")
class GatewayItem(MethodView):
    @requires("payments:read")
    @blp.response(200, GatewaySchema)
    @blp.doc(security=BEARER)
    def get(self, gateway_id: str) -> Response:
        """One gateway."""
        if gateway_id not in KNOWN:
            raise not_found("payment gateway", gateway_id)
        return jsonify(_wire(gateway_id, _switches().get(gateway_id, True)))

    @requires("payments:write")
    @transactional
    @blp.arguments(GatewayPatchSchema)
    @blp.response(200, GatewaySchema)
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], gateway_id: str) -> Response:
        """Switch a gateway on or off (admin). Off stops new intents at it; payments already made
        there still complete, refund and reconcile."""
        require_admin()
        if gateway_id not in KNOWN:
            raise not_found("payment gateway", gateway_id)
        if body["enabled"] and gateway_id not in flows().providers:
            raise Problem(
                409,
                f"Gateway '{gateway_id}' is not configured in this environment: "
                f"{HOW_TO_CONFIGURE[gateway_id]}.",
            )
        GatewaySwitches(current_uow().session).set(gateway_id, body["enabled"], datetime.now(UTC))
        return jsonify(_wire(gateway_id, body["enabled"]))


@blp.route("/<string:gateway_id>/webhooks")
class GatewayWebhooks(MethodView):
    @transactional
    @blp.response(200, WebhookReceiptSchema)
    def post(self, gateway_id: str) -> Response:
        """A gateway's event, authenticated by its signature (no token): applied once, in any order.

        A delivery whose signature cannot be verified (no secret configured included) is a 400 and
        changes nothing. One for a payment whose create answer is not recorded yet is kept and
        applied as soon as it is (202)."""
        if gateway_id not in KNOWN:
            raise not_found("payment gateway", gateway_id)
        provider = flows().providers.get(gateway_id)
        if provider is None:
            raise Problem(
                400,
                f"Gateway '{gateway_id}' is not configured in this environment, so its signatures "
                "cannot be verified.",
            )
        try:
            event = provider.parse_webhook(_headers(), request.get_data(cache=True))
        except (SignatureError, ValueError) as exc:
            raise Problem(400, f"The webhook could not be verified: {exc}") from exc
        uow = current_uow()
        if not WebhookLog(uow.session).first_delivery(gateway_id, event, datetime.now(UTC)):
            return jsonify(received=True, duplicate=True, applied=False, paymentIntentId=None)
        if event.kind == WEBHOOK_IGNORED or not event.reference:
            return jsonify(received=True, duplicate=False, applied=False, paymentIntentId=None)
        intent = IntentRepository(uow.session).by_reference(gateway_id, event.reference, for_update=True)
        if intent is None:
            resp = jsonify(received=True, duplicate=False, applied=False, paymentIntentId=None)
            resp.status_code = 202
            return resp
        after = flows().apply_webhook(uow, intent, event)
        return jsonify(received=True, duplicate=False, applied=after is not intent, paymentIntentId=intent.id)
