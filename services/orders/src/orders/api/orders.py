"""/api/v1/Orders: create priced orders, read them, cancel drafts. Prices are the server's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import current_principal, requires
from billing_shared.db.uow import Database
from billing_shared.errors import FieldError, Problem, not_found
from billing_shared.ids import new_id
from billing_shared.projection import await_known
from billing_shared.web.etag import check_if_match, etag
from billing_shared.web.transaction import current_uow, transactional
from orders.api.order_schemas import OrderCreateSchema, OrderListArgs, OrderListSchema, OrderSchema
from orders.domain import orders as rules
from orders.domain.order_pricing import Buyer, Item, price
from orders.domain.orders import Order
from orders.store.catalog import CatalogRepository
from orders.store.orders import CustomerProjection, OrderRepository

blp = Blueprint("orders", __name__, url_prefix="/api/v1/Orders", description="Orders, priced by the server")
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _db() -> Database:
    db: Database = current_app.extensions["billing_db"]
    return db


def to_wire(order: Order) -> dict[str, Any]:
    priced = order.priced.to_dict()
    return {
        "id": order.id,
        "customerId": order.customer_id,
        "currency": order.currency,
        "status": order.status,
        "billingCycleId": order.billing_cycle_id,
        "couponCode": order.coupon_code,
        "lines": priced["lines"],
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
    }


def _respond(order: Order, status: int = 200) -> Response:
    resp = make_response(jsonify(to_wire(order)), status)
    resp.headers["ETag"] = etag(order.version)
    return resp


def _visible(order: Order | None, order_id: str) -> Order:
    p = current_principal()
    if order is None or (p.role == "customer" and p.customer_id != order.customer_id):
        raise not_found("order", order_id)
    return order


def _await_buyer(customer_id: str) -> Buyer:
    """The customer as orders knows it from events, waited for briefly (see billing_shared.projection)."""
    wait: float = current_app.extensions["billing_settings"].projection_wait_seconds
    buyer = await_known(_db(), lambda session: CustomerProjection(session).buyer(customer_id), wait)
    if buyer is None:
        raise Problem(
            422, f"No customer '{customer_id}'.", errors=[FieldError("customerId", "unknown customer")]
        )
    return buyer


@blp.route("")
class OrdersCollection(MethodView):
    @requires("orders:read")
    @blp.arguments(OrderListArgs, location="query")
    @blp.response(200, OrderListSchema)
    @blp.doc(security=_BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """List orders, oldest first; filter by `customerId` and `status`."""
        p = current_principal()
        customer_id = args.get("customer_id")
        if p.role == "customer":
            if customer_id and customer_id != p.customer_id:
                return jsonify(data=[], hasMore=False)
            customer_id = p.customer_id
        limit = args["limit"]
        with _db().unit_of_work(write=False) as uow:
            found = OrderRepository(uow.session).page(
                limit=limit + 1,
                starting_after=args["starting_after"],
                customer_id=customer_id,
                status=args.get("status"),
            )
        return jsonify(data=[to_wire(o) for o in found[:limit]], hasMore=len(found) > limit)

    @requires("orders:write")
    @transactional
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema)
    @blp.doc(
        security=_BEARER,
        parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}],
    )
    def post(self, body: dict[str, Any]) -> Response:
        """Create a draft order priced from the catalog (tax rules, coupon); emits OrderCreated.

        An order whose total is 0 is paid at once (emits OrderPaid too)."""
        p = current_principal()
        customer_id = body["customer_id"]
        if p.role == "customer" and p.customer_id != customer_id:
            raise Problem(
                422, f"No customer '{customer_id}'.", errors=[FieldError("customerId", "unknown customer")]
            )
        buyer = _await_buyer(customer_id)
        now = datetime.now(UTC)
        items = [Item(i["product_id"], i["quantity"], i.get("unit_price")) for i in body["items"]]
        uow = current_uow()
        catalog = CatalogRepository(uow.session)
        code, cycle_id = body.get("coupon_code"), body.get("billing_cycle_id")
        coupon = catalog.coupon_by_code(code) if code else None
        cycle = catalog.billing_cycle(cycle_id) if cycle_id else None
        priced = price(
            items=items,
            currency=catalog.currency(body["currency"]),
            currency_code=body["currency"],
            products=catalog.products(sorted({i.product_id for i in items})),
            buyer=buyer,
            tax_rules=catalog.tax_rules_for(buyer.country) if buyer.country else [],
            billing_cycle_id=cycle_id,
            billing_cycle=cycle,
            coupon_code=code,
            coupon=coupon,
            may_override_price=p.has("orders:price_override"),
            now=now,
        )
        order, events = rules.create(
            order_id=new_id("ord"),
            customer_id=customer_id,
            priced=priced,
            now=now,
            billing_cycle=cycle,
            coupon=coupon,
            metadata=body.get("metadata") or {},
        )
        if coupon is not None and not catalog.redeem_coupon(
            coupon.id, order.id, customer_id, priced.discount_total, now
        ):
            raise Problem(
                422,
                f"Coupon '{code}' was just used up by other orders.",
                errors=[FieldError("couponCode", "exhausted")],
            )
        OrderRepository(uow.session).add(order)
        for e in events:
            uow.emit(e)
        resp = _respond(order, 201)
        resp.headers["Location"] = f"/api/v1/Orders/{order.id}"
        return resp


@blp.route("/<string:order_id>")
class OrderItem(MethodView):
    @requires("orders:read")
    @blp.response(200, OrderSchema)
    @blp.doc(security=_BEARER)
    def get(self, order_id: str) -> Response:
        """One order with its lines, totals, calculation trace and allowed actions."""
        with _db().unit_of_work(write=False) as uow:
            order = _visible(OrderRepository(uow.session).get(order_id), order_id)
        return _respond(order)


@blp.route("/<string:order_id>/cancel")
class OrderCancel(MethodView):
    @requires("orders:write")
    @transactional
    @blp.response(200, OrderSchema)
    @blp.doc(security=_BEARER)
    def post(self, order_id: str) -> Response:
        """Cancel a draft order (emits OrderCancelled). Cancelling a cancelled order changes nothing."""
        repo = OrderRepository(current_uow().session)
        order = _visible(repo.get(order_id, for_update=True), order_id)
        check_if_match(order.version)
        done, events = rules.cancel(order, datetime.now(UTC))
        if events:
            if not repo.save(done, expected_version=order.version):
                raise Problem(409, "The order changed while it was being cancelled; retry.")
            for e in events:
                current_uow().emit(e)
        return _respond(done)
