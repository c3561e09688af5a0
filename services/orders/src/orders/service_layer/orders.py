"""Orders: placed priced by the server, read, cancelled; paid, refunded and linked by other
services' events. Prices are the catalog's, computed once at placing and never recomputed."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.commands import OnResource
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import FieldError, Problem
from billing_shared.ids import new_id
from billing_shared.projection import await_known
from orders.bootstrap import Deps
from orders.domain import orders
from orders.domain.commands import PlaceOrder
from orders.domain.order_pricing import Buyer, price
from orders.domain.orders import Order
from orders.store.catalog import CatalogRepository
from orders.store.customers import CustomerProjection
from orders.store.orders import OrderRepository


def _unknown_customer(customer_id: str) -> Problem:
    return Problem(
        422, f"No customer '{customer_id}'.", errors=[FieldError("customerId", "unknown customer")]
    )


def _await_buyer(deps: Deps, customer_id: str) -> Buyer:
    """The customer as orders knows it from events, waited for briefly (billing_shared.projection)."""
    buyer = await_known(
        deps.db,
        lambda session: CustomerProjection(session).buyer(customer_id),
        deps.settings.projection_wait_seconds,
    )
    if buyer is None:
        raise _unknown_customer(customer_id)
    return buyer


def place_order(uow: UnitOfWork, deps: Deps, cmd: PlaceOrder) -> Order:
    """A draft order priced from the catalog (tax rules, coupon) (OrderCreated); one whose total is
    0 is paid at once (OrderPaid too). The coupon is redeemed in the same transaction."""
    if not cmd.scope.sees(cmd.customer_id):
        raise _unknown_customer(cmd.customer_id)
    buyer = _await_buyer(deps, cmd.customer_id)
    # waited for before this transaction's first statement: a wait inside it would hold the
    # database (SQLite's one writer) and keep the worker from recording the very event awaited
    method = _await_default_method(deps, cmd.customer_id) if cmd.trial_days else None
    now = datetime.now(UTC)
    catalog = CatalogRepository(uow.session)
    coupon = catalog.coupon_by_code(cmd.coupon_code) if cmd.coupon_code else None
    cycle = catalog.billing_cycle(cmd.billing_cycle_id) if cmd.billing_cycle_id else None
    products = catalog.products(sorted({i.product_id for i in cmd.items}))
    priced = price(
        items=cmd.items,
        currency=catalog.currency(cmd.currency),
        currency_code=cmd.currency,
        products=products,
        buyer=buyer,
        tax_rules=catalog.tax_rules_for(buyer.country) if buyer.country else [],
        billing_cycle_id=cmd.billing_cycle_id,
        billing_cycle=cycle,
        coupon_code=cmd.coupon_code,
        coupon=coupon,
        may_override_price=cmd.may_override_price,
        now=now,
    )
    trial = None
    texts = orders.line_texts(priced, products)
    days = orders.trial_days(cmd.trial_days, [p.trial_days for p in products.values() if p.recurring])
    if days:
        terms = _trial_terms(
            cmd, days, method or CustomerProjection(uow.session).default_method(cmd.customer_id)
        )
        priced, trial = orders.trial_of(priced, terms, now, texts)
    order, events = orders.create(
        order_id=new_id("ord"),
        customer_id=cmd.customer_id,
        priced=priced,
        now=now,
        billing_cycle=cycle,
        coupon=coupon,
        metadata=cmd.metadata,
        trial=trial,
        texts=texts,
    )
    if coupon is not None and not catalog.redeem_coupon(
        coupon.id, order.id, cmd.customer_id, priced.discount_total, now
    ):
        raise Problem(
            422,
            f"Coupon '{cmd.coupon_code}' was just used up by other orders.",
            errors=[FieldError("couponCode", "exhausted")],
        )
    OrderRepository(uow.session).add(order)
    uow.emit_many(events)
    return order


def _await_default_method(deps: Deps, customer_id: str) -> tuple[str, str] | None:
    """The customer's default payment method, waited for briefly: one saved a moment ago may be
    on its way (PaymentMethodDefaultChanged)."""
    return await_known(
        deps.db,
        lambda session: CustomerProjection(session).default_method(customer_id),
        deps.settings.projection_wait_seconds,
    )


def _trial_terms(cmd: PlaceOrder, days: int, method: tuple[str, str] | None) -> orders.TrialTerms:
    """A trial needs a billing cycle (it starts a subscription) and the customer's default payment
    method (the first charge, when the trial ends, goes to it): else a 422 naming the field."""
    if cmd.billing_cycle_id is None:
        raise Problem(
            422,
            "A trial starts a subscription: name the billingCycleId.",
            errors=[FieldError("trialDays", "needs billingCycleId")],
        )
    if method is None:
        raise Problem(
            422,
            f"Customer '{cmd.customer_id}' has no default payment method: save one first "
            "(POST /api/v1/PaymentMethods), then start the trial.",
            errors=[FieldError("customerId", "no default payment method for a trial")],
        )
    return orders.TrialTerms(days, method[0], method[1])


ORDERS = OwnedReads[Order](OrderRepository, "order")
get_order = ORDERS.one
list_orders = ORDERS.page


def cancel_order(uow: UnitOfWork, cmd: OnResource) -> Order:
    """A draft order cancelled (OrderCancelled); cancelling a cancelled order changes nothing."""
    repo = OrderRepository(uow.session)
    order = cmd.visible(repo.get(cmd.id, for_update=True), "order")
    cmd.check_version(order.version)
    done, events = orders.cancel(order, datetime.now(UTC))
    if events:
        repo.save(done, expected_version=order.version)
        uow.emit_many(events)
    return done


# -- what other services' events tell an order ------------------------------------------------------
# `order_id` None: the payment or invoice of a subscription's renewal, which names no order.


def _locked(uow: UnitOfWork, order_id: str | None) -> tuple[OrderRepository, Order | None]:
    repo = OrderRepository(uow.session)
    return repo, None if order_id is None else repo.get(order_id, for_update=True)


def mark_paid(uow: UnitOfWork, order_id: str | None, *, payment_intent_id: str, amount: int) -> None:
    """Its payment succeeded (OrderPaid); paying twice changes nothing."""
    repo, order = _locked(uow, order_id)
    if order is None:
        return
    paid, events = orders.mark_paid(
        order, payment_intent_id=payment_intent_id, amount=amount, now=datetime.now(UTC)
    )
    if events:
        repo.save(paid, expected_version=order.version)
        uow.emit_many(events)


def record_refund(uow: UnitOfWork, order_id: str | None, *, amount_refunded: int) -> None:
    """Refunded in part or whole, by the payment's running total (never double-counted)."""
    repo, order = _locked(uow, order_id)
    if order is None:
        return
    refunded = orders.record_refund(order, amount_refunded, datetime.now(UTC))
    if refunded is not order:
        repo.save(refunded, expected_version=order.version)


def link_payment_intent(uow: UnitOfWork, order_id: str | None, payment_intent_id: str) -> None:
    repo, order = _locked(uow, order_id)
    if order is not None:
        repo.save_links(orders.add_payment_intent(order, payment_intent_id, datetime.now(UTC)))


def link_invoice(uow: UnitOfWork, order_id: str | None, invoice_id: str) -> None:
    repo, order = _locked(uow, order_id)
    if order is not None:
        repo.save_links(orders.set_invoice(order, invoice_id, datetime.now(UTC)))
