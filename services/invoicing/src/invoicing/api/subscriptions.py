"""/api/v1/Subscriptions, /SubscriptionBillingRuns (admin) and /SubscriptionBillingHistories."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal, requires
from billing_shared.auth.scopes import ADMIN
from billing_shared.db.timestamps import iso
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import BEARER, IDEMPOTENCY_KEY, ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from invoicing.api.invoices import invoice_body
from invoicing.api.schemas import InvoicePreviewSchema
from invoicing.api.subscription_schemas import (
    BillingHistoryListArgs,
    BillingHistorySchema,
    BillingRunCreateSchema,
    BillingRunSchema,
    SubscriptionCancelSchema,
    SubscriptionChangeSchema,
    SubscriptionCreateSchema,
    SubscriptionListArgs,
    SubscriptionPauseSchema,
    SubscriptionSchema,
    SubscriptionUpdateSchema,
)
from invoicing.bootstrap import Deps
from invoicing.domain.billing_history import BillingHistory
from invoicing.domain.commands import (
    CancelSubscription,
    ChangePaymentMethod,
    ChangeSubscription,
    PauseSubscription,
    ResumeSubscription,
    RunBilling,
    StartSubscription,
)
from invoicing.domain.subscription_changes import ItemRequest
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer import billing_runs, subscription_changes, subscriptions

blp = Blueprint(
    "subscriptions", __name__, url_prefix="/api/v1", description="Subscriptions and the recurring biller"
)


def subscription_body(s: Subscription) -> dict[str, Any]:
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
        "cancelAt": iso(s.cancel_at),
        "canceledAt": iso(s.canceled_at),
        "trialEnd": iso(s.trial_end),
        "pausedAt": iso(s.paused_at),
        "resumesAt": iso(s.resumes_at),
        "pendingProrationTotal": sum(int(p["total"]) for p in s.pending_prorations or []),
        "gatewayId": s.gateway_id,
        "paymentMethodToken": s.payment_method_token,
        "couponCode": s.coupon_code,
        "couponCyclesRemaining": s.coupon_cycles_remaining,
        "allowedActions": s.allowed_actions,
        "version": s.version,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }


def history_body(h: BillingHistory) -> dict[str, Any]:
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
        "reason": h.reason,
        "createdAt": iso(h.created_at),
        "updatedAt": iso(h.updated_at),
    }


_answer = ResourceAnswer(subscription_body, "/api/v1/Subscriptions")


list_route(
    blp,
    "/Subscriptions",
    "subscriptions:read",
    Listing(SubscriptionListArgs, SubscriptionSchema, subscriptions.list_subscriptions, subscription_body),
)


@blp.route("/Subscriptions")
class SubscriptionsCollection(MethodView):
    @creates(
        blp,
        "subscriptions:write",
        body=SubscriptionCreateSchema,
        response=SubscriptionSchema,
        existing="The order already started its subscription: that subscription",
    )
    def post(self, body: dict[str, Any]) -> Response:
        """The subscription of a paid order with a billing cycle: 201 when this call starts it, 200
        when it exists (one per order, ever). Paying such an order starts it by itself."""
        cmd = StartSubscription(caller_scope(), body["order_id"])
        sub, created = subscriptions.start_subscription(current_uow(), deps(Deps), cmd)
        return _answer(sub, 201 if created else 200)


@blp.route("/Subscriptions/<string:sub_id>")
class SubscriptionItem(MethodView):
    @reads(blp, "subscriptions:read", response=SubscriptionSchema)
    def get(self, sub_id: str) -> Response:
        """One subscription: its items, period, status and saved payment method reference."""
        with reading() as uow:
            return _answer(subscriptions.get_subscription(uow, caller_scope(), sub_id))

    @changes(blp, "subscriptions:write", response=SubscriptionSchema, body=SubscriptionUpdateSchema)
    def patch(self, body: dict[str, Any], sub_id: str) -> Response:
        """Change the items mid-period (`items`, `prorationBehavior`, `prorationDate`: the proration
        is invoiced and charged now by default; a negative total becomes the customer's credit), or
        the saved payment method (`paymentMethodToken`: a gateway token or a saved method's id)."""
        if "items" in body:
            cmd = _change(body, sub_id, preview=False)
            sub, _ = subscription_changes.change_subscription(current_uow(), deps(Deps), cmd)
            return _answer(sub)
        method = ChangePaymentMethod(
            caller_scope(),
            sub_id,
            gateway_id=body["gateway_id"],
            payment_method_token=body["payment_method_token"],
            if_match=if_match(),
        )
        return _answer(subscriptions.change_payment_method(current_uow(), method))


def _change(body: dict[str, Any], sub_id: str, *, preview: bool) -> ChangeSubscription:
    return ChangeSubscription(
        caller_scope(),
        sub_id,
        items=[ItemRequest(i["product_id"], i["quantity"]) for i in body["items"]],
        proration_behavior=body["proration_behavior"],
        proration_date=body["proration_date"],
        preview=preview,
        if_match=if_match(),
    )


@blp.route("/Subscriptions/<string:sub_id>/preview-change")
class SubscriptionPreviewChange(MethodView):
    @requires("subscriptions:read")
    @blp.arguments(SubscriptionChangeSchema)
    @blp.response(200, InvoicePreviewSchema)
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], sub_id: str) -> Response:
        """The invoice a change would make (lines, trace, `total`, the credit it would use), made
        of nothing: pass the same `prorationDate` to PATCH to apply these very figures."""
        with reading() as uow:
            invoice = subscription_changes.preview_change(
                uow, deps(Deps), _change(body, sub_id, preview=True)
            )
        body = invoice_body(invoice) | {"id": None, "object": "invoice_preview", "hostedInvoiceUrl": None}
        return jsonify(body)


