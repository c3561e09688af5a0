"""/api/v1/PaymentIntents: checked against the order, created at the gateway exactly once.

POST runs the protocol of `payments.flows` inside the kit's `@transactional` request: the checks
and the intent row commit in transactions of their own *before* the provider is called, and the
provider's answer commits with the request's idempotency record. The request's own transaction
is not touched until the provider has answered, so no database lock is held across that call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from billing_shared.auth.flask import current_principal, requires
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from billing_shared.projection import await_known
from billing_shared.web.etag import check_if_match
from billing_shared.web.transaction import HEADER, TTL, current_uow, transactional
from payments.api.common import (
    BEARER,
    IDEMPOTENCY_HEADER,
    db,
    flows,
    intent_response,
    intent_wire,
    only_own_customer,
    require_merchant,
    visible_intent,
)
from payments.api.gateways import choose_gateway
from payments.api.schemas import IntentCreateSchema, IntentListArgs, IntentListSchema, IntentSchema
from payments.domain import intents as rules
from payments.domain.intents import CANCELED, PaymentIntent
from payments.domain.orders import OrderView
from payments.flows import CallPending
from payments.store.intents import IntentRepository
from payments.store.orders import OrderProjection

blp = Blueprint(
    "payment_intents", __name__, url_prefix="/api/v1/PaymentIntents", description="Payment intents"
)


def _unknown_order(order_id: str) -> Problem:
    return Problem(422, f"No order '{order_id}'.", errors=[FieldError("orderId", "unknown order")])


def _await_order(order_id: str) -> OrderView:
    """The order as payments knows it from events, waited for briefly (see billing_shared.projection)."""
    wait: float = current_app.extensions["billing_settings"].projection_wait_seconds
    order = await_known(db(), lambda session: OrderProjection(session).get(order_id), wait)
    if order is None:
        raise _unknown_order(order_id)
    return order


def _same_request(intent: PaymentIntent, body: dict[str, Any], gateway_id: str) -> bool:
    return (
        intent.order_id,
        intent.amount,
        intent.currency,
        intent.payment_method_token,
        intent.gateway_id,
        intent.capture_method,
        intent.return_url,
    ) == (
        body["order_id"],
        body["amount"],
        body["currency"],
        body["payment_method_token"],
        gateway_id,
        body["capture_method"],
        body.get("return_url"),
    )


def _record(order: OrderView, body: dict[str, Any], gateway_id: str) -> tuple[PaymentIntent, bool]:
    """Step 1: the intent row, committed, with its provider call claimed. Returns (intent, call):
    `call` is False when this same request (client and Idempotency-Key) already has its answer."""
    client, key = current_principal().subject, request.headers.get(HEADER)
    now = datetime.now(UTC)
    with db().unit_of_work() as uow:
        repo = IntentRepository(uow.session)
        prior = repo.by_request_key(client, key, since=now - TTL) if key else None
        if prior is None:
            return _insert(uow, repo, order, body, gateway_id, client, key, now), True
    if not _same_request(prior, body, gateway_id):
        raise Problem(
            422,
            "This Idempotency-Key was used with a different request; use a new key.",
            errors=[FieldError(HEADER, "reused with a different request")],
        )
    if not prior.provider_pending:
        return prior, False
    if not flows().claim_intent(prior.id):
        raise Problem(
            409,
            f"Payment intent '{prior.id}' is still waiting for the gateway; retry shortly.",
            headers={"Retry-After": "1"},
            extra={"paymentIntentId": prior.id},
        )
    return prior, True


def _insert(
    uow: UnitOfWork,
    repo: IntentRepository,
    order: OrderView,
    body: dict[str, Any],
    gateway_id: str,
    client: str,
    key: str | None,
    now: datetime,
) -> PaymentIntent:
    existing = repo.live_for_order(order.id)
    if existing is not None:
        raise rules.live_conflict(existing)
    intent, events = rules.create(
        intent_id=new_id("pi"),
        order=order,
        amount=body["amount"],
        currency=body["currency"],
        gateway_id=gateway_id,
        payment_method_token=body["payment_method_token"],
        capture_method=body["capture_method"],
        return_url=body.get("return_url"),
        client_id=client,
        idempotency_key=key,
        now=now,
    )
    try:
        repo.add(intent, calling_since=now)
        for e in events:
            uow.emit(e)
        uow.commit()
    except IntegrityError:  # another request's intent for this order committed first
        uow.rollback()
        existing = repo.live_for_order(order.id)
        if existing is None:
            raise Problem(409, "Another payment for this order was being created; retry.") from None
        raise rules.live_conflict(existing) from None
    return intent


@blp.route("")
class IntentsCollection(MethodView):
    @requires("payments:read")
    @blp.arguments(IntentListArgs, location="query")
    @blp.response(200, IntentListSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List payment intents, oldest first; filter by `orderId`, `invoiceId` and `status`."""
        limit = args["limit"]
        with db().unit_of_work(write=False) as uow:
            found = IntentRepository(uow.session).page(
                limit=limit + 1,
                starting_after=args["starting_after"],
                customer_id=only_own_customer(),
                order_id=args.get("order_id"),
                status=args.get("status"),
                invoice_id=args.get("invoice_id"),
            )
        return jsonify(data=[intent_wire(i) for i in found[:limit]], hasMore=len(found) > limit)

    @requires("payments:write")
    @transactional
    @blp.arguments(IntentCreateSchema)
    @blp.response(201, IntentSchema)
    @blp.doc(security=BEARER, parameters=IDEMPOTENCY_HEADER)
    def post(self, body: dict[str, Any]) -> Response:
        """Pay an order: checked against the order (amount, currency, unpaid), then created at the
        gateway (`test` by default). A declined payment is a 201 with status `failed` and a
        `failureMessage` the payer may be shown; `requires_action` comes with `nextAction.url`."""
        order_id = body["order_id"]
        order = _await_order(order_id)
        own = only_own_customer()
        if own is not None and order.customer_id != own:
            raise _unknown_order(order_id)
        rules.check_payable(order, amount=body["amount"], currency=body["currency"])
        gateway_id = choose_gateway(body.get("gateway_id"), body["currency"], body["capture_method"])
        intent, call = _record(order, body, gateway_id)
        if call:
            try:
                answer = flows().call_create(intent)
            except CallPending as exc:
                raise Problem(
                    503,
                    f"Gateway '{gateway_id}' did not answer; payment intent '{intent.id}' is kept and "
                    "completed as soon as it does. Retry with the same Idempotency-Key, or poll the intent.",
                    headers={"Retry-After": "5"},
                    extra={"paymentIntentId": intent.id},
                ) from exc
            intent = flows().apply_create(current_uow(), intent.id, answer)
        return intent_response(intent, 201)


