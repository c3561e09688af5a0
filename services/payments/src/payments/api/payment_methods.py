"""/api/v1/PaymentMethods: cards saved for a customer at a gateway (brand, last 4, expiry; never the
number), each customer's default, and detaching. A customer-role token manages its own only."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.commands import OnResource
from billing_shared.web.context import caller_scope, deps, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from payments.api.caller import request_key
from payments.api.schemas import PaymentMethodCreateSchema, PaymentMethodListArgs, PaymentMethodSchema
from payments.bootstrap import Deps
from payments.domain.commands import AttachPaymentMethod
from payments.domain.payment_methods import PaymentMethod
from payments.service_layer import payment_methods

blp = Blueprint(
    "payment_methods", __name__, url_prefix="/api/v1/PaymentMethods", description="Saved payment methods"
)


def method_json(m: PaymentMethod) -> dict[str, Any]:
    return {
        "id": m.id,
        "customerId": m.customer_id,
        "gatewayId": m.gateway_id,
        "type": "card",
        "brand": m.brand,
        "last4": m.last4,
        "expMonth": m.exp_month,
        "expYear": m.exp_year,
        "version": m.version,
        "createdAt": m.created_at.isoformat(),
        "updatedAt": m.updated_at.isoformat(),
    }


_answer = ResourceAnswer(method_json, "/api/v1/PaymentMethods")

list_route(
    blp,
    "",
    "payments:read",
    Listing(PaymentMethodListArgs, PaymentMethodSchema, payment_methods.list_methods, method_json),
)


@blp.route("")
class PaymentMethodsCollection(MethodView):
    @creates(blp, "payments:write", body=PaymentMethodCreateSchema, response=PaymentMethodSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Save a card for a customer from a gateway's one-time token (`test` gateway by default). The
        customer's first method, or one with `setDefault`, becomes its default
        (`defaultPaymentMethodId` on the customer). A token the gateway refuses is a 422."""
        cmd = AttachPaymentMethod(caller_scope(), request_key(), **body)
        return _answer(payment_methods.attach_method(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:method_id>")
class PaymentMethodItem(MethodView):
    @reads(blp, "payments:read", response=PaymentMethodSchema)
    def get(self, method_id: str) -> Response:
        """One saved method (a detached one is 404)."""
        with reading() as uow:
            return _answer(payment_methods.get_method(uow, caller_scope(), method_id))

    @changes(blp, "payments:write", response=None, status=204)
    def delete(self, method_id: str) -> Response:
        """Detach the method at its gateway: it can never be charged again and is 404 from now on.
        A detached default leaves the customer with no default."""
        payment_methods.detach_method(current_uow(), deps(Deps), OnResource(caller_scope(), method_id))
        return Response(status=204)


@blp.route("/<string:method_id>/default")
class PaymentMethodDefault(MethodView):
    @changes(blp, "payments:write", response=PaymentMethodSchema)
    def post(self, method_id: str) -> Response:
        """Make the method its customer's default: renewals charge it when their subscription names
        no method of its own."""
        cmd = OnResource(caller_scope(), method_id)
        return _answer(payment_methods.set_default(current_uow(), cmd))