@blp.route("/Subscriptions/<string:sub_id>/cancel")
class SubscriptionCancel(MethodView):
    @changes(blp, "subscriptions:write", response=SubscriptionSchema, body=SubscriptionCancelSchema)
    def post(self, body: dict[str, Any], sub_id: str) -> Response:
        """`atPeriodEnd: true`: stop at the current period's end (`cancelAt`; no renewal; asking
        again changes nothing). `atPeriodEnd: false`: take such a cancellation back, or, with
        `prorate`, cancel now (true credits the unused time by the proration rule). A customer
        token may cancel its own at the period's end and take that back."""
        cmd = CancelSubscription(caller_scope(), sub_id, body["at_period_end"], body["prorate"], if_match())
        return _answer(subscription_changes.cancel_subscription(current_uow(), cmd))


@blp.route("/Subscriptions/<string:sub_id>/pause")
class SubscriptionPause(MethodView):
    @changes(blp, "subscriptions:write", response=SubscriptionSchema, body=SubscriptionPauseSchema)
    def post(self, body: dict[str, Any], sub_id: str) -> Response:
        """Pause an active subscription: nothing is billed until it resumes (by a call, or at
        `resumesAt`), which starts a new period then. The period in progress is not refunded."""
        cmd = PauseSubscription(caller_scope(), sub_id, body["resumes_at"], if_match())
        return _answer(subscription_changes.pause_subscription(current_uow(), cmd))


@blp.route("/Subscriptions/<string:sub_id>/resume")
class SubscriptionResume(MethodView):
    @changes(blp, "subscriptions:write", response=SubscriptionSchema)
    def post(self, sub_id: str) -> Response:
        """Resume a paused subscription now: a new period starts and is invoiced and charged at
        once, like a renewal. A customer token may resume its own."""
        cmd = ResumeSubscription(caller_scope(), sub_id, if_match())
        return _answer(subscription_changes.resume_subscription(current_uow(), cmd))


@blp.route("/SubscriptionBillingRuns")
class BillingRuns(MethodView):
    @requires("subscriptions:write")
    @blp.arguments(BillingRunCreateSchema)
    @blp.response(200, BillingRunSchema)
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
    def post(self, body: dict[str, Any]) -> Response:
        """Run the recurring biller for `asOf` (admin): every period begun by then is invoiced,
        finalized and charged exactly once, and due dunning retries are requested. Running it
        again, or twice at once, bills nothing twice. Answers what this run did."""
        cmd = RunBilling(body["as_of"], by_admin=current_principal().has(ADMIN))
        return jsonify(billing_runs.run_billing(deps(Deps), cmd).to_data())


list_route(
    blp,
    "/SubscriptionBillingHistories",
    "subscriptions:read",
    Listing(BillingHistoryListArgs, BillingHistorySchema, subscriptions.list_billing_histories, history_body),
)
