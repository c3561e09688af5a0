"""/api/v1/PaymentIntents: pay an order (checked against it, created at the gateway exactly once),
list, get, capture, cancel. A customer-role token pays and sees only its own customer's."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.commands import OnResource
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from payments.api.caller import request_key
from payments.api.intent_json import intent_json
from payments.api.schemas import IntentCreateSchema, IntentListArgs, IntentSchema
from payments.bootstrap import Deps
from payments.domain.commands import CreateIntent
from payments.service_layer import intent_actions, intents

blp = Blueprint(
    "payment_intents", __name__, url_prefix="/api/v1/PaymentIntents", description="Payment intents"
)


_answer = ResourceAnswer(intent_json, "/api/v1/PaymentIntents")


list_route(blp, "", "payments:read", Listing(IntentListArgs, IntentSchema, intents.list_intents, intent_json))


@blp.route("")
class IntentsCollection(MethodView):
    @creates(blp, "payments:write", body=IntentCreateSchema, response=IntentSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Pay an order: checked against the order (amount, currency, unpaid), then created at the
        gateway (`test` by default). A declined payment is a 201 with status `failed` and a
        `failureMessage` the payer may be shown; `requires_action` comes with `nextAction.url`."""
        cmd = CreateIntent(caller_scope(), request_key(), **body)
        return _answer(intents.create_intent(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:intent_id>")
class IntentItem(MethodView):
    @reads(blp, "payments:read", response=IntentSchema)
    def get(self, intent_id: str) -> Response:
        """One payment intent; clients may poll it while it is `requires_action` or `processing`."""
        with reading() as uow:
            return _answer(intents.get_intent(uow, caller_scope(), intent_id))


@blp.route("/<string:intent_id>/capture")
class IntentCapture(MethodView):
    @changes(blp, "payments:write", response=IntentSchema)
    def post(self, intent_id: str) -> Response:
        """Capture an intent created with `captureMethod: manual` (status `requires_capture`)."""
        cmd = OnResource(caller_scope(), intent_id, if_match())
        return _answer(intent_actions.capture_intent(current_uow(), deps(Deps), cmd))


@blp.route("/<string:intent_id>/cancel")
class IntentCancel(MethodView):
    @changes(blp, "payments:write", response=IntentSchema)
    def post(self, intent_id: str) -> Response:
        """Cancel an intent that has taken no money yet; its order may then be paid by a new one.
        Cancelling a canceled intent changes nothing."""
        cmd = OnResource(caller_scope(), intent_id, if_match())
        return _answer(intent_actions.cancel_intent(current_uow(), deps(Deps), cmd))
