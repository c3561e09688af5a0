"""/api/v1/Refunds: full or partial, never more than is left, sent to the gateway exactly once.

The refund's amount is reserved (a `pending` row, committed under the intent's row lock) before
the gateway is called, so concurrent refunds can never together exceed what was paid.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal, requires
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from billing_shared.web.transaction import HEADER, TTL, current_uow, transactional
from payments.api.common import (
    BEARER,
    IDEMPOTENCY_HEADER,
    db,
    flows,
    only_own_customer,
    refund_wire,
    require_merchant,
    visible_intent,
    visible_refund,
)
from payments.api.schemas import RefundCreateSchema, RefundListArgs, RefundListSchema, RefundSchema
from payments.domain import refunds as rules
from payments.domain.refunds import Refund
from payments.flows import CallPending
from payments.store.intents import IntentRepository, RefundRepository

blp = Blueprint("refunds", __name__, url_prefix="/api/v1/Refunds", description="Refunds")


def _reserve(body: dict[str, Any]) -> tuple[Refund, bool]:
    """Step 1: the refund row, its amount checked against what is left and reserved, committed.
    Returns (refund, call): `call` is False when this same request already has its answer."""
    intent_id, client, key = (
        body["payment_intent_id"],
        current_principal().subject,
        request.headers.get(HEADER),
    )
    now = datetime.now(UTC)
    with db().unit_of_work() as uow:
        intents, refunds = IntentRepository(uow.session), RefundRepository(uow.session)
        prior = refunds.by_request_key(client, key, since=now - TTL) if key else None
        if prior is None:
            intent = intents.get(intent_id, for_update=True)
            own = only_own_customer()
            if intent is None or (own is not None and intent.customer_id != own):
                raise Problem(
                    422,
                    f"No payment intent '{intent_id}'.",
                    errors=[FieldError("paymentIntentId", "unknown payment intent")],
                )
            if intent.gateway_id not in flows().providers:
                raise Problem(503, f"Gateway '{intent.gateway_id}' is not configured in this environment.")
            in_flight = refunds.in_flight_amount(intent.id)
            amount = rules.check_refund(intent, amount=body.get("amount"), in_flight=in_flight)
            refund = rules.create(
                refund_id=new_id("re"),
                intent=intent,
                amount=amount,
                reason=body["reason"],
                client_id=client,
                idempotency_key=key,
                now=now,
            )
            refunds.add(refund, calling_since=now)
            uow.commit()
            return refund, True
    same = (prior.payment_intent_id, prior.reason) == (intent_id, body["reason"]) and body.get("amount") in (
        None,
        prior.amount,
    )
    if not same:
        raise Problem(
            422,
            "This Idempotency-Key was used with a different request; use a new key.",
            errors=[FieldError(HEADER, "reused with a different request")],
        )
    if not prior.provider_pending:
        return prior, False
    if not flows().claim_refund(prior.id):
        raise Problem(
            409,
            f"Refund '{prior.id}' is still waiting for the gateway; retry shortly.",
            headers={"Retry-After": "1"},
            extra={"refundId": prior.id},
        )
    return prior, True


@blp.route("")
class RefundsCollection(MethodView):
    @requires("payments:read")
    @blp.arguments(RefundListArgs, location="query")
    @blp.response(200, RefundListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List refunds, oldest first; filter by `paymentIntentId`."""
        limit = args["limit"]
        with db().unit_of_work(write=False) as uow:
            found = RefundRepository(uow.session).page(
                limit=limit + 1,
                starting_after=args["starting_after"],
                customer_id=only_own_customer(),
                payment_intent_id=args.get("payment_intent_id"),
            )
        return jsonify(data=[refund_wire(r) for r in found[:limit]], hasMore=len(found) > limit)

    @requires("payments:write")
    @transactional
    @blp.arguments(RefundCreateSchema)
    @blp.response(201, RefundSchema)
    @blp.doc(security=BEARER, parameters=IDEMPOTENCY_HEADER)
    def post(self, body: dict[str, Any]) -> Response:
        """Refund a succeeded payment, all that is left or `amount` of it; emits PaymentRefunded
        when the gateway confirms. More than is left is a 422 saying how much is."""
        require_merchant("issue refunds")
        refund, call = _reserve(body)
        done = refund
        if call:
            with db().unit_of_work(write=False) as uow:
                intent = visible_intent(
                    IntentRepository(uow.session).get(refund.payment_intent_id), refund.payment_intent_id
                )
            try:
                answer = flows().call_refund(refund, intent)
            except CallPending as exc:
                raise Problem(
                    503,
                    f"Gateway '{intent.gateway_id}' did not answer; refund '{refund.id}' is kept and sent "
                    "again until it does. Retry with the same Idempotency-Key, or poll the refund.",
                    headers={"Retry-After": "5"},
                    extra={"refundId": refund.id},
                ) from exc
            done = flows().apply_refund(current_uow(), refund.id, answer)
        resp = make_response(jsonify(refund_wire(done)), 201)
        resp.headers["Location"] = f"/api/v1/Refunds/{done.id}"
        return resp


@blp.route("/<string:refund_id>")
class RefundItem(MethodView):
    @requires("payments:read")
    @blp.response(200, RefundSchema)
    @blp.doc(security=BEARER)
    def get(self, refund_id: str) -> Response:
        """One refund."""
        with db().unit_of_work(write=False) as uow:
            refund = visible_refund(RefundRepository(uow.session).get(refund_id), refund_id)
        return jsonify(refund_wire(refund))
