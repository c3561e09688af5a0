"""/api/v1/SetupIntents: save a card without charging it, through the gateway's 3D Secure page
when the bank asks (`nextAction`, as a payment's); succeeded, the card is a saved payment method
(`paymentMethodId`). A customer-role token saves and sees only its own."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.web.context import caller_scope, deps
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from payments.api.caller import request_key
from payments.api.schemas import SetupIntentCreateSchema, SetupIntentListArgs, SetupIntentSchema
from payments.bootstrap import Deps
from payments.domain.commands import CreateSetupIntent
from payments.domain.setup_intents import SetupIntent
from payments.service_layer import setup_intents

blp = Blueprint("setup_intents", __name__, url_prefix="/api/v1/SetupIntents", description="Setup intents")


def setup_json(s: SetupIntent) -> dict[str, Any]:
    return {
        "id": s.id,
        "customerId": s.customer_id,
        "gatewayId": s.gateway_id,
        "status": s.status,
        "nextAction": {"type": s.next_action.type, "url": s.next_action.url} if s.next_action else None,
        "paymentMethodId": s.payment_method_id,
        "returnUrl": s.return_url,
        "failureCode": s.failure_code,
        "failureMessage": s.failure_message,
        "version": s.version,
        "createdAt": s.created_at.isoformat(),
        "updatedAt": s.updated_at.isoformat(),
    }


_answer = ResourceAnswer(setup_json, "/api/v1/SetupIntents")

list_route(
    blp,
    "",
    "payments:read",
    Listing(SetupIntentListArgs, SetupIntentSchema, setup_intents.list_setups, setup_json),
)


@blp.route("")
class SetupIntentsCollection(MethodView):
    @creates(blp, "payments:write", body=SetupIntentCreateSchema, response=SetupIntentSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Save a card for a customer without a charge. `succeeded`: saved at once
        (`paymentMethodId`); `requires_action`: send the customer to `nextAction.url` (the bank's
        3D Secure), then read the setup intent again; `failed`: nothing saved."""
        cmd = CreateSetupIntent(caller_scope(), request_key(), **body)
        return _answer(setup_intents.create_setup(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:setup_id>")
class SetupIntentItem(MethodView):
    @reads(blp, "payments:read", response=SetupIntentSchema)
    def get(self, setup_id: str) -> Response:
        """One setup intent; one waiting for the customer is first brought up to the gateway's state."""
        return _answer(setup_intents.get_setup(deps(Deps), caller_scope(), setup_id))
