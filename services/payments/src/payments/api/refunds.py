"""/api/v1/Refunds: full or partial, never more than is left, sent to the gateway exactly once;
list and get. Refunds are the merchant's decision: a customer-role token only sees its own."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import caller_scope, deps, reading
from billing_shared.web.responses import (
    BEARER,
    IDEMPOTENCY_KEY,
    list_response,
    page_request,
    resource_response,
)
from billing_shared.web.transaction import current_uow, transactional
from payments.api.caller import request_key
from payments.api.refund_json import refund_json
from payments.api.schemas import RefundCreateSchema, RefundListArgs, RefundListSchema, RefundSchema
from payments.bootstrap import Deps
from payments.domain.commands import CreateRefund, ListRefunds
from payments.service_layer import refunds

blp = Blueprint("refunds", __name__, url_prefix="/api/v1/Refunds", description="Refunds")


@blp.route("")
class RefundsCollection(MethodView):
    @requires("payments:read")
    @blp.arguments(RefundListArgs, location="query")
    @blp.response(200, RefundListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List refunds, oldest first; filter by `paymentIntentId`."""
        query = ListRefunds(
            caller_scope(), page_request(args), payment_intent_id=args.get("payment_intent_id")
        )
        with reading() as uow:
            found = refunds.list_refunds(uow, query)
        return list_response(found, refund_json)

    @requires("payments:write")
    @transactional
    @blp.arguments(RefundCreateSchema)
    @blp.response(201, RefundSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Refund a succeeded payment, all that is left or `amount` of it; emits PaymentRefunded
        when the gateway confirms. More than is left is a 422 saying how much is."""
        cmd = CreateRefund(caller_scope(), request_key(), **body)
        refund = refunds.create_refund(current_uow(), deps(Deps), cmd)
        return resource_response(refund_json(refund), status=201, location=f"/api/v1/Refunds/{refund.id}")


@blp.route("/<string:refund_id>")
class RefundItem(MethodView):
    @requires("payments:read")
    @blp.response(200, RefundSchema)
    @blp.doc(security=BEARER)
    def get(self, refund_id: str) -> Response:
        """One refund."""
        with reading() as uow:
            return resource_response(refund_json(refunds.get_refund(uow, caller_scope(), refund_id)))
