"""/api/v1/PaymentIntents: pay an order (checked against it, created at the gateway exactly once),
list, get, capture, cancel. A customer-role token pays and sees only its own customer's."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import (
    BEARER,
    IDEMPOTENCY_KEY,
    list_response,
    page_request,
    resource_response,
)
from billing_shared.web.transaction import current_uow, transactional
from payments.api.caller import request_key
from payments.api.intent_json import intent_json
from payments.api.schemas import IntentCreateSchema, IntentListArgs, IntentListSchema, IntentSchema
from payments.bootstrap import Deps
from payments.domain.commands import CancelIntent, CaptureIntent, CreateIntent, ListIntents
from payments.domain.intents import PaymentIntent
from payments.service_layer import intent_actions, intents

blp = Blueprint(
    "payment_intents", __name__, url_prefix="/api/v1/PaymentIntents", description="Payment intents"
)


def _answer(intent: PaymentIntent, status: int = 200) -> Response:
    return resource_response(
        intent_json(intent),
        version=intent.version,
        status=status,
        location=f"/api/v1/PaymentIntents/{intent.id}",
    )


@blp.route("")
class IntentsCollection(MethodView):
    @requires("payments:read")
    @blp.arguments(IntentListArgs, location="query")
    @blp.response(200, IntentListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List payment intents, oldest first; filter by `orderId`, `invoiceId` and `status`."""
        query = ListIntents(
            caller_scope(),
            page_request(args),
            order_id=args.get("order_id"),
            invoice_id=args.get("invoice_id"),
            status=args.get("status"),
        )
        with reading() as uow:
            found = intents.list_intents(uow, query)
        return list_response(found, intent_json)

    @requires("payments:write")
    @transactional
    @blp.arguments(IntentCreateSchema)
    @blp.response(201, IntentSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Pay an order: checked against the order (amount, currency, unpaid), then created at the
        gateway (`test` by default). A declined payment is a 201 with status `failed` and a
        `failureMessage` the payer may be shown; `requires_action` comes with `nextAction.url`."""
        cmd = CreateIntent(caller_scope(), request_key(), **body)
        return _answer(intents.create_intent(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:intent_id>")
class IntentItem(MethodView):
    @requires("payments:read")
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def get(self, intent_id: str) -> Response:
        """One payment intent; clients may poll it while it is `requires_action` or `processing`."""
        with reading() as uow:
            return _answer(intents.get_intent(uow, caller_scope(), intent_id))


@blp.route("/<string:intent_id>/capture")
class IntentCapture(MethodView):
    @requires("payments:write")
    @transactional
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def post(self, intent_id: str) -> Response:
        """Capture an intent created with `captureMethod: manual` (status `requires_capture`)."""
        cmd = CaptureIntent(caller_scope(), intent_id, if_match=if_match())
        return _answer(intent_actions.capture_intent(current_uow(), deps(Deps), cmd))


@blp.route("/<string:intent_id>/cancel")
class IntentCancel(MethodView):
    @requires("payments:write")
    @transactional
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def post(self, intent_id: str) -> Response:
        """Cancel an intent that has taken no money yet; its order may then be paid by a new one.
        Cancelling a canceled intent changes nothing."""
        cmd = CancelIntent(caller_scope(), intent_id, if_match=if_match())
        return _answer(intent_actions.cancel_intent(current_uow(), deps(Deps), cmd))
