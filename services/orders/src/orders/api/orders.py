"""/api/v1/Orders: create priced orders, read them, cancel drafts. Prices are the server's."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal
from billing_shared.commands import OnResource
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.responses import ResourceAnswer
from billing_shared.web.routes import Listing, changes, creates, list_route, reads
from billing_shared.web.transaction import current_uow
from orders.api.order_schemas import OrderCreateSchema, OrderListArgs, OrderSchema
from orders.bootstrap import Deps
from orders.domain.commands import PlaceOrder
from orders.domain.order_pricing import Item
from orders.domain.orders import Order, with_texts
from orders.service_layer import orders

blp = Blueprint("orders", __name__, url_prefix="/api/v1/Orders", description="Orders, priced by the server")


def order_json(order: Order) -> dict[str, Any]:
    priced = order.priced.to_dict()
    return {
        "id": order.id,
        "customerId": order.customer_id,
        "currency": order.currency,
        "status": order.status,
        "billingCycleId": order.billing_cycle_id,
        "couponCode": order.coupon_code,
        "lines": with_texts(priced["lines"], order.line_texts),
        "subtotal": order.priced.subtotal,
        "discountTotal": order.priced.discount_total,
        "taxTotal": order.priced.tax_total,
        "total": order.priced.total,
        "amountRefunded": order.amount_refunded,
        "trace": priced["trace"],
        "allowedActions": order.allowed_actions,
        "paymentIntentIds": order.payment_intent_ids,
        "invoiceId": order.invoice_id,
        "metadata": order.metadata,
        "version": order.version,
        "createdAt": order.created_at.isoformat(),
        "updatedAt": order.updated_at.isoformat(),
        "paidAt": order.paid_at.isoformat() if order.paid_at else None,
        "cancelledAt": order.cancelled_at.isoformat() if order.cancelled_at else None,
        "trial": None
        if order.trial is None
        else {k: order.trial[k] for k in ("days", "trialEnd", "paymentMethodId")}
        | {"planTotal": order.trial["plan"]["total"]},
    }


_answer = ResourceAnswer(order_json, "/api/v1/Orders")


list_route(blp, "", "orders:read", Listing(OrderListArgs, OrderSchema, orders.list_orders, order_json))


@blp.route("")
class OrdersCollection(MethodView):
    @creates(blp, "orders:write", body=OrderCreateSchema, response=OrderSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Create a draft order priced from the catalog (tax rules, coupon); emits OrderCreated.

        An order whose total is 0 is paid at once (emits OrderPaid too)."""
        cmd = PlaceOrder(
            caller_scope(),
            customer_id=body["customer_id"],
            currency=body["currency"],
            items=[Item(i["product_id"], i["quantity"], i.get("unit_price")) for i in body["items"]],
            billing_cycle_id=body.get("billing_cycle_id"),
            coupon_code=body.get("coupon_code"),
            metadata=body.get("metadata") or {},
            trial_days=body.get("trial_days"),
            may_override_price=current_principal().has("orders:price_override"),
        )
        return _answer(orders.place_order(current_uow(), deps(Deps), cmd), 201)


@blp.route("/<string:order_id>")
class OrderItem(MethodView):
    @reads(blp, "orders:read", response=OrderSchema)
    def get(self, order_id: str) -> Response:
        """One order with its lines, totals, calculation trace and allowed actions."""
        with reading() as uow:
            return _answer(orders.get_order(uow, caller_scope(), order_id))


@blp.route("/<string:order_id>/cancel")
class OrderCancel(MethodView):
    @changes(blp, "orders:write", response=OrderSchema)
    def post(self, order_id: str) -> Response:
        """Cancel a draft order (emits OrderCancelled). Cancelling a cancelled order changes nothing."""
        return _answer(orders.cancel_order(current_uow(), OnResource(caller_scope(), order_id, if_match())))
