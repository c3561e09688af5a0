"""/api/v1/Refunds: full or partial, never more than is left, sent to the gateway exactly once;
list and get. Refunds are the merchant's decision: a customer-role token only sees its own."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.web.context import caller_scope, deps, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from payments.api.caller import request_key
from payments.api.refund_json import refund_json
from payments.api.schemas import RefundCreateSchema, RefundListArgs, RefundSchema
from payments.bootstrap import Deps
from payments.domain.commands import CreateRefund
from payments.service_layer import refunds

blp = Blueprint("refunds", __name__, url_prefix="/api/v1/Refunds", description="Refunds")

_answer = ResourceAnswer(refund_json, "/api/v1/Refunds")


list_route(blp, "", "payments:read", Listing(RefundListArgs, RefundSchema, refunds.list_refunds, refund_json))


@blp.route("")
class RefundsCollection(MethodView):
    @creates(blp, "payments:write", body=RefundCreateSchema, response=RefundSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Refund a succeeded payment, all that is left or `amount` of it; emits PaymentRefunded
        when the gateway confirms. More than is left is a 422 saying how much is."""
        cmd = CreateRefund(caller_scope(), request_key(), **body)
        refund = refunds.create_refund(current_uow(), deps(Deps), cmd)
        return _answer(refund, 201)


@blp.route("/<string:refund_id>")
class RefundItem(MethodView):
    @reads(blp, "payments:read", response=RefundSchema)
    def get(self, refund_id: str) -> Response:
        """One refund."""
        with reading() as uow:
            return _answer(refunds.get_refund(uow, caller_scope(), refund_id))
