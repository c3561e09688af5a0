"""/api/v1/Subscriptions, /SubscriptionBillingRuns (admin) and /SubscriptionBillingHistories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal, requires
from billing_shared.auth.scopes import ADMIN
from billing_shared.db.timestamps import iso
from billing_shared.errors import FieldError, Problem
from billing_shared.projection import await_known
from billing_shared.web.etag import check_if_match, etag
from billing_shared.web.transaction import current_uow, transactional
from invoicing import biller
from invoicing import subscription_flows as sflows
from invoicing.api import access
from invoicing.api.subscription_schemas import (
    BillingHistoryListArgs,
    BillingHistoryListSchema,
    BillingRunCreateSchema,
    BillingRunSchema,
    SubscriptionCancelSchema,
    SubscriptionCreateSchema,
    SubscriptionListArgs,
    SubscriptionListSchema,
    SubscriptionSchema,
    SubscriptionUpdateSchema,
)
from invoicing.domain import subscriptions as rules
from invoicing.domain.subscriptions import Subscription
from invoicing.store.invoices import InvoiceRepository, OrderProjection
from invoicing.store.subscriptions import BillingHistory, BillingHistoryRepository, SubscriptionRepository

blp = Blueprint(
    "subscriptions", __name__, url_prefix="/api/v1", description="Subscriptions and the recurring biller"
)
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_IDEMPOTENCY = [{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}]


def to_wire(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.id,
        "orderId": s.order_id,
        "customerId": s.customer_id,
        "currency": s.currency,
        "items": [
            {k: i.get(k) for k in ("productId", "quantity", "unitPrice", "taxRate", "taxInclusive")}
            for i in s.items
        ],
        "billingCycleId": s.billing_cycle_id,
        "intervalUnit": s.interval_unit,
        "intervalCount": s.interval_count,
        "status": s.status,
        "currentPeriodStart": iso(s.current_period_start),
        "currentPeriodEnd": iso(s.current_period_end),
        "cancelAtPeriodEnd": s.cancel_at_period_end,
        "canceledAt": iso(s.canceled_at),
        "gatewayId": s.gateway_id,
        "paymentMethodToken": s.payment_method_token,
        "couponCode": s.coupon["code"] if s.coupon else None,
        "couponCyclesRemaining": s.coupon_cycles_remaining,
        "allowedActions": s.allowed_actions,
        "version": s.version,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }


def _respond(s: Subscription, status: int = 200) -> Response:
    resp = make_response(jsonify(to_wire(s)), status)
    resp.headers["ETag"] = etag(s.version)
    if status == 201:
        resp.headers["Location"] = f"/api/v1/Subscriptions/{s.id}"
    return resp


@blp.route("/Subscriptions")
class SubscriptionsCollection(MethodView):
    @requires("subscriptions:read")
    @blp.arguments(SubscriptionListArgs, location="query")
    @blp.response(200, SubscriptionListSchema)
    @blp.doc(security=_BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List subscriptions, oldest first; filter by `customerId`, `orderId` and `status`."""
        return access.list_page(
            args,
            lambda session, customer_id, n: SubscriptionRepository(session).page(
                limit=n,
                starting_after=args["starting_after"],
                customer_id=customer_id,
                status=args.get("status"),
                order_id=args.get("order_id"),
            ),
            lambda _, items: [to_wire(s) for s in items],
        )

    @requires("subscriptions:write")
    @transactional
    @blp.arguments(SubscriptionCreateSchema)
    @blp.response(201, SubscriptionSchema)
    @blp.alt_response(
        200,
        schema=SubscriptionSchema,
        description="The order already started its subscription: that subscription",
    )
    @blp.doc(security=_BEARER, parameters=_IDEMPOTENCY)
    def post(self, body: dict[str, Any]) -> Response:
        """The subscription of a paid order with a billing cycle: 201 when this call starts it, 200
        when it exists (one per order, ever). Paying such an order starts it by itself."""
        access.require_merchant("start", "a subscription")
        order_id = body["order_id"]
        wait: float = current_app.extensions["billing_settings"].projection_wait_seconds
        order = await_known(access.db(), lambda session: OrderProjection(session).get(order_id), wait)
        if order is None:
            raise Problem(422, f"No order '{order_id}'.", errors=[FieldError("orderId", "unknown order")])
        if not order.get("billing_cycle"):
            raise Problem(
                422,
                f"Order '{order_id}' has no billing cycle: it starts no subscription.",
                errors=[FieldError("orderId", "not a recurring order")],
            )
        uow = current_uow()
        existing = SubscriptionRepository(uow.session).by_order(order_id)
        if existing is not None:
            return _respond(access.visible(existing, "subscription", existing.id), 200)
        invoice = InvoiceRepository(uow.session).by_order(order_id)
        if order["status"] != "paid" and (invoice is None or invoice.status != "paid"):
            raise Problem(
                409, f"Order '{order_id}' is {order['status']}: a subscription starts once it is paid."
            )
        sub, created = sflows.start_from_order(
            uow, order_id, gateway_id=None, token=None, now=datetime.now(UTC)
        )
        assert sub is not None
        return _respond(sub, 201 if created else 200)


