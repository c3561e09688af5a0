"""/api/v1/PaymentGateways: what can take payments here, the admin's switch, and the webhooks.

A gateway is listed (and has its webhook route) whether or not it is configured in this
environment; it is `enabled` when configured and not switched off by an admin. Secrets never leave.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.paging import Page
from billing_shared.web.context import deps, reading
from billing_shared.web.responses import list_response
from billing_shared.web.routes import changes, reads
from billing_shared.web.transaction import current_uow, transactional
from payments.api.caller import require_admin
from payments.api.gateway_json import gateway_json, receipt_json
from payments.api.schemas import GatewayListSchema, GatewayPatchSchema, GatewaySchema, WebhookReceiptSchema
from payments.bootstrap import Deps
from payments.domain.commands import ReceiveWebhook, SwitchGateway
from payments.service_layer import gateways, webhooks

blp = Blueprint(
    "payment_gateways",
    __name__,
    url_prefix="/api/v1/PaymentGateways",
    description="Payment gateways and their webhooks",
)


def _headers() -> dict[str, str]:
    """The delivery's headers as sent and in lower case: adapters may look either up."""
    sent = dict(request.headers.items())
    return sent | {k.lower(): v for k, v in sent.items()}


@blp.route("")
class GatewaysCollection(MethodView):
    @reads(blp, "payments:read", response=GatewayListSchema)
    def get(self) -> Response:
        """Every gateway this platform knows: enabled or not, its currencies and capabilities."""
        with reading() as uow:
            found = gateways.list_gateways(uow, deps(Deps))
        return list_response(Page(found, has_more=False), gateway_json)


@blp.route("/<string:gateway_id>")
class GatewayItem(MethodView):
    @reads(blp, "payments:read", response=GatewaySchema)
    def get(self, gateway_id: str) -> Response:
        """One gateway."""
        with reading() as uow:
            return jsonify(gateway_json(gateways.get_gateway(uow, deps(Deps), gateway_id)))

    @changes(blp, "payments:write", response=GatewaySchema, body=GatewayPatchSchema)
    def patch(self, body: dict[str, Any], gateway_id: str) -> Response:
        """Switch a gateway on or off (admin). Off stops new intents at it; payments already made
        there still complete, refund and reconcile."""
        require_admin()
        cmd = SwitchGateway(gateway_id, body["enabled"])
        return jsonify(gateway_json(gateways.switch_gateway(current_uow(), deps(Deps), cmd)))


@blp.route("/<string:gateway_id>/webhooks")
class GatewayWebhooks(MethodView):
    @transactional
    @blp.response(200, WebhookReceiptSchema)
    def post(self, gateway_id: str) -> Response:
        """A gateway's event, authenticated by its signature (no token): applied once, in any order.

        A delivery whose signature cannot be verified (no secret configured included) is a 400 and
        changes nothing. One for a payment whose create answer is not recorded yet is kept and
        applied as soon as it is (202)."""
        cmd = ReceiveWebhook(gateway_id, _headers(), request.get_data(cache=True))
        receipt = webhooks.receive_webhook(current_uow(), deps(Deps), cmd)
        resp = jsonify(receipt_json(receipt))
        resp.status_code = 202 if receipt.held else 200
        return resp
