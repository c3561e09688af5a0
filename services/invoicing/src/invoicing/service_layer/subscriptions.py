"""Subscriptions: started by a paid recurring order (by its payment, or asked for), read, their
saved payment method changed; and their billing histories. Changes of items and cancellation:
`subscription_changes`."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import IfMatch, check_if_match
from billing_shared.db.owned import OwnedReads
from billing_shared.db.uow import UnitOfWork
from billing_shared.events.domain import DomainEvent
from billing_shared.ids import new_id
from invoicing.bootstrap import Deps
from invoicing.domain import subscriptions
from invoicing.domain.billing_history import BillingHistory
from invoicing.domain.commands import ChangePaymentMethod, StartSubscription
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer.projections import await_order
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.orders import OrderProjection
from invoicing.store.subscriptions import SubscriptionRepository


def save_subscription(
    uow: UnitOfWork, before: Subscription, after: Subscription, events: list[DomainEvent]
) -> Subscription:
    """`after` in place of `before` (unless nothing changed) with its events. ConcurrentChange
    when another writer saved the subscription first."""
    if after is not before:
        SubscriptionRepository(uow.session).save(after, expected_version=before.version)
    uow.emit_many(events)
    return after


def start_from_order(
    uow: UnitOfWork, order_id: str, *, gateway_id: str | None, token: str | None, now: datetime
) -> tuple[Subscription | None, bool]:
    """The subscription of a paid recurring order (one per order, ever): (it, created). None when
    the order is unknown or has no billing cycle. A subscription started before its payment came
    takes the payment's saved method."""
    repo = SubscriptionRepository(uow.session)
    existing = repo.by_order(order_id)
    if existing is not None:
        if existing.payment_method_token is None and gateway_id and token:
            after = subscriptions.update_payment_method(existing, gateway_id=gateway_id, token=token, now=now)
            return save_subscription(uow, existing, after, []), False
        return existing, False
    order = OrderProjection(uow.session).get(order_id)
    if order is None or not order.get("billing_cycle"):
        return None, False
    sub, events = subscriptions.start(
        subscription_id=new_id("sub"), order=order, gateway_id=gateway_id, payment_method_token=token, now=now
    )
    if not repo.add(sub):  # another transaction started it first
        return repo.by_order(order_id), False
    uow.emit_many(events)
    return sub, True


def start_subscription(uow: UnitOfWork, deps: Deps, cmd: StartSubscription) -> tuple[Subscription, bool]:
    """POST /Subscriptions: the subscription of a paid order with a billing cycle, (it, whether this
    call started it). Paying such an order starts it by itself; this is for orders paid otherwise."""
    cmd.scope.require_merchant("start a subscription")
    order = await_order(deps, cmd.scope, cmd.order_id)
    subscriptions.check_recurring(order)
    existing = SubscriptionRepository(uow.session).by_order(cmd.order_id)
    if existing is not None:
        return cmd.scope.visible(existing, "subscription", existing.id), False
    subscriptions.check_paid(order, InvoiceRepository(uow.session).by_order(cmd.order_id))
    sub, created = start_from_order(uow, cmd.order_id, gateway_id=None, token=None, now=datetime.now(UTC))
    assert sub is not None  # the order is known and recurring
    return sub, created


SUBSCRIPTIONS = OwnedReads[Subscription](SubscriptionRepository, "subscription")
get_subscription = SUBSCRIPTIONS.one
list_subscriptions = SUBSCRIPTIONS.page


def _locked(
    uow: UnitOfWork, scope: CustomerScope, subscription_id: str, if_match: IfMatch | None
) -> Subscription:
    sub = scope.visible(
        SubscriptionRepository(uow.session).get(subscription_id, for_update=True),
        "subscription",
        subscription_id,
    )
    check_if_match(if_match, sub.version)
    return sub


def change_payment_method(uow: UnitOfWork, cmd: ChangePaymentMethod) -> Subscription:
    """A new method (a saved method's id, or a gateway token): renewals and dunning retries charge
    it. A customer token may change its own subscriptions' (another's is a 404)."""
    sub = _locked(uow, cmd.scope, cmd.subscription_id, cmd.if_match)
    after = subscriptions.update_payment_method(
        sub, gateway_id=cmd.gateway_id, token=cmd.payment_method_token, now=datetime.now(UTC)
    )
    return save_subscription(uow, sub, after, [])


BILLING_HISTORIES = OwnedReads[BillingHistory](BillingHistoryRepository, "billing history")
list_billing_histories = BILLING_HISTORIES.page