@blp.route("/<string:intent_id>")
class IntentItem(MethodView):
    @requires("payments:read")
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def get(self, intent_id: str) -> Response:
        """One payment intent; clients may poll it while it is `requires_action` or `processing`."""
        with db().unit_of_work(write=False) as uow:
            intent = visible_intent(IntentRepository(uow.session).get(intent_id), intent_id)
        return intent_response(intent)


def _load(intent_id: str) -> PaymentIntent:
    with db().unit_of_work(write=False) as uow:
        intent = visible_intent(IntentRepository(uow.session).get(intent_id), intent_id)
    check_if_match(intent.version)
    return intent


@blp.route("/<string:intent_id>/capture")
class IntentCapture(MethodView):
    @requires("payments:write")
    @transactional
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def post(self, intent_id: str) -> Response:
        """Capture an intent created with `captureMethod: manual` (status `requires_capture`)."""
        require_merchant("capture a payment")
        intent = _load(intent_id)
        if intent.status == rules.SUCCEEDED:
            return intent_response(intent)
        rules.check_capturable(intent)
        return intent_response(flows().capture_or_cancel(current_uow(), intent, "capture"))


@blp.route("/<string:intent_id>/cancel")
class IntentCancel(MethodView):
    @requires("payments:write")
    @transactional
    @blp.response(200, IntentSchema)
    @blp.doc(security=BEARER)
    def post(self, intent_id: str) -> Response:
        """Cancel an intent that has taken no money yet; its order may then be paid by a new one.
        Cancelling a canceled intent changes nothing."""
        intent = _load(intent_id)
        if intent.status == CANCELED:
            return intent_response(intent)
        rules.check_cancelable(intent)
        return intent_response(flows().capture_or_cancel(current_uow(), intent, "cancel"))