@blp.route("/Subscriptions/<string:sub_id>")
class SubscriptionItem(MethodView):
    @requires("subscriptions:read")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(security=_BEARER)
    def get(self, sub_id: str) -> Response:
        """One subscription: its items, period, status and saved payment method reference."""
        with access.db().unit_of_work(write=False) as uow:
            sub = access.visible(SubscriptionRepository(uow.session).get(sub_id), "subscription", sub_id)
        return _respond(sub)

    @requires("subscriptions:write")
    @transactional
    @blp.arguments(SubscriptionUpdateSchema)
    @blp.response(200, SubscriptionSchema)
    @blp.doc(security=_BEARER)
    def patch(self, body: dict[str, Any], sub_id: str) -> Response:
        """Change the saved payment method (a gateway token): dunning retries charge the new one."""
        access.require_merchant("update", "a subscription")
        uow = current_uow()
        sub = access.visible(
            SubscriptionRepository(uow.session).get(sub_id, for_update=True), "subscription", sub_id
        )
        check_if_match(sub.version)
        after = rules.update_payment_method(
            sub, gateway_id=body["gateway_id"], token=body["payment_method_token"], now=datetime.now(UTC)
        )
        return _respond(sflows.save(uow, sub, after, []))


@blp.route("/Subscriptions/<string:sub_id>/cancel")
class SubscriptionCancel(MethodView):
    @requires("subscriptions:write")
    @transactional
    @blp.arguments(SubscriptionCancelSchema)
    @blp.response(200, SubscriptionSchema)
    @blp.doc(security=_BEARER)
    def post(self, body: dict[str, Any], sub_id: str) -> Response:
        """Cancel now (SubscriptionCancelled) or at the current period's end (`atPeriodEnd`: no
        renewal is billed; the biller ends it then). Cancelling twice is a 409."""
        access.require_merchant("cancel", "a subscription")
        uow = current_uow()
        sub = access.visible(
            SubscriptionRepository(uow.session).get(sub_id, for_update=True), "subscription", sub_id
        )
        check_if_match(sub.version)
        after, events = rules.cancel(
            sub, at_period_end=body["at_period_end"], reason=rules.REQUESTED, now=datetime.now(UTC)
        )
        return _respond(sflows.save(uow, sub, after, events))


@blp.route("/SubscriptionBillingRuns")
class BillingRuns(MethodView):
    @requires("subscriptions:write")
    @blp.arguments(BillingRunCreateSchema)
    @blp.response(200, BillingRunSchema)
    @blp.doc(security=_BEARER, parameters=_IDEMPOTENCY)
    def post(self, body: dict[str, Any]) -> Response:
        """Run the recurring biller for `asOf` (admin): every period begun by then is invoiced,
        finalized and charged exactly once, and due dunning retries are requested. Running it
        again, or twice at once, bills nothing twice. Answers what this run did."""
        if not current_principal().has(ADMIN):
            raise Problem(403, "Billing runs need the admin scope.")
        report = biller.run(access.db(), body["as_of"].astimezone(UTC), datetime.now(UTC))
        return jsonify(report.to_dict())


def history_wire(h: BillingHistory) -> dict[str, Any]:
    return {
        "id": h.id,
        "subscriptionId": h.subscription_id,
        "customerId": h.customer_id,
        "periodStart": iso(h.period_start),
        "periodEnd": iso(h.period_end),
        "invoiceId": h.invoice_id,
        "paymentIntentId": h.payment_intent_id,
        "status": h.status,
        "attempts": h.attempts,
        "nextAttemptAt": iso(h.next_attempt_at),
        "failureCode": h.failure_code,
        "createdAt": iso(h.created_at),
        "updatedAt": iso(h.updated_at),
    }


@blp.route("/SubscriptionBillingHistories")
class BillingHistories(MethodView):
    @requires("subscriptions:read")
    @blp.arguments(BillingHistoryListArgs, location="query")
    @blp.response(200, BillingHistoryListSchema)
    @blp.doc(security=_BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """One row per billed period: its invoice, charge, status, attempts and next retry."""
        return access.list_page(
            args,
            lambda session, customer_id, n: BillingHistoryRepository(session).page(
                limit=n,
                starting_after=args["starting_after"],
                subscription_id=args.get("subscription_id"),
                customer_id=customer_id,
            ),
            lambda _, items: [history_wire(h) for h in items],
        )
